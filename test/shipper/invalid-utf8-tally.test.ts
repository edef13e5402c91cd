/** The shipper's per-file tally of invalid-UTF-8 lines: counts, reports once per growth, forgets files let go of. */
import { describe, expect, it } from 'vitest';
import { InvalidUtf8Tally } from '../../shipper/invalid-utf8-tally.ts';

describe('InvalidUtf8Tally', () => {
  it('counts per fingerprint, keeps the first offset and follows a rename', () => {
    const tally = new InvalidUtf8Tally();
    expect(tally.count('fp-a', 'api-1.ndjson', 120)).toBe(true);
    expect(tally.count('fp-a', 'api-1.ndjson.1', 400)).toBe(false);
    expect(tally.count('fp-b', 'worker-1.ndjson', 0)).toBe(true);
    expect(tally.files()).toEqual([
      { path: 'api-1.ndjson.1', firstOffset: 120, lines: 2 },
      { path: 'worker-1.ndjson', firstOffset: 0, lines: 1 },
    ]);
  });

  it('hands out each file again only when its count grew', () => {
    const tally = new InvalidUtf8Tally();
    tally.count('fp-a', 'a', 1);
    tally.count('fp-b', 'b', 2);
    expect(tally.takeUnreported().map((file) => file.path)).toEqual(['a', 'b']);
    expect(tally.takeUnreported()).toEqual([]);
    tally.count('fp-b', 'b', 9);
    expect(tally.takeUnreported()).toEqual([{ path: 'b', firstOffset: 2, lines: 2 }]);
  });

  it('forgets files no longer tailed, returning the ones with counts not yet reported', () => {
    const tally = new InvalidUtf8Tally();
    for (let i = 0; i < 1000; i++) tally.count(`fp-${i}`, `rotated-${i}`, 0);
    tally.takeUnreported();
    tally.count('fp-7', 'rotated-7', 50);
    tally.count('fp-live', 'api-1.ndjson', 0);
    const unreported = tally.forgetExcept(new Set(['fp-live']));
    expect(unreported).toEqual([{ path: 'rotated-7', firstOffset: 0, lines: 2 }]);
    expect(tally.size).toBe(1);
    expect(tally.files()).toEqual([{ path: 'api-1.ndjson', firstOffset: 0, lines: 1 }]);
  });
});
