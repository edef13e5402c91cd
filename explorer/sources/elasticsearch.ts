/**
 * Elasticsearch as a source: term queries on the join keys over the log index pattern, with
 * point-in-time + search_after when a trace has more lines than one page.
 *
 * It speaks HTTP with node:http (http-json.ts) rather than @elastic/elasticsearch or fetch:
 * the explorer's promise is a fast start, and either costs more to load than the three
 * endpoints used here (_search, _pit, _resolve/index) cost to call by hand.
 */
import { dtqError } from '../../workload/common/dtq-error.ts';
import { F } from '../../workload/log/vocabulary.ts';
import { EXPLORE_ERRORS } from '../errors.ts';
import type { Hit } from '../model/types.ts';
import { closeAgents, type JsonResponse, requestJson } from './http-json.ts';
import { type IdField, type LogSource, type NearestIds, rankNearest } from './source.ts';

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

interface SearchResponse {
  pit_id?: string;
  hits: { total?: { value: number; relation: string }; hits: SearchHit[] };
  aggregations?: Record<string, { value?: number | null; buckets?: { key: string }[] }>;
}

const SORT = [
  { [F.TIMESTAMP]: { order: 'asc' } },
  // nginx lines have no sequence: 0 rather than the default Long.MAX_VALUE, which a JSON
  // number cannot carry back exactly in search_after.
  { [F.EVENT_SEQUENCE]: { order: 'asc', unmapped_type: 'long', missing: 0 } },
];

/** Options of {@link ElasticsearchSource}. */
export interface ElasticsearchSourceOptions {
  readonly url: string;
  /** Index pattern, e.g. dtq-logs-*. */
  readonly index: string;
  readonly pageSize?: number;
}

/** Read log lines from Elasticsearch. */
export class ElasticsearchSource implements LogSource {
  readonly kind = 'elasticsearch' as const;
  readonly description: string;
  readonly #url: string;
  readonly #index: string;
  readonly #pageSize: number;

