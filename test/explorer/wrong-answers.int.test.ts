/**
 * Never a confident wrong answer: logs that break the contract in ways a user's logs do (a
 * foreign timestamp field, service name or status route, missing ids or hops), through the real
 * binary. Lines that do not meet the contract give the outcome `undetermined`, exit 5 and the
 * reason; the right profile or mapping gives the right trace.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, runExplore } from './binary.ts';
import { tempLogDirs } from './helpers.ts';

const SEEDS = join(ROOT, 'test', 'explorer', 'foreign', 'seeds');
const UNDETERMINED = 5;
const { track } = tempLogDirs();

beforeAll(() => ensureBuilt());

/** A log directory holding these files (name → NDJSON lines). */
function logDir(files: Record<string, readonly object[] | string>): string {
  const dir = track(mkdtempSync(join(tmpdir(), 'dtq-wrong-')));
  for (const [name, lines] of Object.entries(files))
    writeFileSync(
      join(dir, name),
      typeof lines === 'string' ? lines : lines.map((line) => `${JSON.stringify(line)}\n`).join(''),
    );
  return dir;
}

const nginx = (status: number) => ({
  '@timestamp': '2026-12-01T09:00:00+00:00',
  'nginx.msec': '1796115600.020',
  'service.name': 'nginx',
  'service.instance': 'nginx',
  'event.action': 'nginx.access',
  correlation_id: 'r-1',
  'http.request.method': 'POST',
  'url.path': '/tasks',
  'http.response.status_code': String(status),
  'nginx.request_time': '0.012',
  'nginx.upstream.address': '10.0.0.5:8000',
});
const line = (ms: number, service: string, action: string, fields: object) => ({
  '@timestamp': `2026-12-01T09:00:00.${String(ms).padStart(3, '0')}Z`,
  'service.name': service,
  'event.action': action,
  correlation_id: 'r-1',
  ...fields,
});
const api = (service: string) => [
  line(10, service, 'http.request.received', { 'http.request.method': 'POST', 'url.path': '/tasks' }),
  line(14, service, 'task.enqueued', { task_id: 't-1' }),
  line(18, service, 'http.request.completed', {
    'http.request.method': 'POST',
    'url.path': '/tasks',
    'http.response.status_code': 201,
  }),
];
const worker = [
  line(30, 'worker', 'task.started', { 'service.instance': 'worker-1', task_id: 't-1' }),
  line(130, 'worker', 'task.completed', { 'service.instance': 'worker-1', task_id: 't-1' }),
];

