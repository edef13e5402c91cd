/**
 * ECS lines written for real by `@elastic/ecs-pino-format` (with `convertReqRes` and
 * `convertErr`, as its README recommends for HTTP services), from a real HTTP server and a
 * worker loop in this process, then read by the real `dtq-explore` binary with `--profile ecs`.
 * The application adds only what any service adds to pino: its ids and `event.action` as
 * bindings. The hand-written fixture in foreign/ecs/ is checked to have the same shape.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ecsFormat } from '@elastic/ecs-pino-format';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, runExplore } from './binary.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const POLL_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TASK_ID = 'job-7741';

function ecsLogger(file: string, serviceName: string, serviceNodeName: string): Logger {
  return pino(
    {
      ...ecsFormat({
        convertReqRes: true,
        convertErr: true,
        serviceName,
        serviceNodeName,
        serviceVersion: '2.3.0',
        serviceEnvironment: 'production',
      }),
    },
    pino.destination({ dest: file, sync: true }),
  );
}

function hex(length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The worker: two attempts, the first fails, a retry after 50 ms. */
async function runWorker(log: Logger): Promise<void> {
  const job = log.child({ 'trace.id': TRACE_ID, task_id: TASK_ID });
  let tx = job.child({ 'transaction.id': hex(16) });
  tx.info({ 'event.action': 'task.started', 'task.attempt': 1, 'task.queue': 'reports' }, 'job started');
  await sleep(20);
  tx.error(
    {
      'event.action': 'task.failed',
      'task.attempt': 1,
      'event.duration': 20e6,
      err: new Error('report source timed out'),
    },
    'job failed',
  );
  tx.info({ 'event.action': 'task.retry_scheduled', 'task.attempt': 1, 'task.retry_delay': 50e6 }, 'job retries');
  await sleep(50);
  tx = job.child({ 'transaction.id': hex(16) });
  tx.info({ 'event.action': 'task.started', 'task.attempt': 2, 'task.queue': 'reports' }, 'job started');
  await sleep(30);
  tx.info({ 'event.action': 'task.completed', 'task.attempt': 2, 'event.duration': 30e6 }, 'job completed');
}

describe('lines written by @elastic/ecs-pino-format itself', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'dtq-ecs-pino-'));
    const api = ecsLogger(join(dir, 'orders-api.ndjson'), 'orders-api', 'orders-api-1');
    const worker = ecsLogger(join(dir, 'orders-worker.ndjson'), 'orders-worker', 'orders-worker-1');
    let workerDone: Promise<void> = Promise.resolve();
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const traceId = String(req.headers['x-trace-id']);
      const log = api.child({ 'trace.id': traceId, 'transaction.id': hex(16) });
      const started = process.hrtime.bigint();
      const poll = req.url?.startsWith('/api/v1/tasks/') === true;
      const labels = poll ? { labels: { task_id: TASK_ID } } : {};
      log.info({ req, 'event.action': 'http.request.received', ...labels }, 'incoming request');
      req.resume();
      req.on('end', () => {
        if (!poll) {
          log.info(
            { 'event.action': 'task.enqueued', task_id: TASK_ID, task: { queue: 'reports', type: 'build_report' } },
            'job queued',
          );
          workerDone = runWorker(worker);
        }
        res.statusCode = poll ? 200 : 202;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ task_id: TASK_ID }));
        const duration = Number(process.hrtime.bigint() - started);
        log.info(
          { req, res, 'event.action': 'http.request.completed', 'event.duration': duration, ...labels },
          'handled request',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const created = await fetch(`${base}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-trace-id': TRACE_ID },
      body: JSON.stringify({ report: 'daily' }),
    });
    expect(created.status).toBe(202);
    await workerDone;
    const polled = await fetch(`${base}/api/v1/tasks/${TASK_ID}`, { headers: { 'x-trace-id': POLL_TRACE_ID } });
    expect(polled.status).toBe(200);
    await polled.text();
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds the request, both attempts, the retry and the status poll', async () => {
    const { code, stdout, stderr } = await runExplore([TRACE_ID, '--logs', dir, '--profile', 'ecs', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const trace = JSON.parse(stdout);
    expect(trace.outcome.status).toBe('succeeded');
    expect(trace.task_ids).toEqual([TASK_ID]);
    const text = JSON.stringify(trace);
    expect(text).toContain('report source timed out');
    const plain = await runExplore([TRACE_ID, '--logs', dir, '--profile', 'ecs', '--plain']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('request 1 · POST /jobs → 202');
    expect(plain.stdout).toMatch(/✗ attempt 1 · orders-worker-1 · .* · failed: Error: report source timed out/);
    expect(plain.stdout).toMatch(/attempt 2 · orders-worker-1 · .* · succeeded/);
    expect(plain.stdout).toContain('status poll → 200');
  });

  it('has the shape the hand-written fixture in foreign/ecs has, line kind by line kind', () => {
    const keysByAction = (file: string): Map<string, string> => {
      const kinds = new Map<string, string>();
      for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
        const record = JSON.parse(line) as Record<string, unknown>;
        const nested = record.event as { action?: string } | undefined;
        const action = String(record['event.action'] ?? nested?.action);
        kinds.set(action, Object.keys(record).sort().join(','));
      }
      return kinds;
    };
    const real = keysByAction(join(dir, 'orders-api.ndjson'));
    const fixture = keysByAction(join(ROOT, 'test', 'explorer', 'foreign', 'ecs', 'orders-api.ndjson'));
    for (const action of ['http.request.received', 'http.request.completed']) {
      const strip = (keys: string | undefined) => keys?.replace(/(^|,)labels(?=,|$)/, '');
      expect(strip(fixture.get(action)), action).toBe(strip(real.get(action)));
    }
    const realWorker = keysByAction(join(dir, 'orders-worker.ndjson'));
    const fixtureWorker = keysByAction(join(ROOT, 'test', 'explorer', 'foreign', 'ecs', 'orders-worker.ndjson'));
    expect(fixtureWorker.get('task.failed')).toBe(realWorker.get('task.failed'));
  });
});
