/**
 * Requests that share one X-Request-ID, told apart end to end: concurrent POSTs through the
 * real nginx to the real APIs and workers, then the real dtq-explore binary on their log files.
 * Every request is its own branch with exactly its own task, nginx's line is paired with the
 * API process that served it (W3C span ids: nginx's span.id is the API's parent.id), and the
 * trace id alone opens the trace.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { DESIGN_NOTES_EXAMPLE } from '../../workload/stack/sample-tasks.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { waitFor } from '../utils/wait.ts';
import { ensureBuilt, runExplore } from './binary.ts';

let stack: TestStack;

beforeAll(async () => {
  ensureBuilt();
  stack = await startStack({ apis: 3, workers: 3 });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

interface Answer {
  readonly status: number;
  readonly taskId: string | undefined;
}

async function post(cid: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${stack.httpUrl}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': cid, ...headers },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { task_id?: string };
  return { status: response.status, taskId: json.task_id };
}

/** Wait until the tasks finished and nginx logged `requests` lines of `cid` (it logs after answering). */
async function settled(cid: string, requests: number, taskIds: readonly string[]): Promise<void> {
  for (const taskId of taskIds) await stack.waitForTask(taskId);
  await waitFor(`${requests} nginx lines of ${cid}`, () =>
    stack.readLog('nginx').filter((line) => line[F.CORRELATION_ID] === cid).length >= requests ? true : undefined,
  );
  // The worker writes its last line about a job after BullMQ has it completed.
  await waitFor(`the completion lines of ${taskIds.length} tasks`, () => {
    const done = stack
      .readLogs()
      .filter((line) => line[F.EVENT_ACTION] === EVENTS.TASK_COMPLETED && taskIds.includes(String(line[F.TASK_ID])));
    return done.length >= taskIds.length ? true : undefined;
  });
}

interface RequestJson {
  status: number | null;
  api_instance: string | null;
  nginx: { status: number | null; upstream: string | null } | null;
  task_ids: string[];
  trace_id: string | null;
  span_id: string | null;
}

interface TraceJson {
  correlation_id: string;
  requests: RequestJson[];
  tasks: { task_id: string; outcome: string }[];
  gaps: { kind: string }[];
  outcome: { status: string };
}

