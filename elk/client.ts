/**
 * The Elasticsearch client every dtq part uses: the one transport (contract/http-client.ts) on
 * the connection of elk/connection.ts, with answers turned into errors that say what to do:
 * 401 names the credential setting, 403 the request refused, a TLS failure the trust setting,
 * an unreachable cluster its nodes. Loads nothing beyond Node's core, so the explorer's start-up
 * does not pay for it.
 */
import { dtqError } from '../contract/dtq-error.ts';
import { envOptional } from '../contract/env.ts';
import {
  HttpClient,
  HttpRequestError,
  type HttpResponse,
  isTlsErrorCode,
  type RequestOptions,
} from '../contract/http-client.ts';
import { DEFAULT_ES_URL, describeNodes, type EsConnection, esConnection, parseEsNodes } from './connection.ts';
import { ES_ERRORS } from './errors.ts';

export { DEFAULT_ES_URL } from './connection.ts';

/** The first node of DTQ_ES_URL (or the local default), validated: where `npm run es` serves. */
export function esUrl(env: NodeJS.ProcessEnv = process.env): string {
  return parseEsNodes(envOptional('DTQ_ES_URL', env) ?? DEFAULT_ES_URL)[0] as string;
}

/** A non-2xx answer other than 401/403: the caller decides what it means (index missing, bad query). */
export class EsResponseError extends Error {
  readonly status: number;
  /** Elasticsearch's error type (`index_not_found_exception`), when the body says. */
  readonly type: string | undefined;
  readonly reason: string;
  constructor(status: number, type: string | undefined, reason: string) {
    super(`${status}${type ? ` ${type}` : ''}: ${reason}`);
    this.name = 'EsResponseError';
    this.status = status;
    this.type = type;
    this.reason = reason;
  }
}

/** Elasticsearch's `{error: {type, reason}}` from a body, or the start of the text. */
export function errorOf(text: string): { type: string | undefined; reason: string } {
  try {
    const body = JSON.parse(text) as { error?: { type?: string; reason?: string } | string };
    if (typeof body.error === 'string') return { type: undefined, reason: body.error };
    if (body.error)
      return { type: body.error.type, reason: body.error.reason ?? body.error.type ?? text.slice(0, 300) };
  } catch {
    // Not JSON: a proxy's page.
  }
  return { type: undefined, reason: text.slice(0, 300) || 'no reason given' };
}

const AUTH_ADVICE: Record<EsConnection['auth'], string> = {
  basic: 'the user name or password is wrong, or the user is disabled.',
  'api-key':
    'the API key is wrong, expired or invalidated; create one (POST /_security/api_key) and set its `encoded` value.',
  bearer: 'the token is wrong or expired; get a fresh one.',
  url: 'the user name or password is wrong; prefer DTQ_ES_USERNAME/DTQ_ES_PASSWORD to credentials in the URL.',
  none: 'this cluster wants credentials; set one of them.',
};

/** The error of a 401 or 403 answer to `request`, or undefined for any other status. */
export function authProblem(
  connection: EsConnection,
  response: Pick<HttpResponse, 'status' | 'text'>,
  request: string,
): Error | undefined {
  if (response.status !== 401 && response.status !== 403) return undefined;
  const { reason } = errorOf(response.text);
  const url = describeNodes(connection);
  if (response.status === 401)
    return dtqError(ES_ERRORS.UNAUTHORIZED, {
      url,
      reason,
      setting: connection.authSetting,
      advice: AUTH_ADVICE[connection.auth],
    });
  return dtqError(ES_ERRORS.FORBIDDEN, { url, setting: connection.authSetting, request, reason });
}

/** The error of a request that never got an answer: DTQ_ERR_ES_TLS or DTQ_ERR_ES_UNREACHABLE. */
export function transportProblem(connection: EsConnection, error: HttpRequestError): Error {
  const url = describeNodes(connection);
  const reason = `${error.code}: ${error.message}`;
  if (!isTlsErrorCode(error.code)) return dtqError(ES_ERRORS.UNREACHABLE, { url, reason }, error);
  const setting = connection.trustSetting;
  const advice = /WRONG_VERSION_NUMBER|PACKET_LENGTH|EPROTO/.test(error.code)
    ? 'The server does not speak TLS on that port: use http:// for it, or the https port.'
    : setting === undefined
      ? "The server's certificate is not signed by a CA this machine trusts: set DTQ_ES_CA to the CA's PEM file (config/certs/http_ca.crt on a default 8.x install) or DTQ_ES_CA_FINGERPRINT to its SHA-256 fingerprint."
      : `Check ${setting}: it must be the CA that signed the server's certificate, and the certificate must name the host of DTQ_ES_URL.`;
  return dtqError(ES_ERRORS.TLS, { url, reason, advice }, error);
}

