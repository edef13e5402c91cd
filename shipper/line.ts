/**
 * From one raw line of a source file to what the bulk request carries: a document with its
 * deterministic `_id` and daily index, or a rejection with its reason. Pure: no I/O, so the
 * same line always gives the same answer, which is what makes a re-sent line a 409.
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_INDEXABLE_YEARS,
  isIndexableTimestamp,
  type TimestampRange,
  timestampRange,
} from '../contract/indices.ts';
import { F, type LogRecord, normalizeNginxLine } from '../contract/vocabulary.ts';

/** Why a line went to the dead-letter file instead of Elasticsearch. */
export const REJECT_REASONS = {
  NOT_JSON: 'not_json',
  NOT_AN_OBJECT: 'not_an_object',
  LINE_TOO_LONG: 'line_too_long',
  BAD_TIMESTAMP: 'bad_timestamp',
  TIMESTAMP_OUT_OF_RANGE: 'timestamp_out_of_range',
  NESTING_TOO_DEEP: 'nesting_too_deep',
  ES_REJECTED: 'es_rejected',
} as const;

/** A reason from {@link REJECT_REASONS}. */
export type RejectReason = (typeof REJECT_REASONS)[keyof typeof REJECT_REASONS];

/** One complete line as the tailer read it. */
export interface SourceLine {
  /** Content identity of the file (see tailer.ts); with `offset` it names the line forever. */
  fingerprint: string;
  path: string;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's newline: the registry offset once this line is acknowledged. */
  end: number;
  /** The line without its newline; for a too-long line only its first bytes. */
  text: string;
  /**
   * The same line as the bytes read, when the tailer has them: a view into its read buffer,
   * valid only until the next line is read (a batch copies it at once).
   */
  bytes?: Uint8Array;
  /** Set when the line exceeded the length limit and was skipped rather than read whole. */
  truncatedFrom?: number;
  /**
   * Whether the bytes were not valid UTF-8 (`text` then has U+FFFD where each bad sequence was);
   * undefined when the reader did not check.
   */
  invalidUtf8?: boolean;
}

/** What happens to a line. */
export type PreparedLine =
  | { kind: 'doc'; id: string; index: string; source: string; timestampMs: number }
  | { kind: 'reject'; reason: RejectReason; detail: string }
  | { kind: 'skip' };

/**
 * The `_id` of the line at `offset` of the file with `fingerprint` on the host of `hostTag`
 * ({@link hostIdTag}): the file's fingerprint (64 bits of it), the host's tag, then the offset,
 * zero-padded base 36, so ids sort in file order. An explicit `_id` makes Elasticsearch look the
 * id up before every write; ids of one file that share a prefix and grow keep those lookups
 * cheap (a random hash per line was measured slower), and no hash is computed per line. The
 * host's tag keeps apart byte-identical files of two hosts shipping into one index (same name,
 * same first line), which the fingerprint alone would take for one file.
 */
export function documentId(fingerprint: string, offset: number, hostTag = ''): string {
  return `${fingerprint.slice(0, 16)}${hostTag}-${offset.toString(36).padStart(OFFSET_DIGITS, '0')}`;
}

/** The host's part of its shippers' document ids: 32 bits of the SHA-256 of its name, in hex. */
export function hostIdTag(hostName: string): string {
  return createHash('sha256').update(hostName).digest('hex').slice(0, 8);
}

/** Base-36 digits of an offset in an `_id`: enough for files of 3.6 × 10^15 bytes. */
const OFFSET_DIGITS = 10;

/** Names the daily index of a line from its @timestamp (see contract/indices.ts dailyIndexNamer). */
export type IndexNamer = (timestampMs: number) => string;

/** The timestamps a line may have by default (DEFAULT_INDEXABLE_YEARS). */
const DEFAULT_RANGE = timestampRange(DEFAULT_INDEXABLE_YEARS);

/**
 * Decide what to do with one line; `indexFor` names the index of its day, for lines whose
 * @timestamp is within `range` (others are refused before any index is named); `hostTag` is
 * the host's part of the document id ({@link documentId}). Never throws.
 */
