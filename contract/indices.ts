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
