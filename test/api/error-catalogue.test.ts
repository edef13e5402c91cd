/** The API error catalogue and the error table in docs/api.md say the same thing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiConfigFromEnv } from '../../workload/api/config.ts';
import { API_ERRORS } from '../../workload/api/errors.ts';

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
      DTQ_INSTANCE: defaults.instance,
      DTQ_API_HOST: defaults.host,
      DTQ_API_PORT: defaults.port,
      DTQ_REDIS_URL: defaults.redisUrl,
      DTQ_CIRCUIT_THRESHOLD: defaults.circuitThreshold,
      DTQ_CIRCUIT_CACHE_MS: defaults.circuitCacheMs,
      DTQ_RETRY_AFTER_S: defaults.retryAfterS,
      DTQ_REDIS_TIMEOUT_MS: defaults.redisTimeoutMs,
    };
    for (const [name, value] of Object.entries(expected)) {
      expect(docs).toContain(`| \`${name}\` | \`${value}\` |`);
    }
    expect(defaults.faults).toBe(false);
    expect(docs).toContain('| `DTQ_FAULTS` | `0` |');
  });
});
