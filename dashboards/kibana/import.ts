/**
 * Import the dashboards into Kibana through its saved-objects API
 * (`POST /api/saved_objects/_import?overwrite=true`): same ids every time, so a second import
 * replaces the objects with identical ones. Before importing it asks `GET /api/status` for the
 * version, so an unreachable, starting or too old Kibana gets an error that says what to do.
 */

import { randomUUID } from 'node:crypto';
import { dtqError } from '../../contract/dtq-error.ts';
import { envOptional } from '../../contract/env.ts';
import { HttpClient, HttpRequestError, isTlsErrorCode } from '../../contract/http-client.ts';
import { DEFAULT_INDEX_PREFIX } from '../../contract/indices.ts';
import { redactUrl } from '../../contract/redact.ts';
import { CREDENTIAL_SETTINGS, ES_ENV, type EsConnection, esConnection } from '../../elk/connection.ts';
import { DASHBOARD_ERRORS } from '../errors.ts';
import { savedObjects, toNdjson } from './saved-objects.ts';
import { compareVersions, KIBANA_VERSION, MIN_KIBANA_VERSION } from './versions.ts';

/** Header Kibana requires on every state-changing API call (CSRF guard). */
const XSRF_HEADER = { 'kbn-xsrf': 'dtq' };

/** What an import did. */
export interface ImportResult {
  /** Kibana's version. */
  version: string;
  /** Objects Kibana reports as imported. */
  imported: number;
  /** The data view's index pattern. */
  indexPattern: string;
}

/** Options of {@link importDashboards}. */
export interface ImportOptions {
  kibanaUrl: string;
  /**
   * Credentials and trust for Kibana (default {@link kibanaConnection}: the DTQ_ES_* credentials,
   * which Kibana checks against Elasticsearch, and DTQ_KIBANA_CA or the Elasticsearch trust).
   */
  connection?: EsConnection;
  /** Index prefix the data view covers (default dtq-logs). */
  prefix?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

/** The URL without a trailing slash, or DTQ_ERR_KIBANA_BAD_URL. */
export function validateKibanaUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw dtqError(DASHBOARD_ERRORS.KIBANA_BAD_URL, { url: redactUrl(url) });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw dtqError(DASHBOARD_ERRORS.KIBANA_BAD_URL, { url: redactUrl(url) });
  return url.replace(/\/+$/, '');
}

/**
 * Kibana's version from an `/api/status` answer, or the error that says why it cannot take
 * the import (not ready, or older than {@link MIN_KIBANA_VERSION}).
 */
export function versionFromStatus(url: string, httpStatus: number, body: unknown): string {
  const status = body as
    | { version?: { number?: unknown }; status?: { overall?: { level?: unknown; state?: unknown } } }
    | undefined;
  const level = String(status?.status?.overall?.level ?? status?.status?.overall?.state ?? 'unknown');
  // 'degraded' still serves the saved-objects API; 'unavailable' and 'critical' do not.
  if (httpStatus !== 200 || !['available', 'degraded', 'green', 'yellow'].includes(level)) {
    throw dtqError(DASHBOARD_ERRORS.KIBANA_NOT_READY, { url: redactUrl(url), status: httpStatus, level });
  }
  const version = status?.version?.number;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+/.test(version)) {
    throw dtqError(DASHBOARD_ERRORS.KIBANA_NOT_READY, {
      url: redactUrl(url),
      status: httpStatus,
      level: 'no version in /api/status',
    });
  }
  if (compareVersions(version, MIN_KIBANA_VERSION) < 0) {
    throw dtqError(DASHBOARD_ERRORS.KIBANA_TOO_OLD, {
      url: redactUrl(url),
      version,
      minimum: MIN_KIBANA_VERSION,
      recommended: KIBANA_VERSION,
    });
  }
  return version;
}

/** Why an `_import` answer is a failure, or undefined when every object was imported. */
export function importFailure(httpStatus: number, body: unknown): string | undefined {
  const answer = body as
    | {
        success?: boolean;
        errors?: Array<{ type?: string; id?: string; error?: { type?: string; message?: string } }>;
        message?: string;
      }
    | undefined;
  if (httpStatus !== 200) return `HTTP ${httpStatus}${answer?.message ? `: ${answer.message}` : ''}`;
  if (answer?.success === true) return undefined;
  const errors = (answer?.errors ?? []).map(
    (error) =>
      `${error.type}:${error.id} ${error.error?.type ?? 'error'}${error.error?.message ? ` (${error.error.message})` : ''}`,
  );
  return errors.length > 0 ? errors.join('; ') : 'Kibana answered success: false without details';
}

/**
 * How to reach Kibana at `kibanaUrl`: the credentials of DTQ_ES_* (Kibana authenticates its
 * users against Elasticsearch, so the same user or API key works) and DTQ_KIBANA_CA (or
 * DTQ_KIBANA_CA_FINGERPRINT), else the trust set for Elasticsearch.
 */
