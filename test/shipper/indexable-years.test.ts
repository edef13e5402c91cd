import { describe, expect, it } from 'vitest';
import { DEFAULT_INDEXABLE_YEARS, isIndexableTimestamp, timestampRange } from '../../contract/indices.ts';
import { configFromEnv } from '../../shipper/config.ts';

describe('indexable years', () => {
  it('covers 1970-01-01T00:00:00.000Z up to the last millisecond of 9999 by default', () => {
    const range = timestampRange();
    expect(isIndexableTimestamp(Date.parse('1970-01-01T00:00:00.000Z'), range)).toBe(true);
    expect(isIndexableTimestamp(Date.parse('1969-12-31T23:59:59.999Z'), range)).toBe(false);
    expect(isIndexableTimestamp(Date.parse('9999-12-31T23:59:59.999Z'), range)).toBe(true);
    expect(isIndexableTimestamp(Date.parse('+010000-01-01T00:00:00.000Z'), range)).toBe(false);
  });

  it('reads years below 100 as those years, not as 19xx', () => {
    const range = timestampRange({ min: 50, max: 60 });
    expect(isIndexableTimestamp(Date.parse('0055-06-01T00:00:00.000Z'), range)).toBe(true);
    expect(isIndexableTimestamp(Date.parse('1955-06-01T00:00:00.000Z'), range)).toBe(false);
  });

  it('takes the range from DTQ_SHIPPER_MIN_YEAR and DTQ_SHIPPER_MAX_YEAR, and refuses a max below the min', () => {
    expect(configFromEnv({}).indexableYears).toEqual(DEFAULT_INDEXABLE_YEARS);
    expect(configFromEnv({ DTQ_SHIPPER_MIN_YEAR: '2020', DTQ_SHIPPER_MAX_YEAR: '2030' }).indexableYears).toEqual({
      min: 2020,
      max: 2030,
    });
    expect(() => configFromEnv({ DTQ_SHIPPER_MIN_YEAR: '2020', DTQ_SHIPPER_MAX_YEAR: '2019' })).toThrow(
      /DTQ_SHIPPER_MAX_YEAR="2019" is not valid: expected an integer from 2020 to 275759/,
    );
  });
});
