/**
 * One correlation id end to end through the real stack: nginx access log → API lines → the
 * job's data in Redis → worker lines, for a client-supplied id, an absent one and a hostile one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { headerValue } from '../../contract/http-client.ts';
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { QUEUE_NAMES, queuePrefix } from '../../workload/queue/contract.ts';
import { sampleTaskBody } from '../../workload/stack/sample-tasks.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { waitFor } from '../utils/wait.ts';

let stack: TestStack;
let redis: Redis;

beforeAll(async () => {
  stack = await startStack();
  redis = new Redis(stack.redisUrl, { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

/** Submit a task through nginx, wait for it to succeed; return the id the response carried. */
async function submitAndFinish(headers: Record<string, string>, variant: number) {
  const body = sampleTaskBody('calculate_var', 'high', variant);
  const response = await stack.postTask(body, headers);
  expect(response.status, response.text).toBe(202);
  const json = response.json() as { task_id: string; correlation_id: string };
  const echoed = headerValue(response, 'x-request-id');
  expect(json.correlation_id).toBe(echoed);
  const final = await stack.waitForTask(json.task_id);
  expect(final.status).toBe('succeeded');
  return { correlationId: json.correlation_id, taskId: json.task_id };
}

/** Lines of every process that mention the task or the correlation id, once the worker's are written. */
async function linesOf(correlationId: string, taskId: string) {
  return waitFor(
    'the worker completion line',
    () => {
      const lines = stack.readLogs();
      const done = lines.some((l) => l[F.TASK_ID] === taskId && l[F.EVENT_ACTION] === EVENTS.TASK_COMPLETED);
      const nginx = lines.some((l) => l[F.SERVICE_NAME] === 'nginx' && l[F.CORRELATION_ID] === correlationId);
      return done && nginx
        ? lines.filter((l) => l[F.CORRELATION_ID] === correlationId || l[F.TASK_ID] === taskId)
        : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

function byService(lines: LogRecord[], service: string): LogRecord[] {
  return lines.filter((line) => line[F.SERVICE_NAME] === service);
}

async function jobCorrelationId(taskId: string): Promise<string | undefined> {
  const data = await redis.hget(`${queuePrefix(QUEUE_NAMES.high)}:${QUEUE_NAMES.high}:${taskId}`, 'data');
  return data ? (JSON.parse(data) as { correlation_id?: string }).correlation_id : undefined;
}

/** The same id on the nginx line of the POST, every API line of the request, the job and every worker line of the task. */
async function expectOneIdEverywhere(correlationId: string, taskId: string): Promise<void> {
  const lines = await linesOf(correlationId, taskId);
  const nginx = byService(lines, 'nginx').filter((l) => l[F.HTTP_METHOD] === 'POST');
  expect(nginx).toHaveLength(1);
  expect(nginx[0]?.[F.CORRELATION_ID]).toBe(correlationId);
  expect(nginx[0]?.[F.HTTP_STATUS]).toBe(202);

  const api = byService(lines, 'api').filter(
    (l) => l[F.HTTP_METHOD] === 'POST' || l[F.EVENT_ACTION] === EVENTS.TASK_ENQUEUED,
  );
  const apiActions = api.map((l) => l[F.EVENT_ACTION]);
  expect(apiActions).toEqual(
    expect.arrayContaining([EVENTS.HTTP_REQUEST_RECEIVED, EVENTS.TASK_ENQUEUED, EVENTS.HTTP_REQUEST_COMPLETED]),
  );
  for (const line of api) expect(line[F.CORRELATION_ID]).toBe(correlationId);

  expect(await jobCorrelationId(taskId)).toBe(correlationId);

  const worker = byService(lines, 'worker').filter((l) => l[F.TASK_ID] === taskId);
  expect(worker.map((l) => l[F.EVENT_ACTION])).toEqual(
    expect.arrayContaining([EVENTS.TASK_STARTED, EVENTS.TASK_COMPLETED]),
  );
  for (const line of worker) expect(line[F.CORRELATION_ID]).toBe(correlationId);
}

describe('correlation id through nginx, API, job and worker', () => {
  it('keeps a client X-Request-ID unchanged in the nginx log, the API lines, the job data and the worker lines', async () => {
    const sent = `e2e-client-${Date.now()}`;
    const { correlationId, taskId } = await submitAndFinish({ 'x-request-id': sent }, 1);
    expect(correlationId).toBe(sent);
    await expectOneIdEverywhere(sent, taskId);
  });

  it('generates one id when the client sends none and uses that same id everywhere', async () => {
    const { correlationId, taskId } = await submitAndFinish({}, 2);
    expect(correlationId).toMatch(CORRELATION_ID_PATTERN);
    await expectOneIdEverywhere(correlationId, taskId);
    // Generated once: the enqueue and every worker line of the task carry it, no other id.
    // (Status polls are requests of their own, with their own ids; they are left out.)
    const taskLines = stack
      .readLogs()
      .filter(
        (l) =>
          l[F.TASK_ID] === taskId && (l[F.SERVICE_NAME] === 'worker' || l[F.EVENT_ACTION] === EVENTS.TASK_ENQUEUED),
      );
    expect(taskLines.length).toBeGreaterThanOrEqual(3);
    expect(new Set(taskLines.map((l) => l[F.CORRELATION_ID]))).toEqual(new Set([correlationId]));
  });

  it('replaces a hostile X-Request-ID everywhere and never writes it to any log file', async () => {
    const hostile = `evil"}, {"injected": true, "x": "${'<'.repeat(3)}`;
    const { correlationId, taskId } = await submitAndFinish({ 'x-request-id': hostile }, 3);
    expect(correlationId).not.toBe(hostile);
    expect(correlationId).toMatch(CORRELATION_ID_PATTERN);
    await expectOneIdEverywhere(correlationId, taskId);
    for (const file of readdirSync(stack.logDir)) {
      const text = readFileSync(join(stack.logDir, file), 'utf8');
      expect(text.includes('injected'), `${file} contains the hostile value`).toBe(false);
    }
  });

  it('replaces an over-long X-Request-ID (129 characters) with a generated one', async () => {
    const tooLong = 'a'.repeat(129);
    const { correlationId, taskId } = await submitAndFinish({ 'x-request-id': tooLong }, 4);
    expect(correlationId).not.toBe(tooLong);
    await expectOneIdEverywhere(correlationId, taskId);
  });
});
