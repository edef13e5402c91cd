/**
 * Import the dashboards into Kibana through its saved-objects API
 * (`POST /api/saved_objects/_import?overwrite=true`): same ids every time, so a second import
 * replaces the objects with identical ones. Before importing it asks `GET /api/status` for the
 * version, so an unreachable, starting or too old Kibana gets an error that says what to do.
 */

import { dtqError } from '../../contract/dtq-error.ts';
import { DEFAULT_INDEX_PREFIX } from '../../contract/indices.ts';
import { redactUrl } from '../../contract/redact.ts';
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

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw dtqError(DASHBOARD_ERRORS.KIBANA_UNREACHABLE, { url: new URL(url).origin, reason }, error);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): keep the text for the message.
  }
  return { status: response.status, body };
}

/** Ask Kibana for its version (throws the catalogue error when it cannot take the import). */
export async function kibanaVersion(kibanaUrl: string, timeoutMs = 30_000): Promise<string> {
  const url = validateKibanaUrl(kibanaUrl);
  const { status, body } = await call(`${url}/api/status`, { headers: { accept: 'application/json' } }, timeoutMs);
  return versionFromStatus(url, status, body);
}

/** The multipart form Kibana's import API reads: one `file` part holding the NDJSON. */
export function importForm(ndjson: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([ndjson], { type: 'application/ndjson' }), 'dtq.ndjson');
  return form;
}

/** Import the data view, Lens panels and dashboards, overwriting earlier copies. */
export async function importDashboards(options: ImportOptions): Promise<ImportResult> {
  const url = validateKibanaUrl(options.kibanaUrl);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const version = await kibanaVersion(url, timeoutMs);
  const prefix = options.prefix ?? DEFAULT_INDEX_PREFIX;
  const objects = savedObjects(prefix);
  const { status, body } = await call(
    `${url}/api/saved_objects/_import?overwrite=true`,
    { method: 'POST', headers: XSRF_HEADER, body: importForm(toNdjson(objects)) },
    timeoutMs,
  );
  const failure = importFailure(status, body);
  if (failure !== undefined)
    throw dtqError(DASHBOARD_ERRORS.KIBANA_IMPORT_FAILED, { url: redactUrl(url), reason: failure });
  const imported = (body as { successCount?: number }).successCount ?? objects.length;
  return { version, imported, indexPattern: `${prefix}-*` };
}
