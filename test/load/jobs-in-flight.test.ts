import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { isLogOfWorker, JobsInFlight, WorkerJobs, waitForLongJob } from '../../workload/load/jobs-in-flight.ts';

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

  it("holds the jobs of a worker's pool processes, each in its own file, and of no other worker", () => {
    const dir = dirname(logFile());
    const jobs = new WorkerJobs(dir, 'worker-1');
    writeFileSync(join(dir, 'worker-1.1.ndjson'), line(EVENTS.TASK_STARTED, 'a'));
    writeFileSync(join(dir, 'worker-10.ndjson'), line(EVENTS.TASK_STARTED, 'other-worker'));
    writeFileSync(join(dir, 'worker-2.1.ndjson'), line(EVENTS.TASK_STARTED, 'other-pool'));
    expect([...jobs.poll().keys()]).toEqual(['a']);
    // A pool process that first writes later is found on the next poll.
    writeFileSync(join(dir, 'worker-1.2.ndjson'), line(EVENTS.TASK_STARTED, 'b'));
    appendFileSync(join(dir, 'worker-1.1.ndjson'), line(EVENTS.TASK_FAILED, 'a'));
    expect([...jobs.poll().keys()]).toEqual(['b']);
  });

  it("tells a worker's logs from another's", () => {
    expect(isLogOfWorker('worker-1.ndjson', 'worker-1')).toBe(true);
    expect(isLogOfWorker('worker-1.3.ndjson', 'worker-1')).toBe(true);
    expect(isLogOfWorker('worker-11.ndjson', 'worker-1')).toBe(false);
    expect(isLogOfWorker('worker-1.x.ndjson', 'worker-1')).toBe(false);
    expect(isLogOfWorker('worker-1.ndjson.1', 'worker-1')).toBe(false);
  });
});
