/**
 * One HTTP request on node:http(s) with a kept-alive agent per protocol: bytes in, status and
 * text out. Used where fetch costs too much: fetch loads Node's bundled undici on first use
 * (start-up time for the explorer), and for a string body it measures and encodes the whole
 * body again on every call (CPU the shipper would take from Elasticsearch on a shared machine).
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';

/** A response: status and body text. */
export interface HttpResponse {
  readonly status: number;
  readonly text: string;
}

/** A transport failure (refused, reset, timed out): the server was not reached or hung. */
export class TransportError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

/** Options of {@link HttpClient.request}. */
export interface HttpRequestOptions {
  readonly body?: Uint8Array;
  readonly contentType?: string;
  /** Abort when no byte arrives for this long (connect, answer, or between chunks). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Requests through kept-alive connections of its own: closing one client (a shipper stopping)
 * never cuts a request of another in the same process.
 */
export class HttpClient {
  readonly #agents = new Map<string, HttpAgent>();

  /** Send one request; resolves with the status and text, rejects with a {@link TransportError} (or the signal's reason). */
  request(method: string, url: string, options: HttpRequestOptions): Promise<HttpResponse> {
    const target = new URL(url);
    // getBuiltinModule, not import(): the ESM facade of node:http reads every export, and its
    // lazy getters (WebSocket, EventSource…) load undici, about 60 ms of start-up for nothing.
    const http =
      target.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
    let agent = this.#agents.get(target.protocol);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true });
      this.#agents.set(target.protocol, agent);
    }
    const { body, contentType, timeoutMs, signal } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const request = http.request(
        target,
        {
          method,
          agent,
          headers:
            body === undefined
              ? {}
              : { 'content-type': contentType ?? 'application/json', 'content-length': body.byteLength },
          timeout: timeoutMs,
          signal,
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', (error: NodeJS.ErrnoException) =>
            reject(new TransportError(error.code ?? 'ERESPONSE', error.message)),
          );
        },
      );
      request.on('timeout', () => request.destroy(new TransportError('ETIMEDOUT', `no answer within ${timeoutMs} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (signal?.aborted) return reject(signal.reason);
        reject(error instanceof TransportError ? error : new TransportError(error.code ?? 'EREQUEST', error.message));
      });
      request.end(body);
    });
  }

  /** Close the kept-alive connections, so the process can exit. */
  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}
