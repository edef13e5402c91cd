/**
 * Writing a batch with the `_bulk` API until every document has an answer: created, already
 * there (409 on `create`: delivered before, so counted as delivered), or rejected for good
 * (a 4xx such as a mapping conflict: dead-lettered by the caller). Everything else (connection
 * refused, timeout, 429, 5xx) is retried with backoff, forever, until the caller's signal says
 * stop: the caller does not advance the registry before this resolves, so nothing is lost.
 *
 * Each batch backs off on its own failures: several batches in flight during one outage each
 * wait as their own retry count says, not as the sum of everyone's. A 429 or 503 with
 * `Retry-After` is waited out (at least that long, at most backoffMaxMs).
 *
 * Wrong credentials (401), missing privileges (403) and a server that fails the TLS check are
 * not waited out: retrying cannot fix them, so write() rejects with the error that names the
 * setting, and the caller stops with the lines still on disk. With several nodes, a request
 * whose node cannot be reached goes to the next one at once (contract/http-client.ts); `create`
 * with the line's own id makes resending safe.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DtqError } from '../contract/dtq-error.ts';
import { HttpRequestError, type HttpResponse, headerValue, type RequestOptions } from '../contract/http-client.ts';
import { authProblem, esTransport, transportProblem } from '../elk/client.ts';
import { type EsConnection, plainConnection } from '../elk/connection.ts';
import { retryAfterMs, retryDelay } from './backoff.ts';

/**
 * Documents to write, by position: a batch hands its `_bulk` body out as views, with no
 * object per document.
 */
export interface BulkDocs {
  /** How many documents. */
  readonly count: number;
  /** The `_bulk` lines (action and document, each ending in a newline) of documents `from` to `to` - 1, in order. */
  body(from: number, to: number): Uint8Array;
}

/** The final answer for one document. */
export type DocOutcome = { status: 'created' } | { status: 'duplicate' } | { status: 'rejected'; reason: string };

/** The answers nearly every document gets, shared: no object per document. */
const CREATED: DocOutcome = Object.freeze({ status: 'created' });
const DUPLICATE: DocOutcome = Object.freeze({ status: 'duplicate' });

/** What the writer sends requests through: an {@link HttpClient} on the Elasticsearch URL, or a test double. */
export interface BulkTransport {
  send(method: string, path: string, options: RequestOptions): Promise<HttpResponse>;
  close(): void;
}

/** Options of {@link BulkWriter}. */
export interface BulkWriterOptions {
  /** Node URL(s), comma-separated; ignored when `connection` is given. */
  url: string;
  /** The cluster with credentials and trust (default: `url` with none). */
  connection?: EsConnection;
  exportTimeoutMs: number;
  backoffInitialMs: number;
  /** Ceiling of every retry delay, a server's `Retry-After` included. */
  backoffMaxMs: number;
  /**
   * Told of every retry: why; how many requests in a row have failed, across every batch
   * (1 means an outage begins); and how long this batch waits, by its own failures.
   */
  onRetry?(reason: string, failuresInARow: number, delayMs: number, code: string): void;
  /** Told once a failing run of requests succeeds again, with how many failed. */
  onRecovered?(failures: number): void;
  /** Told when a node fails and a request moves on to the next one. */
  onFailover?(node: string, reason: string): void;
  /** Default: the one transport on the connection. */
  transport?: BulkTransport;
  /** Source of the backoff's jitter, in [0, 1). Default Math.random. */
  random?: () => number;
}