export function prepareLine(
  line: SourceLine,
  indexFor: IndexNamer,
  range: TimestampRange = DEFAULT_RANGE,
  hostTag = '',
): PreparedLine {
  if (line.truncatedFrom !== undefined) {
    return {
      kind: 'reject',
      reason: REJECT_REASONS.LINE_TOO_LONG,
      detail: `line of ${line.truncatedFrom} bytes exceeds the limit (DTQ_SHIPPER_MAX_LINE_BYTES)`,
    };
  }
  // A line with invalid UTF-8 is flagged in its document, so it is always parsed.
  const fast = line.invalidUtf8 ? undefined : fastTimestampMs(line.text);
  if (fast !== undefined) {
    if (!isIndexableTimestamp(fast, range)) return outOfRange(fast, range);
    return {
      kind: 'doc',
      id: documentId(line.fingerprint, line.offset, hostTag),
      index: indexFor(fast),
      source: line.text,
      timestampMs: fast,
    };
  }
  return prepareParsedLine(line, indexFor, range, hostTag);
}

/**
 * {@link prepareLine} without its fast path: the line is parsed as JSON. Exported so tests can
 * hold the fast path to the answer of the full parse.
 */
export function prepareParsedLine(
  line: SourceLine,
  indexFor: IndexNamer,
  range: TimestampRange = DEFAULT_RANGE,
  hostTag = '',
): PreparedLine {
  if (line.text.trim() === '') return { kind: 'skip' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.text);
  } catch (error) {
    return { kind: 'reject', reason: REJECT_REASONS.NOT_JSON, detail: (error as Error).message };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {
      kind: 'reject',
      reason: REJECT_REASONS.NOT_AN_OBJECT,
      detail: `a JSON ${Array.isArray(parsed) ? 'array' : typeof parsed}`,
    };
  }
  const record = parsed as LogRecord;
  let normalized = normalizeNginxLine(record);
  const timestamp = normalized[F.TIMESTAMP];
  const timestampMs =
    typeof timestamp === 'string' || typeof timestamp === 'number' ? new Date(timestamp).getTime() : Number.NaN;
  if (Number.isNaN(timestampMs)) {
    // The index is chosen by the line's own time; without one a re-sent line could land in
    // another day's index and be doubled, so it is not indexed at all.
    return { kind: 'reject', reason: REJECT_REASONS.BAD_TIMESTAMP, detail: `${F.TIMESTAMP} missing or not a date` };
  }
  if (!isIndexableTimestamp(timestampMs, range)) return outOfRange(timestampMs, range);
  if (line.invalidUtf8) {
    // Shipped all the same: the line is still a valid event (only some bytes of one value were
    // bad), and dropping it would cut a trace; the flag says which documents hold a U+FFFD that
    // was not in the source.
    if (normalized === record) normalized = { ...record };
    normalized[F.SHIPPER_INVALID_UTF8] = true;
  }
  let source = line.text;
  if (normalized !== record) {
    try {
      source = JSON.stringify(normalized);
    } catch (error) {
      // JSON.parse is iterative but JSON.stringify recurses: thousands of nested levels overflow
      // its stack. Elasticsearch refuses more than 20 levels anyway (index.mapping.depth.limit).
      return { kind: 'reject', reason: REJECT_REASONS.NESTING_TOO_DEEP, detail: (error as Error).message };
    }
  }
  return {
    kind: 'doc',
    id: documentId(line.fingerprint, line.offset, hostTag),
    index: indexFor(timestampMs),
    // Unchanged lines go out byte for byte: no re-serialisation cost, no drift.
    source,
    timestampMs,
  };
}

function outOfRange(timestampMs: number, range: TimestampRange): PreparedLine {
  const year = (ms: number) => new Date(ms).getUTCFullYear();
  return {
    kind: 'reject',
    reason: REJECT_REASONS.TIMESTAMP_OUT_OF_RANGE,
    detail: `${F.TIMESTAMP} ${new Date(timestampMs).toISOString()} is outside the indexable years ${year(range.fromMs)}..${year(range.untilMs) - 1} (DTQ_SHIPPER_MIN_YEAR, DTQ_SHIPPER_MAX_YEAR)`,
  };
}

/** `@timestamp":"`: the key as written, without its opening quote. */
const TIMESTAMP_NAME = `${F.TIMESTAMP}":"`;
/** `@timestamp"`: any other occurrence (a duplicate key with another value) takes the slow path. */
const TIMESTAMP_KEY = `${F.TIMESTAMP}"`;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const SPACE = 0x20;
/** Before this year Date.UTC reads 0-99 as 1900-1999; Date.parse takes those. */
const FIRST_DIGIT_READ_YEAR = 100;

