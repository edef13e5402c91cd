/**
 * The correlation id (X-Request-ID) rules shared by nginx's config and the API, so a value is
 * judged the same way at both doors: at most 128 characters of [A-Za-z0-9._:-]. Anything else
 * is hostile or broken and is replaced by a generated id, never echoed or logged raw.
 */
import { randomBytes } from 'node:crypto';

/** Longest correlation id accepted from a client. */
export const CORRELATION_ID_MAX_LENGTH = 128;

/** The accepted form; nginx's `map` uses the same pattern (see workload/nginx). */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The header that carries the correlation id. */
export const CORRELATION_ID_HEADER = 'x-request-id';

/** True when a client-supplied value may be used as a correlation id as it is. */
export function isValidCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID_PATTERN.test(value);
}

/** A new correlation id in nginx's $request_id format: 32 lowercase hex characters. */
export function newCorrelationId(): string {
  return randomBytes(16).toString('hex');
}

/** The client's id when valid, otherwise a fresh one. */
export function correlationIdFrom(headerValue: unknown): { id: string; generated: boolean; rejected: boolean } {
  const value = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  if (isValidCorrelationId(value)) return { id: value, generated: false, rejected: false };
  const present = typeof value === 'string' && value.length > 0;
  return { id: newCorrelationId(), generated: true, rejected: present };
}
