/**
 * Index naming. Logs go to daily indices named after the line's own @timestamp (not the time
 * of shipping), so a line shipped twice lands in the same index under the same _id and
 * Elasticsearch refuses the second copy: that is what makes retries safe.
 */

/** Default index prefix; DTQ_ES_INDEX_PREFIX overrides it (tests use a unique one each). */
export const DEFAULT_INDEX_PREFIX = 'dtq-logs';

/** The prefix in force. */
export function indexPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env.DTQ_ES_INDEX_PREFIX || DEFAULT_INDEX_PREFIX;
}

/** Pattern that matches every log index of a prefix. */
export function indexPattern(prefix: string = indexPrefix()): string {
  return `${prefix}-*`;
}

/** The daily index a line with this @timestamp belongs to. */
export function indexForTimestamp(timestamp: string | number | Date, prefix: string = indexPrefix()): string {
  const date = new Date(timestamp);
  const day = Number.isNaN(date.getTime()) ? new Date() : date;
  return `${prefix}-${day.toISOString().slice(0, 10).replaceAll('-', '.')}`;
}

const MS_PER_DAY = 86_400_000;

/**
 * {@link indexForTimestamp} for a stream of epoch milliseconds that mostly fall on the same
 * day (a shipper reading a file): the name is formatted once per day, not once per line.
 */
export function dailyIndexNamer(prefix: string): (timestampMs: number) => string {
  let day = Number.NaN;
  let name = '';
  return (timestampMs) => {
    const lineDay = Math.floor(timestampMs / MS_PER_DAY);
    if (lineDay !== day) {
      day = lineDay;
      name = indexForTimestamp(timestampMs, prefix);
    }
    return name;
  };
}

/** Years a line's @timestamp may fall in to be indexed (inclusive); outside, it is refused before any index is named. */
export interface IndexableYears {
  readonly min: number;
  readonly max: number;
}

/**
 * The default: from the Unix epoch to the last year an ISO-8601 date writes with four digits.
 * Past 9999 `toISOString()` gives `+099999-…`, an index name no one asked for; a day index is
 * created by the first document that names it, even when Elasticsearch then refuses that
 * document, so the range is checked before the name is made.
 */
export const DEFAULT_INDEXABLE_YEARS: IndexableYears = { min: 1970, max: 9999 };

/** Epoch-millisecond bounds of a year range: `[fromMs, untilMs)`. */
export interface TimestampRange {
  readonly fromMs: number;
  readonly untilMs: number;
}

/** The epoch-millisecond range of `years` (from 1 January of min to the end of max, UTC). */
export function timestampRange(years: IndexableYears = DEFAULT_INDEXABLE_YEARS): TimestampRange {
  // Date.UTC reads years 0–99 as 1900–1999; setUTCFullYear does not.
  const at = (year: number) => new Date(0).setUTCFullYear(year, 0, 1);
  return { fromMs: at(years.min), untilMs: at(years.max + 1) };
}

/** True when a line with this @timestamp (epoch ms) may name a daily index. */
export function isIndexableTimestamp(timestampMs: number, range: TimestampRange): boolean {
  return timestampMs >= range.fromMs && timestampMs < range.untilMs;
}
