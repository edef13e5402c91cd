import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { JobLog } from '../../instrumentation/bullmq.ts';
import { RunningAttempts } from '../../workload/worker/attempts.ts';
import { pauseOf } from '../../workload/worker/freeze-watch.ts';
import { overtakenError } from '../../workload/worker/overtaken-errors.ts';

function bullError(message: string, code?: number): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('BullMQ worker errors about one job', () => {
  it('reads a failed lock renewal as the lease of that job lost', () => {
    expect(overtakenError(bullError('could not renew lock for job 6f1c-aa'))).toEqual({
      kind: 'lease_lost',
      jobId: '6f1c-aa',
    });
  });

  it('reads a refused move of a job whose lock is gone as its finish refused', () => {
    expect(overtakenError(bullError('Missing lock for job j-1. moveToFinished', -2))).toEqual({
      kind: 'finish_refused',
      jobId: 'j-1',
    });
    expect(overtakenError(bullError('Lock mismatch for job j-2. Cmd moveToFinished from active', -6))).toEqual({
      kind: 'finish_refused',
      jobId: 'j-2',
    });
    expect(overtakenError(bullError('Job j-3 is not in the active state. moveToFinished', -3))).toEqual({
      kind: 'finish_refused',
      jobId: 'j-3',
    });
  });

  it('leaves every other error alone', () => {
    expect(overtakenError(bullError('Missing lock for job j-1. moveToFinished'))).toBeUndefined();
    expect(overtakenError(bullError('Job j-4 has pending dependencies. moveToFinished', -4))).toBeUndefined();
    expect(overtakenError(bullError('Connection is closed.'))).toBeUndefined();
  });
});

describe('the stand-still of a process', () => {
  it('is how late a tick came, once that reaches the threshold', () => {
    expect(pauseOf(1000, 1250, 250, 1500)).toBe(0);
    expect(pauseOf(1000, 2700, 250, 1500)).toBe(0);
    expect(pauseOf(1000, 12_250, 250, 1500)).toBe(11_000);
  });
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ base: null, timestamp: false }, { write: (text: string) => lines.push(JSON.parse(text)) });
  return { logger, lines };
}

describe('lines written about an attempt from outside the processor', () => {
  it('carry the attempt’s ids; a lost lease and a refused end are logged once each, the latter with the attempt’s own failure', () => {
    const { logger, lines } = capture();
    const attempts = new RunningAttempts();
    const ids = { [F.CORRELATION_ID]: 'req-1', [F.TASK_ID]: 'job-1', [F.TASK_ATTEMPT]: 1 };
    const attempt = attempts.begin('job-1', new JobLog(logger, ids));
    attempt.log = attempt.log.with({ [F.LOCK_FENCING_TOKEN]: 1 });
    const fallback = new JobLog(logger, { [F.TASK_ID]: 'job-1' });

    attempts.resumed(9000);
    attempts.leaseLost('job-1', fallback);
    attempts.leaseLost('job-1', fallback);
    attempt.end = {
      outcome: 'failure',
      error: Object.assign(new Error('refused'), { code: 'DTQ_ERR_LOCK_WRITE_REJECTED' }),
    };
    attempts.resumed(9000);
    attempts.finishRefused('job-1', bullError('Missing lock for job job-1. moveToFinished', -2), fallback);
    attempts.finishRefused('job-1', bullError('Missing lock for job job-1. moveToFinished', -2), fallback);

    expect(lines.map((l) => l[F.EVENT_ACTION])).toEqual([
      EVENTS.TASK_RESUMED,
      EVENTS.TASK_LEASE_LOST,
      EVENTS.TASK_FINISH_REFUSED,
    ]);
    for (const line of lines) expect(line).toMatchObject({ ...ids, [F.LOCK_FENCING_TOKEN]: 1 });
    expect(lines[0]?.[F.EVENT_DURATION]).toBe(9_000_000_000);
    expect(lines[2]).toMatchObject({ [F.EVENT_OUTCOME]: 'failure', [F.ERROR_CODE]: 'DTQ_ERR_LOCK_WRITE_REJECTED' });
  });

  it('fall back to the job id alone for a job this process no longer tracks', () => {
    const { logger, lines } = capture();
    new RunningAttempts().leaseLost('job-9', new JobLog(logger, { [F.TASK_ID]: 'job-9', [F.TASK_QUEUE]: 'high' }));
    expect(lines).toEqual([
      expect.objectContaining({ [F.TASK_ID]: 'job-9', [F.EVENT_ACTION]: EVENTS.TASK_LEASE_LOST }),
    ]);
  });
});
