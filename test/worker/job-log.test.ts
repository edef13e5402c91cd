import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { JobLog } from '../../instrumentation/bullmq.ts';
import { createLogger, logEvent, logFilePath } from '../../instrumentation/logger.ts';
import { duplicateKeys } from './duplicate-keys.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileLogger() {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-job-log-'));
  dirs.push(dir);
  const logger = createLogger({ service: 'worker', instance: 'worker-t', logDir: dir, stdout: false });
  const lines = () =>
    readFileSync(logFilePath(dir, 'worker-t'), 'utf8')
      .split('\n')
      .filter((line) => line !== '');
  return { logger, lines };
}

describe('JobLog', () => {
  it('writes a field given both as context and on the line once, with the line’s value', () => {
    const { logger, lines } = fileLogger();
    const log = new JobLog(logger, { [F.TASK_ID]: 't-1', [F.TASK_QUEUE]: 'high' }).with({ [F.TASK_ATTEMPT]: 1 });
    log.event('error', EVENTS.TASK_DEAD_LETTERED, { [F.TASK_QUEUE]: 'elsewhere', [F.TASK_ATTEMPT]: 3 }, 'dead');
    const [line] = lines();
    expect(duplicateKeys(line ?? '')).toEqual([]);
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      [F.TASK_ID]: 't-1',
      [F.TASK_QUEUE]: 'elsewhere',
      [F.TASK_ATTEMPT]: 3,
      [F.EVENT_ACTION]: EVENTS.TASK_DEAD_LETTERED,
    });
  });

  it('exists because a pino child writes a bound field and the same field on a line side by side', () => {
    // If pino ever merges them, JobLog is no longer needed for this.
    const { logger, lines } = fileLogger();
    logEvent(logger.child({ [F.TASK_QUEUE]: 'high' }), 'info', EVENTS.TASK_STARTED, { [F.TASK_QUEUE]: 'x' }, 'x');
    expect(duplicateKeys(lines()[0] ?? '')).toEqual([F.TASK_QUEUE]);
  });
});