describe('lines that do not meet the contract give an honest answer', () => {
  it('FastAPI + Celery lines with `timestamp`: what cannot be told, not "no lines found" and exit 0', async () => {
    const { code, stdout } = await runExplore(['c-1001', '--logs', SEEDS, '--json']);
    expect(code).toBe(UNDETERMINED);
    const trace = JSON.parse(stdout);
    expect(trace.outcome.status).toBe('undetermined');
    expect(trace.outcome.summary).toMatch(/^cannot tell: 5 lines carry this id but none has a valid @timestamp/);
  });

  it('the same lines with `@timestamp`: no event to read, not 0 rows and "only job lines were found"', async () => {
    const renamed = (name: string) => readFileSync(join(SEEDS, name), 'utf8').replaceAll('"timestamp"', '"@timestamp"');
    const dir = logDir({
      'fastapi.ndjson': renamed('fastapi.ndjson'),
      'celery-worker-1.ndjson': renamed('celery-worker-1.ndjson'),
    });
    const { code, stdout } = await runExplore(['c-1001', '--logs', dir, '--plain']);
    expect(code).toBe(UNDETERMINED);
    expect(stdout).toContain(
      'UNDETERMINED · cannot tell: none of the 5 lines names a log-contract event in event.action',
    );
    expect(stdout).not.toContain('only job lines were found');
  });

  it('an API whose service.name is "fastapi": not "no API line" nor "correlation id reused by 2 requests"', async () => {
    const dir = logDir({ 'nginx.ndjson': [nginx(201)], 'fastapi.ndjson': api('fastapi'), 'worker.ndjson': worker });
    const { code, stdout } = await runExplore(['r-1', '--logs', dir, '--plain']);
    expect(code).toBe(UNDETERMINED);
    expect(stdout).toContain(
      'cannot tell: service.name fastapi writes HTTP request events, but only the api role is read',
    );
    expect(stdout).not.toContain('no API line');
    expect(stdout).not.toContain('reused by');
    // With its role mapped, the same lines give the right trace.
    const mapping = join(dir, 'mapping.yaml');
    writeFileSync(mapping, 'services:\n  fastapi: api\n');
    const mapped = await runExplore(['r-1', '--logs', dir, '--mapping', mapping, '--json']);
    expect(mapped.code).toBe(0);
    const trace = JSON.parse(mapped.stdout);
    expect(trace.outcome.status).toBe('succeeded');
    expect(trace.warnings).toEqual([]);
    expect(trace.gaps).toEqual([]);
  });

  it('ECS and OTel lines under the default profile: not found, saying the format needs a profile', async () => {
    for (const [dir, id] of [
      ['ecs', '0af7651916cd43dd8448eb211c80319c'],
      ['otel', '5b8efff798038103d269b633813fc60c'],
    ] as const) {
      const { code, stderr } = await runExplore([id, '--logs', join(ROOT, 'test', 'explorer', 'foreign', dir)]);
      expect(code).toBe(3);
      expect(stderr).toContain(`Lines mention ${id}, but not as correlation_id`);
      expect(stderr).toContain('--profile ecs, --profile otel or --mapping FILE');
    }
  });

  it('status polls on /v2/jobs/<id>: kept with the route set in a mapping, where the default drops them', async () => {
    const poll = (ms: number, action: string, extra: object) =>
      line(ms, 'api', action, {
        correlation_id: 'r-poll',
        'service.instance': 'api-1',
        'http.request.method': 'GET',
        'url.path': '/v2/jobs/t-1',
        ...extra,
      });
    const dir = logDir({
      'api.ndjson': [
        ...api('api'),
        poll(500, 'http.request.received', {}),
        poll(502, 'http.request.completed', { 'http.response.status_code': 200 }),
      ],
      'worker.ndjson': worker,
    });
    const plain = await runExplore(['r-1', '--logs', dir, '--plain']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('status poll');
    const mapping = join(dir, 'mapping.yaml');
    writeFileSync(mapping, 'statusRoute: /v2/jobs/:task_id\n');
    const mapped = await runExplore(['r-1', '--logs', dir, '--mapping', mapping, '--plain']);
    expect(mapped.code).toBe(0);
    expect(mapped.stdout).toContain('status poll → 200 (request r-poll)');
  });

  it('nginx answered but the API logs are missing: the API hop is unknown, not failed', async () => {
    const dir = logDir({ 'nginx.ndjson': [nginx(201)], 'worker.ndjson': worker });
    const { code, stdout } = await runExplore(['r-1', '--logs', dir, '--json']);
    expect(code).toBe(UNDETERMINED);
    const trace = JSON.parse(stdout);
    expect(trace.outcome.summary).toContain(
      "nginx answered 201 but no API line carries this correlation id: the API's logs are missing or lack correlation_id, so the API hop is unknown",
    );
    expect(trace.gaps).toEqual([]);
  });

  it('nginx 502 with no API line is still the named gap: the contract allows it', async () => {
    const dir = logDir({ 'nginx.ndjson': [nginx(502)] });
    const { code, stdout } = await runExplore(['r-1', '--logs', dir, '--plain']);
    expect(code).toBe(0);
    expect(stdout).toContain('no API line');
  });

  it('worker lines without task_id: cannot show attempts, not STUCK', async () => {
    const dir = logDir({
      'api.ndjson': api('api').map((l) => ({ ...l, 'service.instance': 'api-1' })),
      'worker.ndjson': [line(30, 'worker', 'task.started', { 'service.instance': 'worker-1' })],
    });
    const { code, stdout } = await runExplore(['r-1', '--logs', dir, '--plain']);
    expect(code).toBe(UNDETERMINED);
    expect(stdout).toContain('cannot tell: no worker lines carry task_id (1 line of worker-1): cannot show attempts');
    expect(stdout).not.toContain('STUCK');
    expect(stdout).not.toContain('never started');
  });
});

describe('what the contract allows stays an answer', () => {
  it('an nginx 429 it gave itself, with no upstream, is not taken for missing API logs', async () => {
    const own = { ...nginx(429), 'nginx.upstream.address': '-' };
    const dir = logDir({ 'nginx.ndjson': [own] });
    const { code, stdout } = await runExplore(['r-1', '--logs', dir, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).outcome.status).toBe('rejected');
  });
});