/**
 * The line's @timestamp in epoch ms without parsing the line, when the answer is the one a full
 * parse would give: the line is one object, its only `"@timestamp":"` is a top-level key
 * holding a plain date string (and no other `@timestamp"` is in the line), and it is not an
 * nginx line (those are rewritten). Parsing every
 * line was the shipper's largest CPU cost, and on a shared machine the shipper's CPU is taken
 * from Elasticsearch. A line that only looks like an object is still dead-lettered, because
 * Elasticsearch rejects it with its parser's message (document_parsing_exception, also for a
 * duplicate key); the one thing its parser accepts and JSON does not, comments, is checked for
 * here. Lines with `\u` escapes (a key or a service name could hide behind one) take the slow
 * path. Undefined means: take the slow path.
 */
export function fastTimestampMs(text: string): number | undefined {
  if (text.charCodeAt(0) !== OPEN_BRACE || text.charCodeAt(text.length - 1) !== CLOSE_BRACE) return undefined;
  // Screens use patterns that start with a rare character: V8 scans for a pattern's first
  // character, and a JSON line is full of quotes. Any "nginx" value contains `ginx"`.
  if (text.includes('ginx"') || text.includes('\\u')) return undefined;
  const name = text.indexOf(TIMESTAMP_NAME);
  if (
    name < 1 ||
    text.charCodeAt(name - 1) !== QUOTE ||
    text.indexOf(TIMESTAMP_KEY) !== name ||
    text.includes(TIMESTAMP_KEY, name + 1)
  )
    return undefined;
  if (!isTopLevelKey(text, name - 1)) return undefined;
  if (text.includes('/') && hasSlashOutsideStrings(text)) return undefined;
  const valueStart = name + TIMESTAMP_NAME.length;
  const valueEnd = text.indexOf('"', valueStart);
  if (valueEnd < 0) return undefined;
  const ms = isoUtcMs(text, valueStart, valueEnd);
  if (ms !== undefined) return ms;
  const value = text.slice(valueStart, valueEnd);
  if (value.includes('\\')) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (what pino's and nginx's normalised lines carry) read digit by
 * digit; anything else, any day after the 28th and any year before 100 is left to Date.parse,
 * so month lengths, leap years and old dates are its business, not ours.
 */
function isoUtcMs(text: string, start: number, end: number): number | undefined {
  if (end - start !== 24) return undefined;
  for (let k = 0; k < ISO_SEPARATORS.length; k += 2) {
    if (text.charCodeAt(start + (ISO_SEPARATORS[k] as number)) !== ISO_SEPARATORS[k + 1]) return undefined;
  }
  const year = digits(text, start, 4);
  const month = digits(text, start + 5, 2);
  const day = digits(text, start + 8, 2);
  const hour = digits(text, start + 11, 2);
  const minute = digits(text, start + 14, 2);
  const second = digits(text, start + 17, 2);
  const milli = digits(text, start + 20, 3);
  const valid =
    year >= FIRST_DIGIT_READ_YEAR &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 28 &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    milli >= 0;
  return valid ? Date.UTC(year, month - 1, day, hour, minute, second, milli) : undefined;
}

/** Position, character pairs of the separators in `YYYY-MM-DDTHH:MM:SS.sssZ`. */
const ISO_SEPARATORS: readonly number[] = [4, 0x2d, 7, 0x2d, 10, 0x54, 13, 0x3a, 16, 0x3a, 19, 0x2e, 23, 0x5a];

/** The decimal number of `length` digits at `from`, NaN if one is not a digit. */
function digits(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** True when the quote at `at` opens a key of the outermost object (outside strings, depth 1, after `{` or `,`). */
function isTopLevelKey(text: string, at: number): boolean {
  let depth = 0;
  let inString = false;
  let last = 0;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    if (c > SPACE) last = c;
  }
  return !inString && depth === 1 && (last === OPEN_BRACE || last === COMMA);
}

/** True when a `/` stands outside every string: a comment, which Elasticsearch's parser would accept. */
function hasSlashOutsideStrings(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === SLASH) return true;
  }
  return false;
}
