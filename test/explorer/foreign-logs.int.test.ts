/**
 * The real binary rebuilds a request from logs in other formats, read through a mapping:
 * a FastAPI + Celery service's own NDJSON (with a user mapping file), ECS lines as
 * `@elastic/ecs-pino-format` writes them, and OTLP JSON as the OpenTelemetry Collector's file
 * exporter writes it. The fixtures under test/explorer/foreign/ are hand-written in each
 * format (see their README).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, runExplore } from './binary.ts';

const FOREIGN = join(ROOT, 'test', 'explorer', 'foreign');
const SEEDS = join(FOREIGN, 'seeds');
const SEEDS_MAPPING = join(SEEDS, 'mapping.yaml');

beforeAll(() => ensureBuilt());

/** The rows' labels of a --plain trace, without the time and bar columns. */
function labels(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => /^\d\d:\d\d:\d\d\.\d{3} {2}/.test(line))
    .map((line) => line.replace(/^\S+\s+\S+\s{2}/, '').trimEnd());
}

describe('a FastAPI + Celery service through a user mapping file', () => {
  it('rebuilds the request, its task and the polls on /v2/jobs/<id>', async () => {
    const { code, stdout, stderr } = await runExplore([
      'c-1001',
      '--logs',
      SEEDS,
      '--mapping',
      SEEDS_MAPPING,
      '--plain',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('SUCCEEDED · POST /v2/jobs → 202 at 09:00:00.016');
    expect(labels(stdout)).toEqual([
      'request 1 · POST /v2/jobs → 202',
      '  fastapi POST /v2/jobs → 202 · 6.0 ms',
      '  ✓ task 6f1d2c9e-77aa-4f7e-9d0b-2b1f9c3e5a01 · reports.build · succeeded',
      '    enqueued on celery',
      '    queue wait · celery · 26 ms',
      '    attempt 1 · celery-worker-1 · 1.36 s · succeeded',
      '    ✓ completed · succeeded at 09:00:01.400',
      '    status poll → 200 (request c-1002)',
      '    status poll → 200 (request c-1003)',
    ]);
  });

  it('reads a failure that only a message pattern names, with the task id the pattern captures', async () => {
    const { code, stdout } = await runExplore(['c-2001', '--logs', SEEDS, '--mapping', SEEDS_MAPPING, '--json']);
    expect(code).toBe(0);
    const trace = JSON.parse(stdout);
    expect(trace.outcome.status).toBe('failed');
    expect(trace.outcome.summary).toContain("raised unexpected: ValueError('empty report')");
    expect(trace.task_ids).toEqual(['0b9e4d1a-3c2f-4e8b-a6d7-5f1e2c3b4a02']);
  });

  it('takes the mapping file from DTQ_EXPLORE_MAPPING, and --task and the list honour it', async () => {
    const env = { DTQ_EXPLORE_MAPPING: SEEDS_MAPPING };
    const task = await runExplore(['--task', '6f1d2c9e-77aa-4f7e-9d0b-2b1f9c3e5a01', '--logs', SEEDS, '--json'], env);
    expect(task.code).toBe(0);
    expect(JSON.parse(task.stdout).correlation_id).toBe('c-1001');
    const list = await runExplore(['--logs', SEEDS, '--since', '2026-12-01T00:00:00Z', '--json'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('"c-1001"');
    expect(list.stdout).toContain('"c-2001"');
  });

  it('names the first problem of a mapping file that cannot be used', async () => {
    const bad = join(FOREIGN, 'bad-mapping.yaml');
    const { code, stderr } = await runExplore(['c-1001', '--logs', SEEDS, '--mapping', bad, '--plain']);
    expect(code).toBe(2);
    expect(stderr).toContain('DTQ_ERR_EXPLORE_BAD_MAPPING');
    expect(stderr).toContain('services.fastapi: "web" is not a role (nginx, api, worker, other)');
  });

  it('refuses an unknown profile and lists the known ones', async () => {
    const { code, stderr } = await runExplore(['c-1001', '--logs', SEEDS, '--profile', 'gelf']);
    expect(code).toBe(2);
    expect(stderr).toContain('There is no mapping profile gelf. Use one of dtq, ecs, otel');
  });
});

describe('ECS lines as @elastic/ecs-pino-format writes them (--profile ecs)', () => {
  const ECS = join(FOREIGN, 'ecs');

  it('rebuilds the request from trace.id, nested http/url objects and dotted keys alike', async () => {
    const { code, stdout } = await runExplore([
      '0af7651916cd43dd8448eb211c80319c',
      '--logs',
      ECS,
      '--profile',
      'ecs',
      '--plain',
    ]);
    expect(code).toBe(0);
    expect(labels(stdout)).toEqual([
      'request 1 · POST /jobs → 202',
      '  orders-api-1 POST /jobs → 202 · 6.0 ms',
      '  ✓ task job-5521 · build_report · succeeded',
      '    enqueued on reports',
      '    queue wait · reports · 27 ms',
      '    ✗ attempt 1 · orders-worker-1 · 100 ms · failed: Error: report source timed out',
      '    backoff 1.00 s + queue wait · 1.01 s',
      '    attempt 2 · orders-worker-1 · 250 ms · succeeded',
      '    ✓ completed · succeeded at 09:00:01.400',
      '    status poll → 200 (request 4bf92f35…e0e4736)',
    ]);
  });

  it('opens the request from its task through DTQ_EXPLORE_PROFILE', async () => {
    const { code, stdout } = await runExplore(['--task', 'job-5521', '--logs', ECS, '--json'], {
      DTQ_EXPLORE_PROFILE: 'ecs',
    });
    expect(code).toBe(0);
    const trace = JSON.parse(stdout);
    expect(trace.correlation_id).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(trace.outcome.status).toBe('succeeded');
  });
});

describe('OTLP JSON as the Collector file exporter writes it (--profile otel)', () => {
  const OTEL = join(FOREIGN, 'otel');

  it('rebuilds the request from many records per line, traceId and key/value attributes', async () => {
    const { code, stdout } = await runExplore([
      '5b8efff798038103d269b633813fc60c',
      '--logs',
      OTEL,
      '--profile',
      'otel',
      '--plain',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('span:           2026-12-01T09:00:00.010Z');
    expect(labels(stdout)).toEqual([
      'request 1 · POST /jobs → 202',
      '  orders-api-1 POST /jobs → 202 · 6.0 ms',
      '  ✓ task 4c1f · build_report · succeeded',
      '    enqueued on reports',
      '    queue wait · reports · 26 ms',
      '    attempt 1 · orders-worker-1 · 260 ms · succeeded',
      '    ✓ completed · succeeded at 09:00:00.300',
      '    status poll → 200 (request a3ce929d…7b34da6)',
    ]);
  });
});
