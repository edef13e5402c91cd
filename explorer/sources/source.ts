/**
 * The seam between the model and the stores. A source only fetches lines by the join keys;
 * the join rules themselves live in model/join.ts so Elasticsearch and the NDJSON files give
 * the same trace for the same lines.
 */
import type { F, LogRecord } from '../../contract/vocabulary.ts';
import type { Hit } from '../model/types.ts';

/** The id fields "not found" looks for neighbours in. */
export type IdField = typeof F.CORRELATION_ID | typeof F.TASK_ID;

/** Time range a source covered, for "not found" messages. */
export interface SearchedRange {
  readonly from: number | undefined;
  readonly to: number | undefined;
}

/** Ids that look like the one that was not found, and what was searched. */
export interface NearestIds {
  readonly matches: readonly string[];
  readonly range: SearchedRange;
}

/**
 * Whether a fetch returns status-poll lines (the ones model/join.ts's polledTaskId names a
 * task for). A long-polled request is fetched as everything else plus its polls in pages.
 */
export type PollLines = 'include' | 'exclude';

/** What one fetch looks for, as {@link LogSource.byCorrelationIds} and {@link LogSource.related} take it. */
export type Lookup =
  | { readonly kind: 'correlation'; readonly correlationIds: readonly string[] }
  | { readonly kind: 'trace'; readonly traceIds: readonly string[] }
  | { readonly kind: 'related'; readonly taskIds: readonly string[]; readonly correlationId: string | undefined };

/** Counts over every status-poll line of a lookup, delivered yet or not. */
export interface PollSummary {
  /** Poll lines in all. */
  readonly lines: number;
  /** Status polls: their `http.request.received` lines. */
  readonly polls: number;
  /** The same per polled task, for the lines that name it. */
  readonly pollsByTask: ReadonlyMap<string, number>;
  /** Every task the lines ask about; undefined when the source could not list them all. */
  readonly taskIds: readonly string[] | undefined;
  /** Newest written time (epoch ms) of the lines, per process. */
  readonly newestByInstance: ReadonlyMap<string, number>;
}

/** The status-poll lines of a lookup: the first ones in time order now, the rest on demand. */
export interface PollPages {
  /** The first lines in time order (at most the page size asked for). */
  readonly first: Hit[];
  /** True when more lines follow `first`. */
  readonly more: boolean;
  readonly summary: PollSummary;
  /** The lines after `first`, in time order; a line at the page's edge may come again. */
  rest(): Promise<Hit[]>;
}

/**
 * The lines behind the fleet view, read in passes: the first pass delivers the window, each
 * later one (--follow) what arrived since, or the whole window again after calling
 * `startOver` (a store that cannot tell what is new, or files that were rewritten).
 */
export interface LineFeed {
  /**
   * Hand each line's record and @timestamp (epoch ms; undefined: read it from the record) to
   * `visit`. Status polls may be left out: they change no row of the fleet view. Calls
   * `startOver` before any line when this pass delivers the whole window again: the reader
   * then folds into an empty state, not into what earlier passes delivered.
   */
  next(visit: (record: LogRecord, at: number | undefined) => void, startOver: () => void): Promise<void>;
}

/** A store of log lines the explorer can query. */
export interface LogSource {
  readonly kind: 'elasticsearch' | 'files';
  /** Where the lines come from, for headers and errors: a URL and index pattern, or a directory. */
  readonly description: string;
  /** Every line carrying one of these correlation ids (without status polls on 'exclude'). */
  byCorrelationIds(ids: readonly string[], polls?: PollLines): Promise<Hit[]>;
  /** Every line carrying one of these W3C trace ids (`trace.id`). */
  byTraceIds(ids: readonly string[]): Promise<Hit[]>;
  /**
   * Every line carrying one of these task ids, plus duplicates that point at them or at
   * `correlationId`, but none of `correlationId`'s own lines (without status polls on 'exclude').
   */
  related(taskIds: readonly string[], correlationId: string | undefined, polls?: PollLines): Promise<Hit[]>;
  /** The status-poll lines of a lookup: the first `firstPage` in time order, a summary of all, the rest later. */
  statusPolls(lookup: Lookup, firstPage: number): Promise<PollPages>;
  /** Lines written since `sinceMs`, newest first, at most `limit`. */
  recent(sinceMs: number | undefined, limit: number): Promise<Hit[]>;
  /**
   * The lines of the requests written since `sinceMs` (every one of them, not the newest lines
   * only), for the fleet view: from a store that can rank requests, those of the newest `limit`.
   */
  feed(sinceMs: number | undefined, limit: number): LineFeed;
  /** Known ids close to one that matched nothing. */
  nearest(id: string, field: IdField): Promise<NearestIds>;
  /**
   * Whether any line's text holds `id` at all, in any field: tells "not found" that the id
   * is there under a name the contract does not use. Optional: only a source that can ask
   * cheaply has it.
   */
  mentions?(id: string): Promise<boolean>;
  /**
   * Up to `limit` lines spread over the store, lines without a valid time included, for
   * `dtq-explore doctor`. Optional: a source without it is sampled with {@link recent}.
   */
  sample?(sinceMs: number | undefined, limit: number): Promise<Hit[]>;
  /** Lines skipped as malformed so far. */
  malformedLines(): number;
  /** Inputs the latest lookup skipped (an unreadable file, a FIFO, a symlink loop), one line each. */
  notices?(): readonly string[];
  close(): Promise<void>;
}

/** Rank candidate ids by closeness to `id`: shared prefix first, then edit distance. */
export function rankNearest(id: string, candidates: Iterable<string>, max = 5): string[] {
  const scored: { candidate: string; score: number }[] = [];
  for (const candidate of new Set(candidates)) {
    if (candidate === id) continue;
    let prefix = 0;
    while (prefix < id.length && prefix < candidate.length && id[prefix] === candidate[prefix]) prefix++;
    const contains = candidate.includes(id) || id.includes(candidate) ? 3 : 0;
    const score = editDistance(id, candidate) - prefix * 2 - contains;
    scored.push({ candidate, score });
  }
  const cutoff = Math.max(3, Math.ceil(id.length / 2));
  return scored
    .filter((s) => s.score <= cutoff)
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, max)
    .map((s) => s.candidate);
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 40) return Math.abs(a.length - b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
