/** nginx's limits: read from DTQ_NGINX_* variables, checked, rendered, and documented in docs/api.md as they are. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { ConfigError } from '../../contract/env.ts';
import { NGINX_ERRORS } from '../../workload/nginx/errors.ts';
import { DEFAULT_NGINX_LIMITS, NGINX_LIMIT_ENV, nginxLimitsFromEnv } from '../../workload/nginx/limits.ts';
import { renderNginxConfig } from '../../workload/nginx/render.ts';

const docs = readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8');
const base = { listen: 8080, upstreams: ['127.0.0.1:3001'], logDir: '/tmp/l', runDir: '/tmp/r' };

describe('nginx limits', () => {
  it('documents every limit variable with its default', () => {
    for (const [key, name] of Object.entries(NGINX_LIMIT_ENV)) {
      const value = DEFAULT_NGINX_LIMITS[key as keyof typeof NGINX_LIMIT_ENV];
      const shown = Array.isArray(value) ? value.join(',') : String(value);
      expect(docs).toContain(`| \`${name}\` | \`${shown}\` |`);
    }
  });

  it('documents every answer nginx gives in its own codes, with its status, and nothing else', () => {
    const documented = new Map(
      [...docs.matchAll(/^\| `(DTQ_ERR_NGINX_[A-Z_]+)` \| (\d{3}) \|/gm)].map((row) => [row[1], Number(row[2])]),
    );
    const catalogue = new Map(
      Object.values(NGINX_ERRORS).flatMap((def) => ('statusCode' in def ? [[def.code, def.statusCode]] : [])),
    );
    expect(documented).toEqual(catalogue);
  });

  it('reads only the variables that are set, and "none" as no exemption', () => {
    expect(nginxLimitsFromEnv({})).toEqual({});
    expect(
      nginxLimitsFromEnv({
        DTQ_NGINX_RATE: '50',
        DTQ_NGINX_LIMIT_CONN: '0',
        DTQ_NGINX_HEADER_TIMEOUT_S: '3',
        DTQ_NGINX_LIMIT_EXEMPT: ' 10.0.0.0/8, ::1 ',
      }),
    ).toEqual({ rate: 50, limitConn: 0, clientHeaderTimeoutS: 3, limitExempt: ['10.0.0.0/8', '::1'] });
    expect(nginxLimitsFromEnv({ DTQ_NGINX_LIMIT_EXEMPT: 'none' })).toEqual({ limitExempt: [] });
  });

  it('refuses a variable it cannot use, naming it', () => {
    expect(() => nginxLimitsFromEnv({ DTQ_NGINX_HEADER_TIMEOUT_S: '0' })).toThrow(ConfigError);
    expect(() => nginxLimitsFromEnv({ DTQ_NGINX_RATE: 'fast' })).toThrow(/DTQ_NGINX_RATE/);
  });

  it('refuses limits that would break or inject into the config', () => {
    for (const bad of [
      { limitExempt: ['127.0.0.1; include /etc/passwd'] },
      { limitExempt: ['localhost'] },
      { rate: -1 },
      { burst: 1.5 },
      { clientHeaderTimeoutS: 0 },
      { workerConnections: 10 },
    ]) {
      expect(() => renderNginxConfig({ ...base, ...bad }), JSON.stringify(bad)).toThrow(DtqError);
    }
  });

  it('renders the limits, and leaves out a connection or rate limit set to 0', () => {
    const config = renderNginxConfig({ ...base, rate: 7, burst: 9, limitConn: 4, clientHeaderTimeoutS: 2 });
    expect(config).toContain('client_header_timeout 2s;');
    expect(config).toContain('rate=7r/s;');
    expect(config).toContain('limit_req zone=dtq_req burst=9 nodelay;');
    expect(config).toContain('limit_conn dtq_conn 4;');
    expect(config).toMatch(/^\s*127\.0\.0\.1 1;$/m);
    const off = renderNginxConfig({ ...base, rate: 0, limitConn: 0, limitExempt: [] });
    expect(off).not.toMatch(/^\s*limit_(req|conn)/m);
    expect(off).not.toMatch(/^\s*127\.0\.0\.1 1;$/m);
  });
});
