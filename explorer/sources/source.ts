/**
 * The seam between the model and the stores. A source only fetches lines by the join keys;
 * the join rules themselves live in model/join.ts so Elasticsearch and the NDJSON files give
 * the same trace for the same lines.
 */
import type { F } from '../../workload/log/vocabulary.ts';
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

/** A store of log lines the explorer can query. */
export interface LogSource {
  readonly kind: 'elasticsearch' | 'files';
  /** Where the lines come from, for headers and errors: a URL and index pattern, or a directory. */
  readonly description: string;
  /** Every line carrying one of these correlation ids. */
  byCorrelationIds(ids: readonly string[]): Promise<Hit[]>;
  /** Every line carrying one of these task ids, plus duplicates that point at them or at `correlationId`. */
  related(taskIds: readonly string[], correlationId: string | undefined): Promise<Hit[]>;
  /** Lines written since `sinceMs`, newest first, at most `limit`. */
  recent(sinceMs: number | undefined, limit: number): Promise<Hit[]>;
  /** Known ids close to one that matched nothing. */
  nearest(id: string, field: IdField): Promise<NearestIds>;
  /** Lines skipped as malformed so far. */
  malformedLines(): number;
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