/** The one transport on a connection: its nodes, credentials and trust. */
export function esTransport(
  connection: EsConnection,
  options: { maxSockets?: number; onFailover?: (node: string, error: HttpRequestError) => void } = {},
): HttpClient {
  return new HttpClient(connection.nodes, {
    maxSockets: options.maxSockets ?? 16,
    headers: connection.headers,
    // A load balancer or proxy in front of a node that is gone answers 502 or 504; Elasticsearch
    // itself answers 503 while a node cannot serve (no master, shutting down). The next node may.
    failoverStatuses: [502, 503, 504],
    ...(connection.tls ? { tls: connection.tls } : {}),
    ...(options.onFailover ? { onFailover: options.onFailover } : {}),
  });
}

/** Options of {@link EsClient}. */
export interface EsClientOptions {
  /** Connections per node. Default 16. */
  maxSockets?: number;
  /** Per-request timeout unless a request gives its own. Default 30 s. */
  requestTimeoutMs?: number;
  /** Told when a node fails and a request moves on to another. */
  onFailover?: (node: string, error: HttpRequestError) => void;
  /** Aborts every request of this client that does not give its own (a process stopping). */
  signal?: AbortSignal;
}

/** Options of one {@link EsClient.request}. */
export interface EsRequestOptions extends Pick<RequestOptions, 'headers' | 'signal' | 'timeoutMs'> {
  body?: unknown;
  /** Statuses answered with `undefined` instead of an error (404 for "not there yet"). */
  ignore?: readonly number[];
}

/** JSON requests to a cluster, errors classified. */
export class EsClient {
  readonly connection: EsConnection;
  readonly #http: HttpClient;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(connection: EsConnection = esConnection(), options: EsClientOptions = {}) {
    this.connection = connection;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#signal = options.signal;
    this.#http = esTransport(connection, options);
  }

  /** The nodes as they may be printed. */
  get url(): string {
    return describeNodes(this.connection);
  }

  /** Send a request and parse the JSON answer; undefined for an ignored status. */
  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: EsRequestOptions = {},
  ): Promise<T | undefined> {
    const response = await this.send(method, path, options);
    if (options.ignore?.includes(response.status)) return undefined;
    if (response.status < 200 || response.status >= 300) {
      const { type, reason } = errorOf(response.text);
      throw new EsResponseError(response.status, type, reason);
    }
    return JSON.parse(response.text) as T;
  }

  /** Send a request; the raw answer unless it is 401/403, and transport failures classified. */
  async send(method: string, path: string, options: EsRequestOptions = {}): Promise<HttpResponse> {
    let response: HttpResponse;
    const signal = options.signal ?? this.#signal;
    try {
      response = await this.#http.send(method, path, {
        timeoutMs: options.timeoutMs ?? this.#timeoutMs,
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(options.headers ? { headers: options.headers } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (error instanceof HttpRequestError) throw transportProblem(this.connection, error);
      throw error;
    }
    const problem = authProblem(this.connection, response, `${method} ${path.split('?')[0]}`);
    if (problem) throw problem;
    return response;
  }

  /** Close the connections so the process can exit. */
  close(): void {
    this.#http.close();
  }
}

/** Throw DTQ_ERR_ES_UNREACHABLE (with the nodes and what to try) unless the cluster answers. */
export async function assertReachable(client: EsClient): Promise<void> {
  const response = await client.send('GET', '/_cluster/health?timeout=5s', { timeoutMs: 10_000 });
  if (response.status >= 500)
    throw dtqError(ES_ERRORS.UNREACHABLE, {
      url: client.url,
      reason: `HTTP ${response.status}: ${errorOf(response.text).reason}`,
    });
}
