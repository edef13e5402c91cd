/**
 * The one HTTP/1.1 client of dtq: keep-alive, http or https, default headers (credentials), a CA
 * or a pinned fingerprint, and a list of nodes served round-robin with failover. The demo, the
 * load generator and the benchmarks reach the API with it; the shipper, the explorer, setup and
 * the dashboards reach Elasticsearch and Kibana with it (through elk/client.ts).
 *
 * node:http rather than fetch: it is cheaper per request (the shipper's CPU is taken from
 * Elasticsearch on a shared machine, and fetch measures and re-encodes a string body on every
 * call; bytes here are sent as they are, so the shipper's `_bulk` body goes out as the view of
 * its batch buffer), it lets us send any header value verbatim (hostile X-Request-IDs) and gives
 * exact timings. The modules are taken with process.getBuiltinModule, not imported: the ESM
 * facade of node:http reads every export, and its lazy getters (WebSocket, EventSource…) load
 * undici, tens of milliseconds of the explorer's start-up for nothing; node:https and node:tls
 * load only when a URL needs them.
 */
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { redactUrl } from './redact.ts';
import { normalizeFingerprint, pinProblem } from './tls-pin.ts';

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
  /** Over the client's default headers. */
  readonly headers?: Record<string, string>;
  /** Bytes and strings are sent as they are, anything else as JSON; content-type application/json unless given. */
  readonly body?: unknown;
  /** Give up on the exchange with one node (connect, send, answer) after this long; default 10 s. */
  readonly timeoutMs?: number;
  /** Abort the request; it rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** How to trust an https server other than through the system's certificate authorities. */
export interface TlsTrust {
  /** PEM certificate(s) of the authorities to trust. */
  readonly ca?: string | Uint8Array;
  /** SHA-256 fingerprint (hex, colons optional) of a certificate the server's chain must contain. */
  readonly caFingerprint?: string;
}

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /** Connections per node. Default 64. */
  readonly maxSockets?: number;
  /** Headers sent with every request (e.g. authorization); a request's own headers win. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly tls?: TlsTrust;
  /** A node that failed is passed over for this long, unless every node has failed. Default 5 s. */
  readonly deadNodeMs?: number;
  /** Told when a node fails and the request moves on to the next one. */
  readonly onFailover?: (node: string, error: HttpRequestError) => void;
  /**
   * Answers that count as the node failing, with several nodes (a proxy's 502 or 504 for a node
   * behind it that is gone): the request goes to the next node; the last node's answer is returned.
   */
  readonly failoverStatuses?: readonly number[];
}

/** A request that could not be completed: refused, reset, timed out, TLS refused. */
export class HttpRequestError extends Error {
  /** The system or TLS error code (ECONNREFUSED, ETIMEDOUT, UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_PIN_MISMATCH…). */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HttpRequestError';
    this.code = code;
  }
}

/** Code of a connection refused because the server's chain does not match the pinned fingerprint. */
export const CERT_PIN_MISMATCH = 'CERT_PIN_MISMATCH';

