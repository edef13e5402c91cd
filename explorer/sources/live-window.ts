/**
 * The fleet view's window as --follow keeps it between passes over Elasticsearch: every line
 * of the newest `limit` requests, held by document id, so a later pass asks the store only for
 * the lines indexed since (and the whole of a request it has not seen) instead of ranking the
 * window and reading every request again. Pure: the source does the searches.
 *
 * The ranking is the one fleetRankingSearch asks Elasticsearch for, done here over the lines
 * held: a request ranks by its earliest line that opens work (a request received, an nginx
 * access line, an enqueue, a blocked duplicate) within the window, health probes aside; status
 * polls are never fetched. Newest first; on a tie the smaller id, as a terms aggregation does.
 */
import { DUPLICATE_EVENTS, EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { timestampOf } from '../model/fields.ts';
import type { Hit } from '../model/types.ts';

/**
 * How far before the newest line held a pass looks again: a line indexed late (the shipper's
 * batches, Elasticsearch's refresh) or stamped earlier than lines already read (another
 * process's clock) is read if it is at most this much older. Lines read twice are dropped by
 * their document id.
 */
export const LIVE_OVERLAP_MS = 5000;

const RANKING_ACTIONS: ReadonlySet<string> = new Set([
  EVENTS.HTTP_REQUEST_RECEIVED,
  EVENTS.NGINX_ACCESS,
  EVENTS.TASK_ENQUEUED,
  ...Object.keys(DUPLICATE_EVENTS),
]);
const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready']);

/** One request held: its lines by document id (`index/id`) and its rank. */
interface Held {
  readonly lines: Map<string, Hit>;
  /** Its earliest ranking line's time, or undefined when it has none in the window. */
  rank: number | undefined;
}

/** The lines of the newest requests, kept across passes. */
export class LiveWindow {
  readonly #limit: number;
  readonly #sinceMs: number | undefined;
  readonly #requests = new Map<string, Held>();
  /** Document ids read lately, with their times: what the overlap of the next pass drops. */
  #recent = new Map<string, number>();
  #newest = Number.NEGATIVE_INFINITY;
  /**
   * A request ranked at least as high as every ranked one not held (let go, or never read by
   * a full pass that stopped at `limit`); undefined while none can exist. A held request that
   * falls behind it (a late line opened its work earlier) may be behind one not held.
   */
  #cut: Ranked | undefined;

  readonly #now: () => number;

  /** `now`: this machine's clock, which bounds how far ahead a line's stamp can move the next read. */
  constructor(limit: number, sinceMs: number | undefined, now: () => number = Date.now) {
    this.#limit = limit;
    this.#sinceMs = sinceMs;
    this.#now = now;
  }

  /**
   * Where the next pass reads from (epoch ms): the newest line held, less the overlap; undefined
   * while none is held. A line stamped ahead of this machine's clock (a writer's clock running
   * fast) does not move it past now, or every line written after it, stamped right, would fall
   * before the read and never show. Those stamped ahead are read again by every pass until
   * the clock reaches them, and dropped by id.
   */
  get readFrom(): number | undefined {
    return this.#newest === Number.NEGATIVE_INFINITY
      ? undefined
      : Math.min(this.#newest, this.#now()) - LIVE_OVERLAP_MS;
  }

  /** Requests held. */
  get size(): number {
    return this.#requests.size;
  }

  /** Forget everything, and take the lines of a full pass (the ranked requests, read whole). */
  reset(hits: readonly Hit[]): void {
    this.#requests.clear();
    this.#recent.clear();
    this.#newest = Number.NEGATIVE_INFINITY;
    this.#cut = undefined;
    this.#take(hits);
    this.#settle(true);
  }

  /**
   * Of the lines indexed since {@link readFrom}, those not read before, and the requests they
   * belong to that are not held: the source reads those whole and hands them to {@link merge}.
   */
  arrived(hits: readonly Hit[]): { fresh: Hit[]; unknown: string[] } {
    const fresh: Hit[] = [];
    const unknown = new Set<string>();
    for (const hit of hits) {
      if (this.#recent.has(hit.source)) continue;
      const cid = cidOf(hit.record);
      if (cid === undefined) continue;
      fresh.push(hit);
      if (!this.#requests.has(cid)) unknown.add(cid);
    }
    return { fresh, unknown: [...unknown] };
  }

  /**
   * Fold in a pass's fresh lines of held requests and the whole lines of the others, then keep
   * the newest `limit`. False when a request not held may now rank among them: the caller
   * ranks the window anew ({@link reset}).
   */
  merge(fresh: readonly Hit[], whole: readonly Hit[]): boolean {
    // A request read whole is taken as read: its fresh lines are among its lines.
    const wholeIds = new Set<string>();
    for (const hit of whole) {
      const cid = cidOf(hit.record);
      if (cid !== undefined) wholeIds.add(cid);
    }
    this.#take(fresh.filter((hit) => !wholeIds.has(cidOf(hit.record) ?? '')));
    this.#take(whole);
    return this.#settle(false);
  }

  /** Every line held, in the order a search reads them: by time, then sequence. */
  lines(): Hit[] {
    const all: { hit: Hit; at: number; sequence: number }[] = [];
    for (const held of this.#requests.values())
      for (const hit of held.lines.values()) {
        const sequence = hit.record[F.EVENT_SEQUENCE];
        all.push({
          hit,
          // Lines without a time sort last, as Elasticsearch sorts a missing value ascending.
          at: hit.at ?? timestampOf(hit.record) ?? Number.POSITIVE_INFINITY,
          sequence: typeof sequence === 'number' ? sequence : 0,
        });
      }
    all.sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1) || a.sequence - b.sequence);
    return all.map(({ hit }) => hit);
  }

  #take(hits: readonly Hit[]): void {
    for (const hit of hits) {
      const cid = cidOf(hit.record);
      if (cid === undefined) continue;
      let held = this.#requests.get(cid);
      if (held === undefined) {
        held = { lines: new Map(), rank: undefined };
        this.#requests.set(cid, held);
      }
      if (held.lines.has(hit.source)) continue;
      held.lines.set(hit.source, hit);
      const at = hit.at ?? timestampOf(hit.record);
      if (at === undefined) continue;
      this.#recent.set(hit.source, at);
      if (at > this.#newest) this.#newest = at;
      if (ranks(hit.record, at, this.#sinceMs) && (held.rank === undefined || at < held.rank)) held.rank = at;
    }
  }

  /**
   * Keep the newest `limit` ranked requests, and only the recent ids the next overlap can meet;
   * false when one kept ranks behind {@link #cut}. After a full pass (`ranked`), a window as
   * full as `limit` may have requests beyond it that the pass did not read.
   */
  #settle(ranked: boolean): boolean {
    const order: Ranked[] = [];
    for (const [cid, held] of this.#requests) if (held.rank !== undefined) order.push({ cid, rank: held.rank });
    order.sort(byRank);
    const worstKept = order[Math.min(order.length, this.#limit) - 1];
    const exact = this.#cut === undefined || worstKept === undefined || byRank(worstKept, this.#cut) <= 0;
    // The first let go or, after a full pass that filled the window, the last kept.
    const bound =
      order.length > this.#limit ? order[this.#limit] : ranked && order.length === this.#limit ? worstKept : undefined;
    if (bound !== undefined && (this.#cut === undefined || byRank(bound, this.#cut) < 0)) this.#cut = bound;
    const kept = new Set(order.slice(0, this.#limit).map(({ cid }) => cid));
    for (const cid of this.#requests.keys()) if (!kept.has(cid)) this.#requests.delete(cid);
    const from = this.readFrom ?? Number.NEGATIVE_INFINITY;
    const recent = new Map<string, number>();
    for (const [id, at] of this.#recent) if (at >= from) recent.set(id, at);
    this.#recent = recent;
    return exact;
  }
}

/** A request's place in the window: its rank and id. */
interface Ranked {
  readonly cid: string;
  readonly rank: number;
}

/** Newest rank first; on a tie the smaller id. */
function byRank(a: Ranked, b: Ranked): number {
  return b.rank - a.rank || (a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0);
}

/** The correlation id as Elasticsearch's terms aggregation keys it. */
function cidOf(record: LogRecord): string | undefined {
  const value = record[F.CORRELATION_ID];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Whether a line ranks its request (fleetRankingSearch's filter for contract lines). */
function ranks(record: LogRecord, at: number, sinceMs: number | undefined): boolean {
  if (sinceMs !== undefined && at < sinceMs) return false;
  const action = record[F.EVENT_ACTION];
  if (typeof action !== 'string' || !RANKING_ACTIONS.has(action)) return false;
  const path = record[F.URL_PATH];
  return typeof path !== 'string' || !PROBE_PATHS.has(path);
}
