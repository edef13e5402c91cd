import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { createLogger, logEvent, logFilePath, reopenLogFiles } from '../../instrumentation/logger.ts';

function linesOf(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('writes vocabulary lines with service, timestamp, level and a per-process sequence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-log-'));
    const logger = createLogger({ service: 'api', instance: 'api-7', logDir: dir, stdout: false });
    logEvent(logger, 'info', EVENTS.TASK_ENQUEUED, { [F.CORRELATION_ID]: 'abc', [F.TASK_ID]: 't1' }, 'task enqueued');
    logger.child({ [F.CORRELATION_ID]: 'abc' }).warn('second');
    const [first, second] = linesOf(logFilePath(dir, 'api-7'));
    expect(first).toMatchObject({
      [F.SERVICE_NAME]: 'api',
      [F.SERVICE_INSTANCE]: 'api-7',
      [F.HOST_NAME]: hostname(),
      [F.LOG_LEVEL]: 'info',
      [F.EVENT_ACTION]: 'task.enqueued',
      [F.CORRELATION_ID]: 'abc',
      [F.TASK_ID]: 't1',
      [F.MESSAGE]: 'task enqueued',
      [F.EVENT_SEQUENCE]: 1,
    });
    expect(Date.parse(String(first?.[F.TIMESTAMP]))).not.toBeNaN();
    expect(second).toMatchObject({ [F.LOG_LEVEL]: 'warn', [F.CORRELATION_ID]: 'abc', [F.EVENT_SEQUENCE]: 2 });
  });

  it('names the host on every line: the given name, else DTQ_HOST_NAME, else the operating system host name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-log-'));
    const given = createLogger({ service: 'api', instance: 'a', logDir: dir, stdout: false, hostName: 'web-3' });
    given.info('one');
    given.child({ [F.CORRELATION_ID]: 'abc' }).info('two');
    expect(linesOf(logFilePath(dir, 'a')).map((line) => line[F.HOST_NAME])).toEqual(['web-3', 'web-3']);
    const saved = process.env.DTQ_HOST_NAME;
    process.env.DTQ_HOST_NAME = 'web-4';
    try {
      createLogger({ service: 'worker', instance: 'w', logDir: dir, stdout: false }).info('three');
    } finally {
      if (saved === undefined) delete process.env.DTQ_HOST_NAME;
      else process.env.DTQ_HOST_NAME = saved;
    }
    expect(linesOf(logFilePath(dir, 'w'))[0]?.[F.HOST_NAME]).toBe('web-4');
  });

  it('reopens its file at its path when told to, after a rename', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-log-'));
    const logger = createLogger({ service: 'api', instance: 'r', logDir: dir, stdout: false });
    const file = logFilePath(dir, 'r');
    logger.info('one');
    renameSync(file, `${file}.1`);
    logger.info('two');
    reopenLogFiles();
    logger.info('three');
    expect(linesOf(`${file}.1`).map((line) => line[F.MESSAGE])).toEqual(['one', 'two']);
    expect(linesOf(file).map((line) => line[F.MESSAGE])).toEqual(['three']);
  });

  it('says on stderr when a reopen fails, and keeps writing to the file it had open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-log-'));
    const logger = createLogger({ service: 'api', instance: 'gone', logDir: dir, stdout: false });
    const file = logFilePath(dir, 'gone');
    const moved = mkdtempSync(join(tmpdir(), 'dtq-log-moved-'));
    rmSync(moved, { recursive: true });
    renameSync(dir, moved);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      reopenLogFiles();
      await new Promise((resolve) => setImmediate(resolve));
      logger.info('still here');
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining(`could not reopen the log file ${file}`));
    } finally {
      stderr.mockRestore();
    }
    expect(linesOf(logFilePath(moved, 'gone')).map((line) => line[F.MESSAGE])).toEqual(['still here']);
  });

  it('reports an in-process Elasticsearch stream that cannot start, and holds at most 10,000 lines while it loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-log-'));
    const events: { kind: string; message: string }[] = [];
    const logger = createLogger({
      service: 'api',
      instance: 'api-es',
      logDir: dir,
      stdout: false,
      elasticsearch: {
        url: 'not a url',
        onEvent: (kind, detail) => events.push({ kind, message: detail instanceof Error ? detail.message : '' }),
      },
    });
    // All logged before the library has loaded: the first 10,000 wait, the rest are refused once.
    for (let i = 0; i < 10_005; i++) logger.info({ i }, 'line');
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events[0]).toMatchObject({ kind: 'error', message: expect.stringContaining('after 10000 lines') });
    // The URL the stream refused arrives as an event, not as an unhandled rejection.
    expect(events[1]?.kind).toBe('error');
    // The file has every line whatever happened to the stream.
    expect(linesOf(logFilePath(dir, 'api-es'))).toHaveLength(10_005);
    rmSync(dir, { recursive: true, force: true });
  });

  it('redacts authorization and cookie headers wherever a request logs them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-log-'));
    const logger = createLogger({ service: 'api', instance: 'api-1', logDir: dir, stdout: false });
    logger.info({ headers: { authorization: 'Bearer s3cret', cookie: 'sid=s3cret', accept: '*/*' } }, 'in');
    logger.info({ 'http.request.headers': { authorization: 'Basic s3cret' } }, 'in');
    const text = readFileSync(logFilePath(dir, 'api-1'), 'utf8');
    expect(text).not.toContain('s3cret');
    expect(text).toContain('[REDACTED]');
    expect(text).toContain('*/*');
  });
});
