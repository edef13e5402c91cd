/**
 * A minimal keep-alive HTTP/1.1 client over node:http for the demo, the load generator and the
 * API benchmark. node:http rather than fetch: it is cheaper per request (the benchmark measures
 * the server, not the client), lets us send any header value verbatim (hostile X-Request-IDs)
 * and gives exact timings.
 */
import { Agent, request } from 'node:http';

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
  /** Sent as JSON (content-type application/json) unless a string. */
  readonly body?: unknown;
  readonly timeoutMs?: number;
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
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.#agent, timeout: options.timeoutMs ?? 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
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
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out`)));
      req.on('error', reject);
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
