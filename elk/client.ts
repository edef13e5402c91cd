/**
 * The configured Elasticsearch client every dtq part uses: URL from DTQ_ES_URL (default the
 * local `npm run es` node), bounded request timeouts, and a reachability check whose error
 * says what to do.
 */
import { Client, errors } from '@elastic/elasticsearch';
import { dtqError } from '../contract/dtq-error.ts';
import { envOptional } from '../contract/env.ts';
import { redactUrl } from '../contract/redact.ts';
import { ES_ERRORS } from './errors.ts';

/** Where `npm run es` serves by default. */
export const DEFAULT_ES_URL = 'http://127.0.0.1:9200';

/** The Elasticsearch URL in force: DTQ_ES_URL or the local default, validated. */
export function esUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = envOptional('DTQ_ES_URL', env) ?? DEFAULT_ES_URL;
  return validateEsUrl(url);
}

/** The URL without a trailing slash, or DTQ_ERR_ES_BAD_URL when it is not http(s). */
export function validateEsUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw dtqError(ES_ERRORS.BAD_URL, { url: redactUrl(url) });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw dtqError(ES_ERRORS.BAD_URL, { url: redactUrl(url) });
  return url.replace(/\/+$/, '');
}

/** Options of {@link createEsClient}. */
export interface EsClientOptions {
  url?: string;
  /** Per-request timeout; bulk callers pass their export timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** Transport-level retries. Default 0: callers that retry (the shipper) own their backoff. */
  maxRetries?: number;
}

/** A client for `url` (default {@link esUrl}()). */
export function createEsClient(options: EsClientOptions = {}): Client {
  return new Client({
    node: options.url === undefined ? esUrl() : validateEsUrl(options.url),
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    maxRetries: options.maxRetries ?? 0,
    // Loopback or a compose network: compression costs more CPU than it saves.
    compression: false,
  });
}

/** True for failures that say "the server is not there" rather than "the request is wrong". */
export function isConnectionError(error: unknown): boolean {
  return (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError
  );
}

/** Throw DTQ_ERR_ES_UNREACHABLE (with the URL and what to try) unless the cluster answers. */
export async function assertReachable(client: Client, url: string): Promise<void> {
  try {
    await client.cluster.health({ timeout: '5s' }, { requestTimeout: 10_000 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw dtqError(ES_ERRORS.UNREACHABLE, { url: redactUrl(url), reason }, error);
  }
}