/** A request that failed as a whole. */
class RequestFailure extends Error {
  readonly status: number | undefined;
  /** Short name of the failure: the system error code (ECONNREFUSED…) or `HTTP <status>`. */
  readonly code: string;
  /** What the server's Retry-After asked for, already capped. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, status?: number, retryAfter?: number, code?: string) {
    super(message);
    this.status = status;
    this.code = code ?? (status === undefined ? 'error' : `HTTP ${status}`);
    this.retryAfterMs = retryAfter;
  }
}

/** What #send returns when the answer says every document was created. */
const ALL_CREATED = Symbol('all created');

interface BulkResponseItem {
  status: number;
  error?: { type?: string; reason?: string };
}

const FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason';

/**
 * The body of the documents at `positions` (ascending): one view when they follow each other
 * (a batch's first attempt), else the views of each run of neighbours joined.
 */
function bodyOf(docs: BulkDocs, positions: readonly number[]): Uint8Array {
  const runs: Uint8Array[] = [];
  let from = positions[0] ?? 0;
  let to = from;
  for (const position of positions) {
    if (position !== to) {
      runs.push(docs.body(from, to));
      from = position;
    }
    to = position + 1;
  }
  runs.push(docs.body(from, to));
  return runs.length === 1 ? (runs[0] as Uint8Array) : Buffer.concat(runs);
}

/**
 * `{"errors":false,…}`: Elasticsearch found nothing to report on any item (a 409 on `create` is
 * an error too), so every document was created and the answer needs no parsing beyond a count.
 */
const NO_ERRORS = '{"errors":false';

/** How many times `needle` occurs in `text`. */
function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** True for a per-document status worth retrying (the server was busy or unwell). */
function transient(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** Sends batches to `_bulk`, retrying what is transient. */
export class BulkWriter {
  readonly #options: BulkWriterOptions;
  readonly #http: BulkTransport;
  readonly #connection: EsConnection;
  /** Requests failed in a row across every batch: only for reporting an outage and its end. */
  #failuresInARow = 0;

  constructor(options: BulkWriterOptions) {
    this.#options = options;
    this.#connection = options.connection ?? plainConnection(options.url);
    this.#http =
      options.transport ??
      esTransport(this.#connection, {
        maxSockets: 16,
        onFailover: (node, error) => options.onFailover?.(node, error.message),
      });
  }

  /** Write every document; resolves with one outcome per document, in order. Rejects only on `signal`. */
  async write(docs: BulkDocs, signal: AbortSignal): Promise<DocOutcome[]> {
    const outcomes: (DocOutcome | undefined)[] = new Array(docs.count).fill(undefined);
    let pending: number[] = [];
    for (let i = 0; i < docs.count; i++) pending.push(i);
    // Whole-request 400/413 means one request was too big or one document broke it: split
    // until the culprit is alone, so the rest still flows.
    let parts = 1;
    // Rounds of this batch that left something to retry, whether the whole request failed or
    // some documents were answered 429/5xx: the exponent of this batch's backoff, and of no other's.
    let failures = 0;
    while (pending.length > 0) {
      signal.throwIfAborted();
      const size = Math.ceil(pending.length / parts);
      const stillPending: number[] = [];
      let failure: RequestFailure | undefined;
      for (let start = 0; start < pending.length; start += size) {
        const slice = pending.slice(start, start + size);
        if (failure !== undefined) {
          stillPending.push(...slice);
          continue;
        }
        try {
          const items = await this.#send(bodyOf(docs, slice), slice.length, signal);
          this.#succeeded();
          if (items === ALL_CREATED) {
            for (const index of slice) outcomes[index] = CREATED;
            continue;
          }
          items.forEach((item, k) => {
            const index = slice[k] as number;
            if (item.status === 200 || item.status === 201) outcomes[index] = CREATED;
            else if (item.status === 409) outcomes[index] = DUPLICATE;
            else if (transient(item.status)) stillPending.push(index);
            else
              outcomes[index] = {
                status: 'rejected',
                reason: `${item.status} ${item.error?.type ?? 'error'}: ${item.error?.reason ?? 'no reason given'}`,
              };
          });
        } catch (error) {
          signal.throwIfAborted();
          if (error instanceof DtqError) throw error;
          const requestFailure = error instanceof RequestFailure ? error : new RequestFailure(String(error));
          const splittable = requestFailure.status === 400 || requestFailure.status === 413;
          if (splittable && slice.length === 1) {
            outcomes[slice[0] as number] = { status: 'rejected', reason: requestFailure.message };
            continue;
          }
          failure = requestFailure;
          stillPending.push(...slice);
        }
      }
      pending = stillPending;
      if (pending.length === 0) break;
      if (failure !== undefined && (failure.status === 400 || failure.status === 413)) {
        parts = Math.min(pending.length, parts * 2);
        continue;
      }
      failures++;
      await this.#backoff(
        failure?.message ?? `${pending.length} documents answered 429/5xx`,
        failure?.code ?? 'documents answered 429/5xx',
        failures,
        failure?.retryAfterMs,
        signal,
      );
    }
    return outcomes as DocOutcome[];
  }

  #succeeded(): void {
    if (this.#failuresInARow > 0) this.#options.onRecovered?.(this.#failuresInARow);
    this.#failuresInARow = 0;
  }

  async #backoff(
    reason: string,
    code: string,
    attempt: number,
    retryAfter: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    this.#failuresInARow++;
    const { backoffInitialMs, backoffMaxMs, random } = this.#options;
    const delay = retryDelay(attempt, backoffInitialMs, backoffMaxMs, retryAfter, random);
    this.#options.onRetry?.(reason, this.#failuresInARow, delay, code);
    await sleep(delay, undefined, { signal });
  }

  /** Close the connections to Elasticsearch. */
  close(): void {
    this.#http.close();
  }

  /** Send `count` documents' `_bulk` lines; their items in order, or ALL_CREATED. */
  async #send(body: Uint8Array, count: number, signal: AbortSignal): Promise<BulkResponseItem[] | typeof ALL_CREATED> {
    let response: HttpResponse;
    try {
      response = await this.#http.send('POST', `/_bulk?filter_path=${FILTER_PATH}`, {
        body,
        headers: { 'content-type': 'application/x-ndjson' },
        timeoutMs: this.#options.exportTimeoutMs,
        signal,
      });
    } catch (error) {
      signal.throwIfAborted();
      if (!(error instanceof HttpRequestError)) throw new RequestFailure(String(error));
      const problem = transportProblem(this.#connection, error);
      if (problem instanceof DtqError && problem.code === 'DTQ_ERR_ES_TLS') throw problem;
      throw new RequestFailure(error.message, undefined, undefined, error.code);
    }
    const refused = authProblem(this.#connection, response, 'POST /_bulk');
    if (refused) throw refused;
    const text = response.text;
    const ok = response.status >= 200 && response.status < 300;
    if (!ok) {
      // Elasticsearch answers 429 when its write queue is full and 503 while it cannot index;
      // either may say when to come back.
      const busy = response.status === 429 || response.status === 503;
      const retryAfter = busy
        ? retryAfterMs(headerValue(response, 'retry-after'), this.#options.backoffMaxMs)
        : undefined;
      throw new RequestFailure(`HTTP ${response.status}: ${text.slice(0, 500)}`, response.status, retryAfter);
    }
    if (text.startsWith(NO_ERRORS)) {
      // Each item of the filtered answer holds one status and nothing else.
      const answered = occurrences(text, '"status":');
      if (answered !== count) throw new RequestFailure(`bulk answered ${answered} items for ${count} documents`, 502);
      return ALL_CREATED;
    }
    const parsed = JSON.parse(text) as { items?: Record<string, BulkResponseItem>[] };
    const items = (parsed.items ?? []).map((entry) => Object.values(entry)[0] as BulkResponseItem);
    if (items.length !== count) {
      throw new RequestFailure(`bulk answered ${items.length} items for ${count} documents`, 502);
    }
    return items;
  }
}