/** OpenSSL verification codes and Node's TLS codes: the server was reached, but not trusted. */
const TLS_CODES = new Set([
  CERT_PIN_MISMATCH,
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'EPROTO',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** True when `code` says the TLS handshake or the certificate check failed. */
export function isTlsErrorCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_');
}

interface Node {
  readonly url: URL;
  /** Path of the node URL without its trailing slash (a proxy's prefix), prepended to every path. */
  readonly prefix: string;
  deadUntil: number;
}

type HttpModule = typeof import('node:http');
type HttpsModule = typeof import('node:https');

/** A client on one or several base URLs (nodes of one cluster), each with keep-alive connections. */
export class HttpClient {
  /** The first node. */
  readonly baseUrl: URL;
  readonly #nodes: Node[];
  readonly #options: HttpClientOptions;
  readonly #agents = new Map<string, Agent>();
  #next = 0;

  constructor(baseUrls: string | readonly string[], options: HttpClientOptions = {}) {
    const list = typeof baseUrls === 'string' ? [baseUrls] : baseUrls;
    if (list.length === 0) throw new TypeError('HttpClient needs at least one URL');
    this.#nodes = list.map((text) => {
      const url = new URL(text);
      return { url, prefix: url.pathname.replace(/\/+$/, ''), deadUntil: 0 };
    });
    this.baseUrl = (this.#nodes[0] as Node).url;
    this.#options = options;
  }

  /** The node URLs, credentials masked, for messages. */
  get nodes(): string[] {
    return this.#nodes.map(nodeName);
  }

  /**
   * Send a request and read the whole response; rejects on network errors and timeouts. With
   * several nodes, requests take turns; a node that cannot be reached (refused, reset, timed
   * out) is passed over for a while and the same request goes to the next one, so the caller
   * sees a failure only when every node failed. Only idempotent requests belong on a node list:
   * a request whose answer was lost may have been carried out before it is sent again.
   */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const order = this.#order(Date.now());
    let last: HttpRequestError | undefined;
    for (const node of order) {
      try {
        const response = await this.#sendTo(node, method, path, options);
        if (order.length > 1 && node !== order.at(-1) && this.#options.failoverStatuses?.includes(response.status))
          throw new HttpRequestError(
            `HTTP ${response.status}`,
            `${method} ${nodeName(node)}: answered ${response.status}`,
          );
        node.deadUntil = 0;
        return response;
      } catch (error) {
        if (!(error instanceof HttpRequestError) || options.signal?.aborted) throw error;
        last = error;
        if (order.length === 1) break;
        node.deadUntil = Date.now() + (this.#options.deadNodeMs ?? 5_000);
        if (node !== order.at(-1)) this.#options.onFailover?.(nodeName(node), error);
      }
    }
    throw last;
  }

  /** Nodes to try for one request: the living in turn, then the dead, soonest back first. */
  #order(now: number): Node[] {
    const count = this.#nodes.length;
    if (count === 1) return this.#nodes;
    const start = this.#next;
    this.#next = (this.#next + 1) % count;
    const turn = Array.from({ length: count }, (_, i) => this.#nodes[(start + i) % count] as Node);
    const alive = turn.filter((node) => node.deadUntil <= now);
    const dead = turn.filter((node) => node.deadUntil > now).sort((a, b) => a.deadUntil - b.deadUntil);
    return [...alive, ...dead];
  }

  #agent(protocol: string): Agent {
    let agent = this.#agents.get(protocol);
    if (agent !== undefined) return agent;
    const maxSockets = this.#options.maxSockets ?? 64;
    if (protocol === 'https:') {
      const https = process.getBuiltinModule('node:https') as HttpsModule;
      const tls = this.#options.tls;
      const pin = tls?.caFingerprint === undefined ? undefined : normalizeFingerprint(tls.caFingerprint);
      if (tls?.caFingerprint !== undefined && pin === undefined)
        throw new TypeError('caFingerprint must be 64 hex digits (a SHA-256), colons optional');
      agent =
        pin === undefined
          ? new https.Agent({ keepAlive: true, maxSockets, ...(tls?.ca === undefined ? {} : { ca: toPem(tls.ca) }) })
          : pinnedAgent(https, maxSockets, pin);
    } else {
      const http = process.getBuiltinModule('node:http') as HttpModule;
      agent = new http.Agent({ keepAlive: true, maxSockets });
    }
    this.#agents.set(protocol, agent);
    return agent;
  }

  #sendTo(node: Node, method: string, path: string, options: RequestOptions): Promise<HttpResponse> {
    const relative = path.startsWith('/') ? path : `/${path}`;
    // Resolved against the node, so its user info (URL credentials) carries over.
    const url = new URL(`${node.prefix}${relative}`, node.url);
    const headers: Record<string, string> = { ...this.#options.headers, ...options.headers };
    let payload: Uint8Array | undefined;
    const { body, signal } = options;
    if (body !== undefined) {
      payload = body instanceof Uint8Array ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.byteLength);
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    const started = performance.now();
    const http = process.getBuiltinModule(url.protocol === 'https:' ? 'node:https' : 'node:http') as HttpModule;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const fail = (error: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        if (signal?.aborted) reject(signal.reason);
        else if (error instanceof HttpRequestError) reject(error);
        else reject(new HttpRequestError(error.code ?? 'EREQUEST', `${method} ${redactUrl(url)}: ${error.message}`));
      };
      let req: ClientRequest;
      try {
        req = http.request(
          url,
          { method, headers, agent: this.#agent(url.protocol), signal },
          (res: IncomingMessage) => {
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
          },
        );
      } catch (error) {
        return reject(error);
      }
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
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

/** A node as it may be printed: credentials masked, no trailing slash. */
function nodeName(node: Node): string {
  return redactUrl(node.url).replace(/\/$/, '');
}

function toPem(ca: string | Uint8Array): string | Buffer {
  return typeof ca === 'string' ? ca : Buffer.from(ca);
}

/**
 * An https agent that trusts a server by the fingerprint of a certificate in its chain
 * (tls-pin.ts). The TLS layer cannot check that itself, so it is told to accept any chain and
 * the socket is handed to the request only once the pin holds: no byte of the request (and so
 * no credential) reaches a server that fails it. Sessions are not resumed, so every connection
 * shows its chain.
 */
function pinnedAgent(https: HttpsModule, maxSockets: number, pin: string): Agent {
  const agent = new https.Agent({ keepAlive: true, maxSockets, rejectUnauthorized: false, maxCachedSessions: 0 });
  const create = agent.createConnection.bind(agent) as (options: object) => Socket;
  type Created = (error: Error | null, socket?: Socket) => void;
  (agent as unknown as { createConnection: (options: object, done: Created) => undefined }).createConnection = (
    options: { host?: string; servername?: string },
    done: Created,
  ) => {
    const socket = create(options) as TLSSocket;
    const failed = (error: Error) => done(error);
    socket.once('error', failed);
    socket.once('secureConnect', () => {
      socket.off('error', failed);
      const problem = pinProblem(socket.getPeerCertificate(true), pin, options.host ?? options.servername ?? '');
      if (problem === undefined) return done(null, socket);
      socket.destroy();
      done(new HttpRequestError(CERT_PIN_MISMATCH, `certificate pin: ${problem}`));
    });
    return undefined;
  };
  return agent;
}

/** A header value as one string (the first when repeated). */
export function headerValue(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
