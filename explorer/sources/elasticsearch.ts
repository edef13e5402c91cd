/**
 * Elasticsearch as a source: term queries on the join keys over the log index pattern, with
 * point-in-time + search_after when a trace has more lines than one page.
 *
 * It speaks HTTP through dtq's one Elasticsearch client (elk/client.ts on node:http), not
 * @elastic/elasticsearch or fetch: the explorer's promise is a fast start, and either costs more
 * to load than the three endpoints used here (_search, _pit, _resolve/index) cost to call by
 * hand. With several nodes, queries take turns and move on from a node that is down.
 */
import { DtqError, dtqError } from '../../contract/dtq-error.ts';
import type { HttpResponse } from '../../contract/http-client.ts';
import { DUPLICATE_EVENTS, EVENTS, F, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { EsClient, errorOf } from '../../elk/client.ts';
import { type EsConnection, plainConnection } from '../../elk/connection.ts';
import { ES_ERRORS } from '../../elk/errors.ts';
import { EXPLORE_ERRORS } from '../errors.ts';
import type { Mapping } from '../mapping/mapping.ts';
import { STATUS_PATH_PREFIX, STATUS_ROUTE, statusPathTaskId } from '../model/join.ts';
import type { Hit } from '../model/types.ts';
import { LiveWindow } from './live-window.ts';
import {
  type IdField,
  type LineFeed,
  type LogSource,
  type Lookup,
  type NearestIds,
  type PollLines,
  type PollPages,
  type PollSummary,
  rankNearest,
} from './source.ts';

/**
 * An index pattern as one URL path segment: every character that is not plain in a path is
 * percent-encoded, except the `*` wildcards and `,` separators of Elasticsearch's
 * multi-target syntax, which must stay literal.
 */
export function encodeIndexPattern(index: string): string {
  return encodeURIComponent(index).replaceAll('%2C', ',');
}

/** Lines per search page; traces above this use a point in time. */
export const PAGE_SIZE = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const PIT_KEEP_ALIVE = '1m';

interface SearchHit {
  _index: string;
  _id: string;
  _source: Record<string, unknown>;
  sort?: unknown[];
}

interface Bucket {
  key: string;
  doc_count: number;
  newest?: { value: number | null };
}

interface Terms {
  buckets: Bucket[];
  sum_other_doc_count?: number;
}

interface PollAggregations {
  received: { doc_count: number; tasks: Terms };
  task_ids: Terms;
  paths: Terms;
  instances: Terms;
  times: { values: Record<string, number | null> };
}

interface SearchResponse {
  pit_id?: string;
  hits: { total?: { value: number; relation: string }; hits: SearchHit[] };
  aggregations?: Record<string, unknown>;
}

const SORT = [
  { [F.TIMESTAMP]: { order: 'asc' } },
  // nginx lines have no sequence: 0 rather than the default Long.MAX_VALUE, which a JSON
  // number cannot carry back exactly in search_after.
  { [F.EVENT_SEQUENCE]: { order: 'asc', unmapped_type: 'long', missing: 0 } },
];

/** Distinct ids a summary lists at most; a lookup with more falls back to loading every poll first. */
const MAX_SUMMARY_TERMS = 1000;

/** A Lucene regexp that matches the model's status paths: the prefix, then one segment. */
const STATUS_PATH_REGEXP = `${STATUS_PATH_PREFIX.replace(/[.?+*|{}[\]()"\\#@&<>~]/g, '\\$&')}[^/\\?]+`;

/**
 * The lines model/join.ts's polledTaskId calls status polls, as a query: a status read that
 * names its task, or an HTTP line (API or nginx) of a GET (or no method) whose route is the
 * status route with a task id, or whose path is a status path. Keep the two in step: a line
 * this query calls a poll that the model does not could wait for the second fetch, and the
 * first screen would miss it.
 */
const STATUS_POLL_QUERY = {
  bool: {
    should: [
      {
        bool: {
          filter: [{ term: { [F.EVENT_ACTION]: EVENTS.TASK_STATUS_READ } }, { exists: { field: F.TASK_ID } }],
        },
      },
      {
        bool: {
          filter: [
            {
              terms: {
                [F.EVENT_ACTION]: [EVENTS.HTTP_REQUEST_RECEIVED, EVENTS.HTTP_REQUEST_COMPLETED, EVENTS.NGINX_ACCESS],
              },
            },
            {
              bool: {
                should: [
                  {
                    bool: {
                      filter: [{ term: { [F.HTTP_ROUTE]: STATUS_ROUTE } }, { exists: { field: F.TASK_ID } }],
                    },
                  },
                  { regexp: { [F.URL_PATH]: { value: STATUS_PATH_REGEXP } } },
                ],
                minimum_should_match: 1,
              },
            },
          ],
          must_not: [
            {
              bool: {
                filter: [{ exists: { field: F.HTTP_METHOD } }],
                must_not: [{ term: { [F.HTTP_METHOD]: 'GET' } }],
              },
            },
          ],
        },
      },
    ],
    minimum_should_match: 1,
  },
};

/** Aggregations that summarise every status-poll line of a lookup (see PollSummary). */
const POLL_AGGREGATIONS = {
  received: {
    filter: { term: { [F.EVENT_ACTION]: EVENTS.HTTP_REQUEST_RECEIVED } },
    aggs: { tasks: { terms: { field: F.TASK_ID, size: MAX_SUMMARY_TERMS } } },
  },
  task_ids: { terms: { field: F.TASK_ID, size: MAX_SUMMARY_TERMS } },
  paths: { terms: { field: F.URL_PATH, size: MAX_SUMMARY_TERMS } },
  instances: {
    terms: { field: F.SERVICE_INSTANCE, size: MAX_SUMMARY_TERMS },
    aggs: { newest: { max: { field: F.TIMESTAMP } } },
  },
  // Where to cut the rest into slices of about equal size (see #slices).
  times: {
    percentiles: {
      field: F.TIMESTAMP,
      percents: [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95],
    },
  },
};

/** Requests the fleet view reads at most from Elasticsearch in one pass (the terms query's values). */
const MAX_FEED_REQUESTS = 10_000;

/** Lines a slice of the rest is meant to hold; more lines are cut into more slices. */
const LINES_PER_SLICE = 2500;
/** Slices searched at once: Elasticsearch searches each on one thread, so a few use idle cores. */
const MAX_SLICES = 4;

/** Where {@link fleetRankingSearch} finds the request's fields, and how many requests it ranks. */
export interface FleetRankingOptions {
  readonly time: string;
  readonly cid: string;
  /** The index holds contract lines: rank by a request's own lines, status polls and probes aside. */
  readonly contract: boolean;
  readonly sinceMs: number | undefined;
  readonly size: number;
}

/** The fleet view's first query: a terms aggregation that ranks the window's requests by their first line. */
export function fleetRankingSearch(options: FleetRankingOptions): Record<string, unknown> {
  const { time, cid, contract, sinceMs } = options;
  const filter: unknown[] = [{ exists: { field: cid } }];
  if (sinceMs !== undefined) filter.push({ range: { [time]: { gte: sinceMs, format: 'epoch_millis' } } });
  if (contract)
    filter.push({
      terms: {
        [F.EVENT_ACTION]: [
          EVENTS.HTTP_REQUEST_RECEIVED,
          EVENTS.NGINX_ACCESS,
          EVENTS.TASK_ENQUEUED,
          ...Object.keys(DUPLICATE_EVENTS),
        ],
      },
    });
  const query = {
    bool: {
      filter,
      ...(contract ? { must_not: [STATUS_POLL_QUERY, { terms: { [F.URL_PATH]: ['/health', '/ready'] } }] } : {}),
    },
  };
  return {
    size: 0,
    query,
    aggs: {
      requests: {
        terms: { field: cid, size: Math.min(options.size, MAX_FEED_REQUESTS), order: { first: 'desc' } },
        aggs: { first: { min: { field: time } } },
      },
    },
  };
}

/** Options of {@link ElasticsearchSource}. */
export interface ElasticsearchSourceOptions {
  /** Node URL(s), comma-separated, of a cluster without credentials; ignored when `connection` is given. */
  readonly url?: string;
  /** The cluster with credentials and trust (elk/connection.ts). */
  readonly connection?: EsConnection;
  /** Index pattern, e.g. dtq-logs-*. */
  readonly index: string;
  readonly pageSize?: number;
  /** The format's mapping (default: contract lines, the `dtq` profile). */
  readonly mapping?: Mapping | undefined;
}

/** Read log lines from Elasticsearch. */
export class ElasticsearchSource implements LogSource {
  readonly kind = 'elasticsearch' as const;
  readonly description: string;
  readonly #client: EsClient;
  readonly #url: string;
  readonly #index: string;
  readonly #pageSize: number;
  readonly #mapping: Mapping | undefined;
  readonly #sort: readonly unknown[];

  constructor(options: ElasticsearchSourceOptions) {
    const connection = options.connection ?? plainConnection(options.url ?? '');
    this.#client = new EsClient(connection, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    this.#url = this.#client.url;
    this.#index = options.index;
    this.#pageSize = options.pageSize ?? PAGE_SIZE;
    this.#mapping = options.mapping?.identity === false ? options.mapping : undefined;
    if (this.#mapping?.lines === 'otlp')
      throw dtqError(EXPLORE_ERRORS.BAD_MAPPING, {
        file: `profile ${this.#mapping.name}`,
        problem:
          "it reads OTLP JSON files as the Collector's file exporter writes them (--logs DIR); Elasticsearch holds documents of another shape. Read the files, or describe your documents in a mapping file",
      });
    this.#sort = this.#mapping === undefined ? SORT : mappedSort(this.#mapping);
    this.description = `Elasticsearch ${this.#url} (${this.#index})${this.#mapping ? ` (profile ${this.#mapping.name})` : ''}`;
  }

  // --- Mapping hook: with a foreign format, queries name the mapped fields and every hit is
  // mapped before the model sees it. Status polls of such a format cannot be told apart in a
  // query (their events and routes are foreign words), so they come with every lookup and
  // {@link statusPolls} has no pages of its own.

  #fields(contract: string): readonly string[] {
    return this.#mapping?.fieldsOf(contract) ?? [contract];
  }

  /** The one document field a sort, range or aggregation names for a contract field: the first mapped. */
  #field(contract: string): string {
    return this.#fields(contract)[0] ?? contract;
  }

  #toHits(hit: SearchHit): Hit[] {
    if (this.#mapping === undefined) return [toHit(hit)];
    const records = this.#mapping.map(hit._source);
    return records.map((record, k) => ({
      source: records.length === 1 ? `${hit._index}/${hit._id}` : `${hit._index}/${hit._id}.${k + 1}`,
      record: normalizeNginxLine(record),
    }));
  }

  #withPolls(query: unknown, polls: PollLines): unknown {
    return this.#mapping === undefined ? withPolls(query, polls) : query;
  }

  // --- End of the mapping hook.

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: HttpResponse;
    try {
      response = await this.#client.send(method, path, body === undefined ? {} : { body });
    } catch (error) {
      // Credentials, privileges and TLS keep their own errors, which name the setting to fix.
      if (!(error instanceof DtqError) || error.code !== ES_ERRORS.UNREACHABLE.code) throw error;
      const cause = error.cause as { code?: string; message?: string } | undefined;
      throw dtqError(EXPLORE_ERRORS.ES_UNREACHABLE, { url: this.#url, reason: cause?.code ?? error.message }, error);
    }
    const text = response.text;
    if (response.status < 200 || response.status >= 300) {
      const error = errorOf(text);
      if (error.type === 'index_not_found_exception')
        throw dtqError(EXPLORE_ERRORS.NO_INDEX, { url: this.#url, index: this.#index });
      const reason = `${error.type ?? ''} ${error.reason}`.trim();
      throw dtqError(EXPLORE_ERRORS.ES_QUERY_FAILED, {
        url: this.#url,
        index: this.#index,
        status: response.status,
        reason,
      });
    }
    return JSON.parse(text) as T;
  }

  #searchPath(): string {
    return `/${encodeIndexPattern(this.#index)}/_search?ignore_unavailable=true&allow_no_indices=true`;
  }

  /** The first `size` hits of a query in (time, sequence) order, with the total and any aggregations. */
  async #first(query: unknown, size: number, aggs?: unknown): Promise<SearchResponse> {
    return this.#call<SearchResponse>('POST', this.#searchPath(), {
      size,
      query,
      sort: this.#sort,
      track_total_hits: true,
      ...(aggs ? { aggs } : {}),
    });
  }

  /** Every hit of a query after a first page, through a point in time. */
  async #after(query: unknown, page: readonly SearchHit[]): Promise<Hit[]> {
    const hits: Hit[] = [];
    // A point in time keeps the pages consistent while the shipper writes.
    const pit = await this.#call<{ id: string }>(
      'POST',
      `/${encodeIndexPattern(this.#index)}/_pit?keep_alive=${PIT_KEEP_ALIVE}&ignore_unavailable=true&allow_no_indices=true`,
    );
    let pitId = pit.id;
    // Continue after the first page instead of reading it again. Its sort values lack the
    // point in time's _shard_doc tiebreaker: -1 sorts before every document, so lines that tie
    // with the page's last one are read again rather than skipped; those repeats are dropped
    // here (the model would drop them too, at the price of sorting their process's lines).
    const last = page.at(-1);
    const edge = new Set(page.filter((hit) => sameSort(hit.sort, last?.sort)).map((hit) => `${hit._index}/${hit._id}`));
    let after: unknown[] | undefined = last?.sort ? [...last.sort, -1] : undefined;
    try {
      for (;;) {
        const next: SearchResponse = await this.#call<SearchResponse>('POST', '/_search', {
          size: this.#pageSize,
          query,
          pit: { id: pitId, keep_alive: PIT_KEEP_ALIVE },
          sort: [...this.#sort, { _shard_doc: 'asc' }],
          track_total_hits: false,
          ...(after ? { search_after: after } : {}),
        });
        pitId = next.pit_id ?? pitId;
        for (const hit of next.hits.hits) {
          if (edge.has(`${hit._index}/${hit._id}`)) continue;
          for (const h of this.#toHits(hit)) hits.push(h);
        }
        const tail = next.hits.hits.at(-1);
        if (tail === undefined || next.hits.hits.length < this.#pageSize) break;
        after = tail.sort;
      }
    } finally {
      await this.#call('DELETE', '/_pit', { id: pitId }).catch(() => undefined);
    }
    return hits;
  }

  /** All hits of a query, in (time, sequence) order, paging with a point in time when needed. */
  async #all(query: unknown): Promise<Hit[]> {
    const first = await this.#first(query, this.#pageSize);
    const total = first.hits.total?.value ?? first.hits.hits.length;
    const hits = first.hits.hits.flatMap((hit) => this.#toHits(hit));
    if (total <= first.hits.hits.length) return hits;
    for (const hit of await this.#after(query, first.hits.hits)) hits.push(hit);
    return hits;
  }

  async byCorrelationIds(ids: readonly string[], polls: PollLines = 'include'): Promise<Hit[]> {
    if (ids.length === 0) return [];
    return this.#all(
      this.#withPolls(
        lookupQuery({ kind: 'correlation', correlationIds: ids }, (f) => this.#fields(f)),
        polls,
      ),
    );
  }

  async byTraceIds(ids: readonly string[]): Promise<Hit[]> {
    const query = lookupQuery({ kind: 'trace', traceIds: ids }, (f) => this.#fields(f));
    return query === undefined ? [] : this.#all(query);
  }

  async related(
    taskIds: readonly string[],
    correlationId: string | undefined,
    polls: PollLines = 'include',
  ): Promise<Hit[]> {
    const query = lookupQuery({ kind: 'related', taskIds, correlationId }, (f) => this.#fields(f));
    return query === undefined ? [] : this.#all(this.#withPolls(query, polls));
  }

  async statusPolls(lookup: Lookup, firstPage: number): Promise<PollPages> {
    const base = lookupQuery(lookup, (f) => this.#fields(f));
    if (base === undefined || this.#mapping !== undefined)
      return { first: [], more: false, summary: emptySummary(), rest: async () => [] };
    const query = { bool: { filter: [base, STATUS_POLL_QUERY] } };
    const response = await this.#first(query, Math.min(firstPage, this.#pageSize), POLL_AGGREGATIONS);
    const page = response.hits.hits;
    const total = response.hits.total?.value ?? page.length;
    const more = total > page.length;
    const aggs = response.aggregations as PollAggregations | undefined;
    return {
      first: page.map(toHit),
      more,
      summary: summarise(total, aggs),
      rest: async () => (more ? this.#slices(query, page, total, aggs) : []),
    };
  }

  /**
   * The hits after a first page, read as time slices searched at once. One search of 10,000
   * sorted documents spends most of its time in Elasticsearch's fetch phase on one thread;
   * three or four slices of it take about half as long on a machine with cores to spare.
   * Each line falls in exactly one slice, so nothing is read twice except the first page's
   * last millisecond, which is dropped here. A slice that fills a page goes on through a
   * point in time.
   */
  async #slices(query: unknown, page: readonly SearchHit[], total: number, aggs?: PollAggregations): Promise<Hit[]> {
    const lastAt = page.at(-1)?.sort?.[0];
    const remaining = total - page.length;
    const count = Math.min(MAX_SLICES, Math.ceil(remaining / LINES_PER_SLICE));
    if (typeof lastAt !== 'number' || aggs === undefined || count <= 1) return this.#after(query, page);
    // Cut where the percentiles put equal shares of the lines after the first page.
    const percentiles = Object.entries(aggs.times.values)
      .map(([percent, at]) => ({ share: Number(percent) / 100, at }))
      .filter((p): p is { share: number; at: number } => typeof p.at === 'number' && p.at > lastAt);
    const done = page.length / total;
    const cuts: number[] = [];
    for (let i = 1; i < count; i++) {
      const target = done + ((1 - done) * i) / count;
      let best: { share: number; at: number } | undefined;
      for (const p of percentiles)
        if (best === undefined || Math.abs(p.share - target) < Math.abs(best.share - target)) best = p;
      const at = best === undefined ? undefined : Math.floor(best.at);
      if (at !== undefined && at > lastAt && at > (cuts.at(-1) ?? Number.NEGATIVE_INFINITY)) cuts.push(at);
    }
    if (cuts.length === 0) return this.#after(query, page);
    const bounds = [lastAt, ...cuts, undefined];
    const edge = new Set(page.filter((hit) => hit.sort?.[0] === lastAt).map((hit) => `${hit._index}/${hit._id}`));
    const slices = await Promise.all(
      bounds.slice(0, -1).map((from, i) => {
        const to = bounds[i + 1];
        const range = { gte: from, ...(to === undefined ? {} : { lt: to }), format: 'epoch_millis' };
        return this.#all({ bool: { filter: [query, { range: { [F.TIMESTAMP]: range } }] } });
      }),
    );
    const hits: Hit[] = [];
    for (const slice of slices) for (const hit of slice) if (!edge.has(hit.source)) hits.push(hit);
    return hits;
  }

  async recent(sinceMs: number | undefined, limit: number): Promise<Hit[]> {
    const response = await this.#call<SearchResponse>('POST', this.#searchPath(), {
      size: Math.min(limit, 10_000),
      query:
        sinceMs === undefined
          ? { match_all: {} }
          : { range: { [this.#field(F.TIMESTAMP)]: { gte: sinceMs, format: 'epoch_millis' } } },
      sort: [{ [this.#field(F.TIMESTAMP)]: { order: 'desc', unmapped_type: 'date' } }],
    });
    return response.hits.hits.flatMap((hit) => this.#toHits(hit));
  }

  feed(sinceMs: number | undefined, limit: number): LineFeed {
    const size = Math.min(limit, MAX_FEED_REQUESTS);
    // Foreign documents: each pass ranks the window anew and reads the newest `limit` whole.
    // LiveWindow ranks by the contract's events and fields, which a foreign index names
    // otherwise, and a query cannot leave out its status polls.
    if (this.#mapping !== undefined)
      return {
        next: async (visit, startOver) => {
          const hits = await this.#newestRequests(sinceMs, size);
          startOver();
          for (const hit of hits) visit(hit.record, undefined);
        },
      };
    // Contract lines: the first pass ranks the window and reads the newest `limit` requests
    // whole; a later one (--follow) reads only the lines indexed since (LiveWindow), and the
    // whole of a request it has not seen.
    const window = new LiveWindow(size, sinceMs);
    let primed = false;
    return {
      next: async (visit, startOver) => {
        const [, depth] = await Promise.all([
          (async () => {
            if (primed && (await this.#followWindow(window))) return;
            window.reset(await this.#newestRequests(sinceMs, size));
            primed = true;
          })(),
          this.#newestQueueDepth(sinceMs),
        ]);
        // Every pass delivers the whole window held. The fold reads @timestamp itself, as from
        // files: Elasticsearch's parse of an odd timestamp need not be JavaScript's.
        startOver();
        for (const hit of window.lines()) visit(hit.record, undefined);
        for (const hit of depth) visit(hit.record, undefined);
      },
    };
  }

  /**
   * One --follow pass over the window held: the lines indexed since it was read, and the
   * requests they name that it does not hold, whole. False when more lines arrived than one
   * page holds, or when a request it does not hold may now rank among those it does (see
   * LiveWindow.merge): the caller ranks the window again instead.
   */
  async #followWindow(window: LiveWindow): Promise<boolean> {
    const from = window.readFrom;
    if (from === undefined) return false;
    const query = withPolls(
      {
        bool: {
          filter: [
            { exists: { field: F.CORRELATION_ID } },
            { range: { [F.TIMESTAMP]: { gte: from, format: 'epoch_millis' } } },
          ],
        },
      },
      'exclude',
    );
    const response = await this.#first(query, this.#pageSize);
    const total = response.hits.total?.value ?? response.hits.hits.length;
    if (total > response.hits.hits.length) return false;
    const { fresh, unknown } = window.arrived(response.hits.hits.map(toHit));
    const whole = unknown.length === 0 ? [] : await this.byCorrelationIds(unknown, 'exclude');
    return window.merge(fresh, whole);
  }

  /** The window's newest `queue.depth` line (the overview's queue depth); none from a foreign index. */
  async #newestQueueDepth(sinceMs: number | undefined): Promise<Hit[]> {
    if (this.#mapping !== undefined) return [];
    const filter: unknown[] = [{ term: { [F.EVENT_ACTION]: EVENTS.QUEUE_DEPTH } }];
    if (sinceMs !== undefined) filter.push({ range: { [F.TIMESTAMP]: { gte: sinceMs, format: 'epoch_millis' } } });
    const response = await this.#call<SearchResponse>('POST', this.#searchPath(), {
      size: 1,
      query: { bool: { filter } },
      sort: [{ [F.TIMESTAMP]: { order: 'desc', unmapped_type: 'date' } }],
    });
    return response.hits.hits.flatMap((hit) => this.#toHits(hit));
  }

  /** Every line (status polls aside) of the newest `limit` requests written since `sinceMs`. */
  async #newestRequests(sinceMs: number | undefined, limit: number): Promise<Hit[]> {
    const time = this.#field(F.TIMESTAMP);
    const cid = this.#field(F.CORRELATION_ID);
    const body = fleetRankingSearch({ time, cid, contract: this.#mapping === undefined, sinceMs, size: limit });
    const response = await this.#call<SearchResponse>('POST', this.#searchPath(), body);
    const buckets = (response.aggregations?.requests as Terms | undefined)?.buckets ?? [];
    return this.byCorrelationIds(
      buckets.map((bucket) => bucket.key),
      'exclude',
    );
  }

  async nearest(id: string, field: IdField): Promise<NearestIds> {
    const resolved = await this.#call<{ indices: unknown[] }>(
      'GET',
      `/_resolve/index/${encodeIndexPattern(this.#index)}`,
    );
    if (resolved.indices.length === 0) throw dtqError(EXPLORE_ERRORS.NO_INDEX, { url: this.#url, index: this.#index });
    const prefix = id.slice(0, Math.max(1, Math.min(6, Math.floor(id.length / 2))));
    const time = this.#field(F.TIMESTAMP);
    const idField = this.#field(field);
    const response = await this.#call<SearchResponse>('POST', this.#searchPath(), {
      size: 0,
      aggs: {
        from: { min: { field: time } },
        to: { max: { field: time } },
        near: {
          filter: { prefix: { [idField]: { value: prefix, case_insensitive: true } } },
          aggs: { ids: { terms: { field: idField, size: 200 } } },
        },
      },
    });
    const aggs = response.aggregations as
      | {
          from?: { value: number | null };
          to?: { value: number | null };
          near?: { ids?: { buckets: { key: string }[] } };
        }
      | undefined;
    const candidates = aggs?.near?.ids?.buckets.map((b) => b.key) ?? [];
    return {
      matches: rankNearest(id, candidates),
      range: { from: aggs?.from?.value ?? undefined, to: aggs?.to?.value ?? undefined },
    };
  }

  malformedLines(): number {
    // The shipper counts and dead-letters malformed lines before they reach the index.
    return 0;
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}

/** The query of a lookup, or undefined when it cannot match anything. */
function lookupQuery(lookup: Lookup, fields: (contract: string) => readonly string[] = (f) => [f]): unknown {
  // A mapped contract field may be read from several fields of the documents, first present wins.
  const terms = (contract: string, values: readonly string[]): unknown[] =>
    fields(contract).map((name) => ({ terms: { [name]: values } }));
  const anyOf = (clauses: unknown[]): unknown =>
    clauses.length === 1 ? clauses[0] : { bool: { should: clauses, minimum_should_match: 1 } };
  if (lookup.kind === 'correlation')
    return lookup.correlationIds.length === 0 ? undefined : anyOf(terms(F.CORRELATION_ID, lookup.correlationIds));
  if (lookup.kind === 'trace')
    return lookup.traceIds.length === 0 ? undefined : anyOf(terms(F.TRACE_ID, lookup.traceIds));
  const should: unknown[] = [];
  if (lookup.taskIds.length > 0)
    should.push(...terms(F.TASK_ID, lookup.taskIds), ...terms(F.ORIGINAL_TASK_ID, lookup.taskIds));
  if (lookup.correlationId !== undefined) should.push(...terms(F.ORIGINAL_CORRELATION_ID, [lookup.correlationId]));
  if (should.length === 0) return undefined;
  // Lines of the correlation id itself were fetched by the first query: do not fetch them twice.
  const mustNot = lookup.correlationId === undefined ? [] : terms(F.CORRELATION_ID, [lookup.correlationId]);
  return { bool: { should, minimum_should_match: 1, must_not: mustNot } };
}

/** The sort of a mapped source: its time field, then the contract's sequence if it has one. */
function mappedSort(mapping: Mapping): unknown[] {
  return [
    { [mapping.fieldsOf(F.TIMESTAMP)[0] ?? F.TIMESTAMP]: { order: 'asc', unmapped_type: 'date' } },
    {
      [mapping.fieldsOf(F.EVENT_SEQUENCE)[0] ?? F.EVENT_SEQUENCE]: { order: 'asc', unmapped_type: 'long', missing: 0 },
    },
  ];
}

function withPolls(query: unknown, polls: PollLines): unknown {
  return polls === 'include' ? query : { bool: { filter: [query], must_not: [STATUS_POLL_QUERY] } };
}

function emptySummary(): PollSummary {
  return { lines: 0, polls: 0, pollsByTask: new Map(), taskIds: [], newestByInstance: new Map() };
}

/** The summary of a lookup's poll lines from the aggregations of its first page. */
function summarise(lines: number, aggs: PollAggregations | undefined): PollSummary {
  if (aggs === undefined) return { ...emptySummary(), lines, taskIds: undefined };
  const complete = (terms: Terms): boolean => (terms.sum_other_doc_count ?? 0) === 0;
  const taskIds = new Set(aggs.task_ids.buckets.map((b) => b.key));
  for (const bucket of aggs.paths.buckets) {
    const id = statusPathTaskId(bucket.key);
    if (id !== undefined) taskIds.add(id);
  }
  const newestByInstance = new Map<string, number>();
  for (const bucket of aggs.instances.buckets) {
    const newest = bucket.newest?.value;
    if (typeof newest === 'number') newestByInstance.set(bucket.key, newest);
  }
  return {
    lines,
    polls: aggs.received.doc_count,
    pollsByTask: new Map(aggs.received.tasks.buckets.map((b) => [b.key, b.doc_count])),
    taskIds: complete(aggs.task_ids) && complete(aggs.paths) ? [...taskIds] : undefined,
    // Without every process, the newest line (the trace's end) is not known either.
    newestByInstance: complete(aggs.instances) ? newestByInstance : new Map(),
  };
}

function sameSort(a: unknown[] | undefined, b: unknown[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * A search hit as a model hit. The first sort value is the @timestamp Elasticsearch parsed
 * (epoch ms): the model takes it instead of parsing the string again. A line without
 * @timestamp sorts with ±Long.MAX_VALUE, which is not a safe integer, so the model still
 * finds it untimed.
 */
function toHit(hit: SearchHit): Hit {
  const at = hit.sort?.[0];
  return {
    source: `${hit._index}/${hit._id}`,
    record: hit._source,
    at: Number.isSafeInteger(at) && typeof hit._source[F.TIMESTAMP] === 'string' ? (at as number) : undefined,
  };
}