  constructor(options: ElasticsearchSourceOptions) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#index = options.index;
    this.#pageSize = options.pageSize ?? PAGE_SIZE;
    this.description = `Elasticsearch ${this.#url} (${this.#index})`;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: JsonResponse;
    try {
      response = await requestJson(method, `${this.#url}${path}`, body, REQUEST_TIMEOUT_MS);
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      throw dtqError(EXPLORE_ERRORS.ES_UNREACHABLE, { url: this.#url, reason }, error);
    }
    const text = response.text;
    if (response.status < 200 || response.status >= 300) {
      const error = parseError(text);
      if (error?.type === 'index_not_found_exception')
        throw dtqError(EXPLORE_ERRORS.NO_INDEX, { url: this.#url, index: this.#index });
      const reason = error ? `${error.type ?? ''} ${error.reason ?? ''}`.trim() : text.slice(0, 300);
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
    return `/${encodeURIComponent(this.#index).replaceAll('%2A', '*').replaceAll('%2C', ',')}/_search?ignore_unavailable=true&allow_no_indices=true`;
  }

  /** All hits of a query, in (time, sequence) order, paging with a point in time when needed. */
  async #all(query: unknown): Promise<Hit[]> {
    const first = await this.#call<SearchResponse>('POST', this.#searchPath(), {
      size: this.#pageSize,
      query,
      sort: SORT,
      track_total_hits: true,
    });
    const total = first.hits.total?.value ?? first.hits.hits.length;
    const hits = first.hits.hits.map(toHit);
    if (total <= first.hits.hits.length) return hits;
    // More than a page: a point in time keeps the pages consistent while the shipper writes.
    const pit = await this.#call<{ id: string }>(
      'POST',
      `/${this.#index}/_pit?keep_alive=${PIT_KEEP_ALIVE}&ignore_unavailable=true&allow_no_indices=true`,
    );
    let pitId = pit.id;
    // Continue after the first page instead of reading it again. Its sort values lack the
    // point in time's _shard_doc tiebreaker: -1 sorts before every document, so lines that tie
    // with the page's last one are read again rather than skipped, and the model drops repeats
    // (same index and _id).
    const lastSort = first.hits.hits.at(-1)?.sort;
    let after: unknown[] | undefined = lastSort ? [...lastSort, -1] : undefined;
    try {
      for (;;) {
        const page: SearchResponse = await this.#call<SearchResponse>('POST', '/_search', {
          size: this.#pageSize,
          query,
          pit: { id: pitId, keep_alive: PIT_KEEP_ALIVE },
          sort: [...SORT, { _shard_doc: 'asc' }],
          track_total_hits: false,
          ...(after ? { search_after: after } : {}),
        });
        pitId = page.pit_id ?? pitId;
        for (const hit of page.hits.hits) hits.push(toHit(hit));
        const last = page.hits.hits.at(-1);
        if (last === undefined || page.hits.hits.length < this.#pageSize) break;
        after = last.sort;
      }
    } finally {
      await this.#call('DELETE', '/_pit', { id: pitId }).catch(() => undefined);
    }
    return hits;
  }

  async byCorrelationIds(ids: readonly string[]): Promise<Hit[]> {
    if (ids.length === 0) return [];
    return this.#all({ terms: { [F.CORRELATION_ID]: ids } });
  }

  async related(taskIds: readonly string[], correlationId: string | undefined): Promise<Hit[]> {
    const should: unknown[] = [];
    if (taskIds.length > 0) {
      should.push({ terms: { [F.TASK_ID]: taskIds } }, { terms: { [F.ORIGINAL_TASK_ID]: taskIds } });
    }
    if (correlationId !== undefined) should.push({ term: { [F.ORIGINAL_CORRELATION_ID]: correlationId } });
    if (should.length === 0) return [];
    // Lines of the correlation id itself were fetched by the first query: do not fetch them twice.
    const mustNot = correlationId === undefined ? [] : [{ term: { [F.CORRELATION_ID]: correlationId } }];
    return this.#all({ bool: { should, minimum_should_match: 1, must_not: mustNot } });
  }

  async recent(sinceMs: number | undefined, limit: number): Promise<Hit[]> {
    const response = await this.#call<SearchResponse>('POST', this.#searchPath(), {
      size: Math.min(limit, 10_000),
      query:
        sinceMs === undefined
          ? { match_all: {} }
          : { range: { [F.TIMESTAMP]: { gte: sinceMs, format: 'epoch_millis' } } },
      sort: [{ [F.TIMESTAMP]: { order: 'desc' } }],
    });
    return response.hits.hits.map(toHit);
  }

  async nearest(id: string, field: IdField): Promise<NearestIds> {
    const resolved = await this.#call<{ indices: unknown[] }>('GET', `/_resolve/index/${this.#index}`);
    if (resolved.indices.length === 0) throw dtqError(EXPLORE_ERRORS.NO_INDEX, { url: this.#url, index: this.#index });
    const prefix = id.slice(0, Math.max(1, Math.min(6, Math.floor(id.length / 2))));
    const response = await this.#call<SearchResponse>('POST', this.#searchPath(), {
      size: 0,
      aggs: {
        from: { min: { field: F.TIMESTAMP } },
        to: { max: { field: F.TIMESTAMP } },
        near: {
          filter: { prefix: { [field]: { value: prefix, case_insensitive: true } } },
          aggs: { ids: { terms: { field, size: 200 } } },
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
    closeAgents();
  }
}

function parseError(text: string): { type?: string; reason?: string } | undefined {
  try {
    return (JSON.parse(text) as { error?: { type?: string; reason?: string } }).error;
  } catch {
    return undefined;
  }
}

/**
 * A search hit as a model hit. The first sort value is the @timestamp Elasticsearch parsed
 * (epoch ms): the model takes it instead of parsing the string again, which was a sixth of
 * its time on a 10,000-line trace. A line without @timestamp sorts with ±Long.MAX_VALUE,
 * which is not a safe integer, so the model still finds it untimed.
 */
function toHit(hit: SearchHit): Hit {
  const at = hit.sort?.[0];
  return {
    source: `${hit._index}/${hit._id}`,
    record: hit._source,
    at: Number.isSafeInteger(at) && typeof hit._source[F.TIMESTAMP] === 'string' ? (at as number) : undefined,
  };
}
