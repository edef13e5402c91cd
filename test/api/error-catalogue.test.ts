/** The API error catalogue and the error table in docs/api.md say the same thing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { DtqError, dtqError, errorBody } from '../../contract/dtq-error.ts';
import { apiConfigFromEnv } from '../../workload/api/config.ts';
import { API_ERRORS } from '../../workload/api/errors.ts';
import { toApiError } from '../../workload/api/plugins/error-handler.ts';
import { QUEUE_ERRORS } from '../../workload/queue/errors.ts';
import { DEFAULT_REDIS_URL } from '../../workload/queue/redis-target.ts';

const docs = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8');

function documentedErrors(): Map<string, number> {
  const rows = [...docs.matchAll(/^\| `(DTQ_ERR_API_[A-Z_]+)` \| (\d{3}) \|/gm)];
  return new Map(rows.map((row) => [row[1] as string, Number(row[2])]));
}

describe('error catalogue', () => {
  it('documents every API error code with its status, and nothing else', () => {
    const catalogue = new Map(Object.values(API_ERRORS).map((def) => [def.code, def.statusCode]));
    expect(documentedErrors()).toEqual(catalogue);
  });

  it('uses stable DTQ_ERR_API_ codes and messages that say what to do', () => {
    for (const [name, def] of Object.entries(API_ERRORS)) {
      expect(def.code).toBe(`DTQ_ERR_API_${name}`);
      expect(def.message.length).toBeGreaterThan(20);
      expect(def.message).toMatch(/\.$/);
    }
  });

  it('documents every configuration variable with its default', () => {
    const defaults = apiConfigFromEnv({});
    const expected: Record<string, unknown> = {
      // The default names the host it runs on (contract/host.ts); the docs write it `<host>`.
      DTQ_INSTANCE: defaults.instance.replace(/@[^@]*$/, '@<host>'),
      DTQ_API_HOST: defaults.host,
      DTQ_API_PORT: defaults.port,
      DTQ_REDIS_URL: DEFAULT_REDIS_URL,
      DTQ_CIRCUIT_THRESHOLD: defaults.circuitThreshold,
      DTQ_CIRCUIT_CACHE_MS: defaults.circuitCacheMs,
      DTQ_QUEUE_DEPTH_LOG_MS: defaults.queueDepthLogMs,
      DTQ_RETRY_AFTER_S: defaults.retryAfterS,
      DTQ_REDIS_TIMEOUT_MS: defaults.redisTimeoutMs,
    };
    for (const [name, value] of Object.entries(expected)) {
      expect(docs).toContain(`| \`${name}\` | \`${value}\` |`);
    }
    expect(defaults.faults).toBe(false);
    expect(docs).toContain('| `DTQ_FAULTS` | `0` |');
  });

  it('translates every error into the catalogue, keeping other parts’ HTTP errors', () => {
    const request = { id: 'corr-1', headers: {} } as FastifyRequest;
    const outage = dtqError(QUEUE_ERRORS.REDIS_UNAVAILABLE, {
      reason: 'ECONNREFUSED 10.0.0.7:6379',
      operation: 'enqueue',
    });
    const translated = toApiError(outage, request, 5);
    expect(translated.code).toBe(API_ERRORS.REDIS_UNAVAILABLE.code);
    expect(translated.context.retry_after_s).toBe(5);
    // The internal reason (an address) stays out of the client's body.
    expect(JSON.stringify(errorBody(translated, 'corr-1'))).not.toContain('10.0.0.7');

    const conflict = new DtqError('DTQ_ERR_IDEMPOTENCY_IN_FLIGHT', 'in flight', { statusCode: 409 });
    expect(toApiError(conflict, request, 5)).toBe(conflict);

    const tooLarge = Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(toApiError(tooLarge, request, 5).code).toBe(API_ERRORS.BODY_TOO_LARGE.code);

    const bug = toApiError(new TypeError('x is undefined'), request, 5);
    expect(bug.code).toBe(API_ERRORS.INTERNAL.code);
    expect(bug.statusCode).toBe(500);
    expect(bug.message).toContain('corr-1');
  });
});
