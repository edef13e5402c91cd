import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { JobsInFlight, waitForLongJob } from '../../workload/load/jobs-in-flight.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-jobs-in-flight-'));
  dirs.push(dir);
  const path = join(dir, 'worker-1.ndjson');
  writeFileSync(path, '');
  return path;
}

function line(action: string, taskId: string, at = Date.now()): string {
  return `${JSON.stringify({ [F.TIMESTAMP]: new Date(at).toISOString(), [F.EVENT_ACTION]: action, [F.TASK_ID]: taskId })}\n`;
}

describe('jobs a worker holds, from its log', () => {
  it('holds a job from task.started until its completion, failure or hand-back', () => {
    const path = logFile();
    const jobs = new JobsInFlight(path);
    appendFileSync(path, line(EVENTS.TASK_STARTED, 'a') + line(EVENTS.TASK_STARTED, 'b'));
    appendFileSync(path, line(EVENTS.TASK_STARTED, 'c') + line(EVENTS.LOCK_ACQUIRED, 'c'));
    expect([...jobs.poll().keys()]).toEqual(['a', 'b', 'c']);
    appendFileSync(path, line(EVENTS.TASK_COMPLETED, 'a') + line(EVENTS.TASK_FAILED, 'b'));
    appendFileSync(path, line(EVENTS.SERVICE_STOPPING, 'c'));
    expect([...jobs.poll().keys()]).toEqual([]);
  });

  it('waits for the rest of a line the worker is still writing', () => {
    const path = logFile();
    const jobs = new JobsInFlight(path);
    const started = line(EVENTS.TASK_STARTED, 'half');
    appendFileSync(path, started.slice(0, 20));
    expect(jobs.poll().size).toBe(0);
    appendFileSync(path, started.slice(20));
    expect([...jobs.poll().keys()]).toEqual(['half']);
  });

  it('returns once a job has run long enough, and nothing when none did before the deadline', async () => {
    const path = logFile();
    appendFileSync(path, line(EVENTS.TASK_STARTED, 'short', Date.now()));
    expect(await waitForLongJob(new JobsInFlight(path), { minAgeMs: 60_000, timeoutMs: 100, pollMs: 10 })).toEqual([]);
    appendFileSync(path, line(EVENTS.TASK_STARTED, 'long', Date.now() - 5_000));
    expect(await waitForLongJob(new JobsInFlight(path), { minAgeMs: 1_000, timeoutMs: 100, pollMs: 10 })).toEqual([
      'short',
      'long',
    ]);
  });
});
