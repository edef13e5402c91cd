/**
 * From one raw line of a source file to what the bulk request carries: a document with its
 * deterministic `_id` and daily index, or a rejection with its reason. Pure: no I/O, so the
 * same line always gives the same answer, which is what makes a re-sent line a 409.
 */
import { indexForTimestamp } from '../elk/indices.ts';
import { F, type LogRecord, normalizeNginxLine } from '../workload/log/vocabulary.ts';

/** Why a line went to the dead-letter file instead of Elasticsearch. */
export const REJECT_REASONS = {
  NOT_JSON: 'not_json',
  NOT_AN_OBJECT: 'not_an_object',
  LINE_TOO_LONG: 'line_too_long',
  BAD_TIMESTAMP: 'bad_timestamp',
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
  /** Set when the line exceeded the length limit and was skipped rather than read whole. */
  truncatedFrom?: number;
}

/** What happens to a line. */
export type PreparedLine =
  | { kind: 'doc'; id: string; index: string; source: string; timestampMs: number }
  | { kind: 'reject'; reason: RejectReason; detail: string }
  | { kind: 'skip' };

/**
 * The `_id` of the line at `offset` of the file with `fingerprint`: the file's fingerprint
 * (64 bits of it) then the offset, zero-padded base 36, so ids sort in file order. An explicit
 * `_id` makes Elasticsearch look the id up before every write; ids of one file that share a
 * prefix and grow keep those lookups cheap (a random hash per line was measured slower), and no
 * hash is computed per line.
 */
export function documentId(fingerprint: string, offset: number): string {
  return `${fingerprint.slice(0, 16)}-${offset.toString(36).padStart(OFFSET_DIGITS, '0')}`;
}

/** Base-36 digits of an offset in an `_id`: enough for files of 3.6 × 10^15 bytes. */
const OFFSET_DIGITS = 10;

/** Decide what to do with one line. `prefix` is the index prefix. */
export function prepareLine(line: SourceLine, prefix: string): PreparedLine {
  if (line.truncatedFrom !== undefined) {
    return {
      kind: 'reject',
      reason: REJECT_REASONS.LINE_TOO_LONG,
      detail: `line of ${line.truncatedFrom} bytes exceeds the limit (DTQ_SHIPPER_MAX_LINE_BYTES)`,
    };
  }
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
  const normalized = normalizeNginxLine(record);
  const timestamp = normalized[F.TIMESTAMP];
  const timestampMs =
    typeof timestamp === 'string' || typeof timestamp === 'number' ? new Date(timestamp).getTime() : Number.NaN;
  if (Number.isNaN(timestampMs)) {
    // The index is chosen by the line's own time; without one a re-sent line could land in
    // another day's index and be doubled, so it is not indexed at all.
    return { kind: 'reject', reason: REJECT_REASONS.BAD_TIMESTAMP, detail: `${F.TIMESTAMP} missing or not a date` };
  }
  return {
    kind: 'doc',
    id: documentId(line.fingerprint, line.offset),
    index: indexForTimestamp(timestampMs, prefix),
    // Unchanged lines go out byte for byte: no re-serialisation cost, no drift.
    source: normalized === record ? line.text : JSON.stringify(normalized),
    timestampMs,
  };
}
