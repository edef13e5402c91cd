/** The API as a process: configuration from the environment, service.started with the port, SIGTERM stops it cleanly. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFilePath } from '../../workload/log/logger.ts';
import { EVENTS, F, type LogRecord } from '../../workload/log/vocabulary.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

const MAIN = join(import.meta.dirname, '../../workload/api/main.ts');
let redis: TestRedis;
let logDir: string;

beforeAll(async () => {
  redis = await startRedis();
  logDir = mkdtempSync(join(tmpdir(), 'dtq-api-process-'));
});

afterAll(async () => {
  await redis?.close();
  rmSync(logDir, { recursive: true, force: true });
});

function lines(instance: string): LogRecord[] {
  try {
    return readFileSync(logFilePath(logDir, instance), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogRecord);
  } catch {
    return [];
  }
}

describe('API process', () => {
  it('listens on the port it reports in service.started and stops on SIGTERM', async () => {
    const child: ChildProcess = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        DTQ_INSTANCE: 'api-proc',
        DTQ_API_PORT: '0',
        DTQ_REDIS_URL: redis.url,
        DTQ_LOG_DIR: logDir,
        DTQ_LOG_STDOUT: '0',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const started = await waitFor('service.started', () =>
        lines('api-proc').find((line) => line[F.EVENT_ACTION] === EVENTS.SERVICE_STARTED),
      );
      const port = started[F.SERVER_PORT] as number;
      expect(port).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await health.json()).toEqual({ status: 'ok', instance: 'api-proc' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const actions = lines('api-proc').map((line) => line[F.EVENT_ACTION]);
    expect(actions.slice(-2)).toEqual([EVENTS.SERVICE_STOPPING, EVENTS.SERVICE_STOPPED]);
  });

  it('refuses an unusable setting with a message naming it', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      env: { ...process.env, DTQ_API_PORT: 'eighty', DTQ_LOG_DIR: logDir },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DTQ_API_PORT="eighty" is not valid');
  });
});