async function explore(id: string): Promise<TraceJson> {
  const result = await runExplore([id, '--logs', stack.logDir, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as TraceJson;
}

/** Each API instance's port, from its service.started line: what nginx writes as the upstream. */
function apiPorts(): Map<string, number> {
  const ports = new Map<string, number>();
  for (const instance of ['api-1', 'api-2', 'api-3']) {
    const started = stack.readLog(instance).find((line) => line[F.EVENT_ACTION] === EVENTS.SERVICE_STARTED);
    if (started !== undefined) ports.set(instance, Number(started[F.SERVER_PORT]));
  }
  return ports;
}

describe('requests sharing one X-Request-ID, through nginx', () => {
  it('shows six concurrent POSTs (three valid, three invalid) as six requests: 3×202 each with its own task, 3×400', async () => {
    const cid = `shared-mixed-${randomUUID().slice(0, 8)}`;
    const answers = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => post(cid, i % 2 === 0 ? DESIGN_NOTES_EXAMPLE : { task_type: 'no_such_task' })),
    );
    const created = answers.filter((a) => a.status === 202).map((a) => a.taskId as string);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 202, 400, 400, 400]);
    await settled(cid, 6, created);

    const trace = await explore(cid);
    expect(trace.requests).toHaveLength(6);
    const accepted = trace.requests.filter((r) => r.status === 202);
    const refused = trace.requests.filter((r) => r.status === 400);
    expect(accepted.map((r) => r.task_ids.length)).toEqual([1, 1, 1]);
    expect(accepted.flatMap((r) => r.task_ids).sort()).toEqual([...created].sort());
    expect(refused.map((r) => r.task_ids)).toEqual([[], [], []]);
    for (const request of trace.requests) {
      expect(request.nginx?.status).toBe(request.status);
      expect(request.span_id).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(new Set(trace.requests.map((r) => r.span_id)).size).toBe(6);
    expect(trace.gaps).toEqual([]);
    expect(trace.tasks.map((t) => t.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('gives each of six concurrent valid POSTs per id, across three APIs, exactly its own task and its own nginx line', async () => {
    const cids = [0, 1, 2].map((i) => `shared-valid-${i}-${randomUUID().slice(0, 8)}`);
    const answers = await Promise.all(
      cids.map(async (cid) => ({
        cid,
        answers: await Promise.all([0, 1, 2, 3, 4, 5].map(() => post(cid, DESIGN_NOTES_EXAMPLE))),
      })),
    );
    const ports = apiPorts();
    expect(ports.size).toBe(3);
    for (const { cid, answers: mine } of answers) {
      expect(mine.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
      const created = mine.map((a) => a.taskId as string);
      await settled(cid, 6, created);
      const trace = await explore(cid);
      expect(trace.requests).toHaveLength(6);
      expect(trace.requests.map((r) => r.task_ids.length)).toEqual([1, 1, 1, 1, 1, 1]);
      expect(trace.requests.flatMap((r) => r.task_ids).sort()).toEqual([...created].sort());
      for (const request of trace.requests) {
        // nginx's line is the one whose upstream is the API that logged the request.
        expect(request.nginx?.upstream).toBe(`127.0.0.1:${ports.get(request.api_instance ?? '')}`);
        expect(request.nginx?.status).toBe(202);
      }
      expect(trace.gaps).toEqual([]);
      expect(trace.outcome.status).toBe('succeeded');
    }
  });
});

describe('a request by its W3C trace id', () => {
  it("opens the trace of a client's traceparent by its trace id, and every line of it carries that id", async () => {
    const cid = `traced-${randomUUID().slice(0, 8)}`;
    const traceId = randomUUID().replaceAll('-', '');
    const clientSpan = '00f067aa0ba902b7';
    const answer = await post(cid, DESIGN_NOTES_EXAMPLE, { traceparent: `00-${traceId}-${clientSpan}-01` });
    expect(answer.status).toBe(202);
    await settled(cid, 1, [answer.taskId as string]);

    // The request's own lines and its job's (the test's status polls have ids of their own).
    const lines = stack.readLogs().filter((line) => line[F.CORRELATION_ID] === cid);
    const nginx = lines.filter((line) => line[F.SERVICE_NAME] === 'nginx');
    const api = lines.filter((line) => line[F.SERVICE_NAME] === 'api');
    const worker = lines.filter((line) => line[F.SERVICE_NAME] === 'worker');
    expect(nginx).toHaveLength(1);
    expect(worker.length).toBeGreaterThan(0);
    for (const line of lines) expect(line[F.TRACE_ID], String(line[F.EVENT_ACTION])).toBe(traceId);
    const nginxSpan = nginx[0]?.[F.SPAN_ID];
    expect(nginxSpan).toMatch(/^[0-9a-f]{16}$/);
    expect(nginxSpan).not.toBe(clientSpan);
    expect(nginx[0]?.[F.HTTP_REQUEST_ID]).toMatch(/^[0-9a-f]{32}$/);
    const apiSpan = api[0]?.[F.SPAN_ID];
    expect(api.map((line) => [line[F.SPAN_ID], line[F.PARENT_ID]])).toEqual(api.map(() => [apiSpan, nginxSpan]));
    // The job's lines name the API span that enqueued it as their parent.
    for (const line of worker) expect(line[F.PARENT_ID]).toBe(apiSpan);
    // The completion line names the task the request created.
    expect(api.find((line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED)?.[F.TASK_ID]).toBe(answer.taskId);

    const trace = await explore(traceId);
    expect(trace.correlation_id).toBe(cid);
    expect(trace.requests.map((r) => [r.trace_id, r.span_id, r.task_ids])).toEqual([
      [traceId, apiSpan, [answer.taskId]],
    ]);
  });

  it('opens a trace nginx started (no traceparent sent) by the trace id in its access line', async () => {
    const cid = `untraced-${randomUUID().slice(0, 8)}`;
    const answer = await post(cid, DESIGN_NOTES_EXAMPLE);
    await settled(cid, 1, [answer.taskId as string]);
    const [access] = stack.readLog('nginx').filter((line) => line[F.CORRELATION_ID] === cid);
    // nginx started the trace from its own $request_id.
    expect(access?.[F.TRACE_ID]).toBe(access?.[F.HTTP_REQUEST_ID]);
    const trace = await explore(String(access?.[F.TRACE_ID]));
    expect(trace.correlation_id).toBe(cid);
    expect(trace.requests.map((r) => r.task_ids)).toEqual([[answer.taskId]]);
  });
});
