/**
 * The fleet view's rows from a source: the source's feed folded into a ledger, pass after
 * pass. The ledger keeps what earlier passes read, so a --follow refresh reads only what
 * arrived (from files) and the rows stay exact for the whole window; a pass that delivers the
 * whole window again (the feed says so before its first line) is folded into a fresh ledger.
 */
import { DEFAULT_SORT, listRequests, type RequestFilter } from './model/list-view.ts';
import { isStuck, p95ByType } from './model/overview.ts';
import type { QueueDepth } from './model/queue-depth.ts';
import { RequestLedger, type RequestSummary } from './model/request-list.ts';
import type { LogSource } from './sources/source.ts';

/** Requests a store that ranks them is asked for when a filter may drop most of them. */
const FILTERED_REQUESTS = 10_000;

/** Reads the rows of the fleet view, and the ledger behind them (for the overview). */
export interface FleetFeed {
  /** Fold what arrived since the last call and return the rows, filtered and sorted. */
  rows(): Promise<RequestSummary[]>;
  /** Fold what arrived since the last call. */
  refresh(): Promise<RequestLedger>;
  /** The newest queue-depth reading folded so far. */
  queueDepth(): QueueDepth | undefined;
}

/** The fleet view of `source` under `filter`; `now` tells how long a running attempt has run. */
export function fleetFeed(source: LogSource, filter: RequestFilter, now: () => number = Date.now): FleetFeed {
  const limit = filter.limit ?? 200;
  const narrowed = isNarrowed(filter);
  const feed = source.feed(filter.sinceMs, narrowed ? Math.max(limit, FILTERED_REQUESTS) : limit);
  let ledger = new RequestLedger();
  // One pass at a time: two passes over the same files from the same offsets would fold the
  // new lines twice.
  let passing: Promise<RequestLedger> = Promise.resolve(ledger);
  const pass = async (): Promise<RequestLedger> => {
    // A pass that starts over folds into a fresh ledger, shown once the pass is done; one that
    // does not folds what arrived into the ledger it has.
    let into = ledger;
    await feed.next(
      (record, at) => into.add(record, at),
      () => {
        into = new RequestLedger();
      },
    );
    ledger = into;
    return ledger;
  };
  const refresh = (): Promise<RequestLedger> => {
    passing = passing.then(pass, pass);
    return passing;
  };
  return {
    refresh,
    queueDepth: () => ledger.queueDepth(),
    rows: async () => fleetRows(await refresh(), filter, now()),
  };
}

/** The ledger's requests under `filter`, sorted; under `--status stuck`, those running far past their type's p95 (isStuck). */
export function fleetRows(ledger: RequestLedger, filter: RequestFilter, now: number): RequestSummary[] {
  // The plain list (newest first, no filter but the window): only the rows shown are summarised.
  if (isPlainList(filter) && filter.limit !== undefined)
    return listRequests(ledger.newest(filter.limit, filter.sinceMs), filter);
  if (filter.status !== 'stuck') return listRequests(ledger.summaries(), filter);
  const p95 = p95ByType(ledger.tasks());
  return listRequests(ledger.summaries(), { ...filter, keep: (row) => isStuck(row, p95, now) });
}

/** True when `filter` keeps every request of the window and sorts them newest first. */
function isPlainList(filter: RequestFilter): boolean {
  const sort = filter.sort ?? DEFAULT_SORT;
  return (
    !isNarrowed(filter) &&
    filter.keep === undefined &&
    sort.key === DEFAULT_SORT.key &&
    sort.descending === DEFAULT_SORT.descending
  );
}

/** True when `filter` drops requests of the window by more than their time. */
function isNarrowed(filter: RequestFilter): boolean {
  return (
    filter.status !== undefined ||
    filter.service !== undefined ||
    filter.type !== undefined ||
    filter.queue !== undefined ||
    filter.worker !== undefined ||
    filter.minDurationMs !== undefined ||
    filter.text !== undefined
  );
}
