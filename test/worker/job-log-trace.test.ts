import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { jobLog } from '../../instrumentation/bullmq.ts';
import { createLogger, logFilePath } from '../../instrumentation/logger.ts';
import type { TaskJobData } from '../../workload/queue/contract.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const API_SPAN = '00f067aa0ba902b7';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The line jobLog writes for a job whose data holds `traceparent`. */
function lineFor(traceparent: unknown): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-job-log-trace-'));
  dirs.push(dir);
  const logger = createLogger({ service: 'worker', instance: 'worker-t', logDir: dir, stdout: false });
  const data = {
    task_type: 'calculate_var',
    data: {},
    priority: 'high',
    correlation_id: 'cid-1',
    enqueued_at: 0,
    ...(traceparent === undefined ? {} : { traceparent }),
  } as TaskJobData;
  const job = { id: 't-1', data, queueName: 'high' } as Job<TaskJobData>;
  jobLog(logger, job).event('info', EVENTS.TASK_STARTED, {}, 'started');
  logger.flush();
  return JSON.parse(readFileSync(logFilePath(dir, 'worker-t'), 'utf8').trim());
}

describe("the trace context of a job's lines", () => {
  it('carries the trace id and names the enqueuing API span as parent', () => {
    const line = lineFor(`00-${TRACE}-${API_SPAN}-01`);
    expect(line).toMatchObject({ [F.TRACE_ID]: TRACE, [F.PARENT_ID]: API_SPAN, [F.TASK_ID]: 't-1' });
    expect(line).not.toHaveProperty(F.SPAN_ID);
  });

  it.each([
    ['a job enqueued without one', undefined],
    ['a malformed one', `00-${TRACE.toUpperCase()}-${API_SPAN}-01`],
    ['a hostile one', `00-${TRACE}-${API_SPAN}-01"},{"x":"1`],
    ['one of another type', { trace: TRACE }],
  ])('logs no trace fields for %s, and the job still logs', (_name, traceparent) => {
    const line = lineFor(traceparent);
    expect(line).toMatchObject({ [F.TASK_ID]: 't-1', [F.CORRELATION_ID]: 'cid-1' });
    expect(line).not.toHaveProperty(F.TRACE_ID);
    expect(line).not.toHaveProperty(F.PARENT_ID);
    expect(JSON.stringify(line)).not.toContain('"x"');
  });
});
