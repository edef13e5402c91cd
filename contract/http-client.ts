/**
 * A minimal keep-alive HTTP/1.1 client over node:http for the demo, the load generator, the
 * API benchmark and the shipper. node:http rather than fetch: it is cheaper per request (the
 * benchmark measures the server, not the client; the shipper's CPU is taken from
 * Elasticsearch on a shared machine, and fetch measures and re-encodes a string body on every
 * call), lets us send any header value verbatim (hostile X-Request-IDs) and gives exact timings.
 */
import { Agent, request } from 'node:http';
import { redactUrl } from './redact.ts';

/** One response, body read in full. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** Milliseconds from sending to the last byte of the body. */
  readonly ms: number;
  /** Body parsed as JSON, or undefined when it is not JSON. */
  json<T = Record<string, unknown>>(): T | undefined;
}

/** Options of one request. */
export interface RequestOptions {
  readonly headers?: Record<string, string>;
  /** Bytes and strings are sent as they are, anything else as JSON; content-type application/json unless given. */
  readonly body?: unknown;
  /** Give up on the whole request (connect, send, answer) after this long; default 10 s. */
  readonly timeoutMs?: number;
  /** Abort the request; it rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A request that could not be completed: refused, reset, timed out. */
export class HttpRequestError extends Error {
  /** The system error code (ECONNREFUSED…), or ETIMEDOUT. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HttpRequestError';
    this.code = code;
  }
}

/** A client bound to a base URL with its own keep-alive connection pool. */
export class HttpClient {
  readonly baseUrl: URL;
  readonly #agent: Agent;

  constructor(baseUrl: string, options: { maxSockets?: number } = {}) {
    this.baseUrl = new URL(baseUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  }

  /** Send a request and read the whole response; rejects on network errors and timeouts. */
  send(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { ...options.headers };
    let payload: Uint8Array | undefined;
    const { body, signal } = options;
    if (body !== undefined) {
      payload = body instanceof Uint8Array ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.byteLength);
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const fail = (error: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        if (signal?.aborted) reject(signal.reason);
        else if (error instanceof HttpRequestError) reject(error);
        else reject(new HttpRequestError(error.code ?? 'EREQUEST', `${method} ${redactUrl(url)}: ${error.message}`));
      };
      const req = request(url, { method, headers, agent: this.#agent, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            ms: performance.now() - started,
            json: <T>() => {
              try {
                return JSON.parse(text) as T;
              } catch {
                return undefined;
              }
            },
          });
        });
      });
      // The whole exchange, not the socket's idle time: a server that answers a byte at a time
      // must not hold a request forever.
      const timer = setTimeout(
        () =>
          req.destroy(
            new HttpRequestError('ETIMEDOUT', `${method} ${redactUrl(url)}: no answer within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** Close idle connections so the process can exit. */
  close(): void {
    this.#agent.destroy();
  }
}

/** A header value as one string (the first when repeated). */
export function headerValue(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
