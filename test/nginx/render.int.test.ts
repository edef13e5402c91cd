/** The rendered nginx config: fields from the vocabulary, the shared X-Request-ID rule, valid for nginx. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { DtqError } from '../../contract/dtq-error.ts';
import { EVENTS, F, FIELD_SPECS } from '../../contract/vocabulary.ts';
import { BODY_LIMIT_BYTES } from '../../workload/api/config.ts';
import { accessLogFormat, renderNginxConfig } from '../../workload/nginx/render.ts';
import { writeNginxConfig } from '../../workload/nginx/write-config.ts';
import { nginxBinary } from '../utils/nginx.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-nginx-render-'));
  dirs.push(dir);
  return dir;
}

const base = { listen: 8080, upstreams: ['127.0.0.1:3001', '127.0.0.1:3002'], logDir: '/tmp/l', runDir: '/tmp/r' };

describe('nginx config rendering', () => {
  it('writes the access log with vocabulary field names only', () => {
    const format = JSON.parse(accessLogFormat('nginx')) as Record<string, string>;
    const withTask = JSON.parse(accessLogFormat('nginx', { withTaskId: true })) as Record<string, string>;
    const known = new Set(Object.values(FIELD_SPECS).map((spec) => spec.name));
    for (const key of Object.keys(withTask)) expect(known.has(key), `${key} is in the vocabulary`).toBe(true);
    expect(withTask).toEqual({ ...format, [F.TASK_ID]: '$dtq_task_id' });
    expect(format[F.EVENT_ACTION]).toBe(EVENTS.NGINX_ACCESS);
    expect(format[F.SERVICE_NAME]).toBe('nginx');
    expect(format[F.CORRELATION_ID]).toBe('$correlation_id');
    expect(format[F.URL_PATH]).toBe('$dtq_path');
    for (const id of [
      'NGINX_UPSTREAM_ADDRESS',
      'NGINX_UPSTREAM_STATUS',
      'HTTP_STATUS',
      'NGINX_REQUEST_TIME',
    ] as const) {
      expect(format[F[id]]).toMatch(/^\$/);
    }
  });

  it("names the host: nginx's $hostname, or DTQ_HOST_NAME when set", () => {
    expect(JSON.parse(accessLogFormat('nginx'))[F.HOST_NAME]).toBe('$hostname');
    expect(JSON.parse(accessLogFormat('nginx', { hostName: 'web-3' }))[F.HOST_NAME]).toBe('web-3');
    const dir = tempDir();
    const paths = { logDir: join(dir, 'logs'), runDir: join(dir, 'run') };
    const written = writeNginxConfig({ ...base, ...paths }, { DTQ_HOST_NAME: 'web-3' });
    expect(readFileSync(written.configPath, 'utf8')).toContain(`"${F.HOST_NAME}":"web-3"`);
    expect(() => writeNginxConfig({ ...base, ...paths }, { DTQ_HOST_NAME: 'x"y' })).toThrow(/DTQ_HOST_NAME/);
  });

  it('uses the same X-Request-ID rule as the API and the API body limit', () => {
    const config = renderNginxConfig(base);
    expect(config).toContain(`"~${CORRELATION_ID_PATTERN.source}" $http_x_request_id;`);
    expect(config).toContain('default $request_id;');
    expect(config).toContain(`client_max_body_size ${BODY_LIMIT_BYTES};`);
    expect(config).toContain('proxy_set_header X-Request-ID $correlation_id;');
    expect(config).toContain('add_header X-Request-ID $correlation_id always;');
    expect(config).toContain('server 127.0.0.1:3001 max_fails=2 fail_timeout=5s;');
    expect(config).toContain('server 127.0.0.1:3002 max_fails=2 fail_timeout=5s;');
    expect(config).not.toMatch(/\{\{[A-Z_]+\}\}/);
  });

  it('renders a config nginx accepts, locally and for compose', () => {
    const nginx = nginxBinary();
    const local = tempDir();
    const compose = tempDir();
    const composeOptions = {
      listen: 80,
      upstreams: ['api-1:3000', 'api-2:3000', 'api-3:3000'],
      logDir: join(compose, 'logs'),
      runDir: join(compose, 'run'),
      workerProcesses: 'auto' as const,
    };
    expect(renderNginxConfig(composeOptions)).toContain('server api-3:3000 max_fails=2');
    for (const options of [
      { ...base, listen: '127.0.0.1:18080', logDir: join(local, 'logs'), runDir: join(local, 'run') },
      // Compose host names do not resolve outside compose; `localhost` stands in for them.
      { ...composeOptions, upstreams: ['localhost:3000', 'localhost:3001'] },
    ]) {
      const written = writeNginxConfig(options);
      const check = spawnSync(nginx, ['-t', ...written.args], { encoding: 'utf8' });
      expect(check.stderr, check.stderr).toContain('test is successful');
    }
  });

  it.each([
    [{ upstreams: [] }, 'upstreams'],
    [{ upstreams: ['bad host:1'] }, 'upstreams'],
    [{ listen: 'x y' }, 'listen'],
    [{ logDir: '/tmp/a;b' }, 'logDir'],
    [{ instance: 'ng"inx' }, 'instance'],
  ])('refuses unusable options (%o)', (override, option) => {
    try {
      renderNginxConfig({ ...base, ...override });
      expect.unreachable('rendering should have failed');
    } catch (error) {
      expect(error).toBeInstanceOf(DtqError);
      expect((error as DtqError).code).toBe('DTQ_ERR_NGINX_CONFIG_INVALID');
      expect((error as DtqError).message).toContain(option);
    }
  });
});