export function kibanaConnection(kibanaUrl: string, env: NodeJS.ProcessEnv = process.env): EsConnection {
  const ca = envOptional('DTQ_KIBANA_CA', env);
  const pin = envOptional('DTQ_KIBANA_CA_FINGERPRINT', env);
  const own = ca !== undefined || pin !== undefined;
  return esConnection({
    ...env,
    [ES_ENV.URL]: kibanaUrl,
    [ES_ENV.CA]: own ? ca : env[ES_ENV.CA],
    [ES_ENV.CA_FINGERPRINT]: own ? pin : env[ES_ENV.CA_FINGERPRINT],
  });
}

/** A client for Kibana and the connection it was made from, whose settings errors name. */
interface KibanaClient {
  readonly http: HttpClient;
  readonly connection: EsConnection;
}

/**
 * Why Kibana answered 401: the credentials named by the setting they came from (Kibana checks
 * them against Elasticsearch, so the DTQ_ES_* ones), or none sent.
 */
function unauthorizedReason(connection: EsConnection): string {
  if (connection.auth === 'none')
    return `Kibana wants credentials and none was sent: set ${CREDENTIAL_SETTINGS}, as for Elasticsearch`;
  // kibanaConnection reads the Kibana URL as the node URL, so URL credentials are DTQ_KIBANA_URL's.
  const setting = connection.auth === 'url' ? 'the user:password in DTQ_KIBANA_URL' : connection.authSetting;
  return `Kibana did not accept the credentials of ${setting} (Kibana checks them against Elasticsearch)`;
}

async function call(
  kibana: KibanaClient,
  url: string,
  method: string,
  path: string,
  options: { headers: Record<string, string>; body?: Uint8Array },
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  let response: Awaited<ReturnType<HttpClient['send']>>;
  try {
    response = await kibana.http.send(method, path, { ...options, timeoutMs });
  } catch (error) {
    const code = error instanceof HttpRequestError ? error.code : undefined;
    const reason =
      code !== undefined && isTlsErrorCode(code)
        ? `${code}: set DTQ_KIBANA_CA to the PEM file of the CA that signed Kibana's certificate`
        : (code ?? (error as Error).message);
    throw dtqError(DASHBOARD_ERRORS.KIBANA_UNREACHABLE, { url: redactUrl(new URL(url).origin), reason }, error);
  }
  if (response.status === 401 || response.status === 403)
    throw dtqError(DASHBOARD_ERRORS.KIBANA_IMPORT_FAILED, {
      url: redactUrl(url),
      reason: `HTTP ${response.status}: ${response.status === 401 ? unauthorizedReason(kibana.connection) : `Kibana refuses the import to the user or key of ${kibana.connection.authSetting} (it needs the saved-objects management privilege)`}`,
    });
  const body = response.json<unknown>() ?? response.text;
  return { status: response.status, body };
}

function kibanaClient(url: string, given: EsConnection | undefined): KibanaClient {
  const connection = given ?? kibanaConnection(url);
  const http = new HttpClient(url, {
    maxSockets: 1,
    headers: connection.headers,
    ...(connection.tls ? { tls: connection.tls } : {}),
  });
  return { http, connection };
}

/** Kibana's version from /api/status (throws the catalogue error when it cannot take the import). */
async function versionOf(kibana: KibanaClient, url: string, timeoutMs: number): Promise<string> {
  const { status, body } = await call(
    kibana,
    url,
    'GET',
    '/api/status',
    { headers: { accept: 'application/json' } },
    timeoutMs,
  );
  return versionFromStatus(url, status, body);
}

/** The multipart form Kibana's import API reads: one `file` part holding the NDJSON, with its content type. */
export function importForm(ndjson: string): { body: Buffer; contentType: string } {
  const boundary = `dtq-${randomUUID()}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="dtq.ndjson"\r\n` +
    'Content-Type: application/ndjson\r\n\r\n';
  return {
    body: Buffer.concat([Buffer.from(head), Buffer.from(ndjson), Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** Import the data view, Lens panels and dashboards, overwriting earlier copies. */
export async function importDashboards(options: ImportOptions): Promise<ImportResult> {
  const url = validateKibanaUrl(options.kibanaUrl);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const kibana = kibanaClient(url, options.connection);
  try {
    const version = await versionOf(kibana, url, timeoutMs);
    const prefix = options.prefix ?? DEFAULT_INDEX_PREFIX;
    const objects = savedObjects(prefix);
    const form = importForm(toNdjson(objects));
    const { status, body } = await call(
      kibana,
      url,
      'POST',
      '/api/saved_objects/_import?overwrite=true',
      { headers: { ...XSRF_HEADER, 'content-type': form.contentType }, body: form.body },
      timeoutMs,
    );
    const failure = importFailure(status, body);
    if (failure !== undefined)
      throw dtqError(DASHBOARD_ERRORS.KIBANA_IMPORT_FAILED, { url: redactUrl(url), reason: failure });
    const imported = (body as { successCount?: number }).successCount ?? objects.length;
    return { version, imported, indexPattern: `${prefix}-*` };
  } finally {
    kibana.http.close();
  }
}
