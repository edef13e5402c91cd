/** The API as a process: configuration from the environment, service.started with the port, SIGTERM stops it cleanly, even mid-request. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { logFilePath } from '../../instrumentation/logger.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { EXAMPLE_BODY } from './api-harness.ts';

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

function lines(instance: string, path = logFilePath(logDir, instance)): LogRecord[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogRecord);
  } catch {
    return [];
  }
}

/** Start `node workload/api/main.ts` as `instance`; resolves with its port and exit code. */
async function startApi(instance: string, env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DTQ_INSTANCE: instance,
      DTQ_API_PORT: '0',
      DTQ_REDIS_URL: redis.url,
      DTQ_LOG_DIR: logDir,
      DTQ_LOG_STDOUT: '0',
      ...env,
    },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const started = await waitFor('service.started', () =>
      lines(instance).find((line) => line[F.EVENT_ACTION] === EVENTS.SERVICE_STARTED),
    );
    return { child, exited, port: started[F.SERVER_PORT] as number };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

describe('API process', () => {
  it('names itself api-1@<host> by default and reopens its log file on SIGHUP, losing no line', async () => {
    const instance = 'api-1@web-9';
    const { child, exited, port } = await startApi(instance, { DTQ_INSTANCE: '', DTQ_HOST_NAME: 'web-9' });
    const file = logFilePath(logDir, instance);
    const get = async () => (await fetch(`http://127.0.0.1:${port}/health`)).status;
    try {
      // Rotation by rename, then postrotate's SIGHUP: the process creates the new file itself.
      renameSync(file, `${file}.1`);
      expect(await get()).toBe(200);
      child.kill('SIGHUP');
      await waitFor(
        'lines in the new file',
        async () => (await get()) === 200 && existsSync(file) && lines(instance).length > 0,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const rotated = lines(instance, `${file}.1`);
    const current = lines(instance);
    const all = [...rotated, ...current];
    expect(all.map((line) => line[F.EVENT_SEQUENCE])).toEqual(all.map((_, i) => i + 1));
    expect(rotated.map((line) => line[F.EVENT_ACTION])).toContain(EVENTS.HTTP_REQUEST_COMPLETED);
    expect(current.map((line) => line[F.EVENT_ACTION]).slice(-1)).toEqual([EVENTS.SERVICE_STOPPED]);
    expect(new Set(all.map((line) => [line[F.SERVICE_INSTANCE], line[F.HOST_NAME]].join(' ')))).toEqual(
      new Set(['api-1@web-9 web-9']),
    );
  });

  it('listens on the port it reports in service.started and stops on SIGTERM', async () => {
    const { child, exited, port } = await startApi('api-proc');
    try {
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

  it('stops cleanly when SIGTERM comes while a request is in flight on a kept-alive connection', async () => {
    const { child, exited, port } = await startApi('api-busy', { DTQ_REDIS_TIMEOUT_MS: '3000' });
    const admin = new Redis(redis.url);
    const pid = Number(/^process_id:(\d+)/m.exec(await admin.info('server'))?.[1]);
    admin.disconnect();
    // A stopped Redis holds the request in the API until its Redis deadline.
    process.kill(pid, 'SIGSTOP');
    const socket = createConnection({ host: '127.0.0.1', port });
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      let answer = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        answer += chunk;
      });
      const closedByServer = new Promise((resolve) => socket.once('close', resolve));
      // HTTP/1.1 without Connection: close, as nginx talks to its upstreams.
      socket.write(
        'POST /api/v1/tasks HTTP/1.1\r\nHost: dtq\r\nX-Request-ID: in-flight-at-stop\r\n' +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(EXAMPLE_BODY)}\r\n\r\n${EXAMPLE_BODY}`,
      );
      await waitFor('the request to be in flight', () =>
        lines('api-busy').some((line) => line[F.CORRELATION_ID] === 'in-flight-at-stop'),
      );
      child.kill('SIGTERM');
      await waitFor('the answer', () => answer.includes('\r\n\r\n'));
      process.kill(pid, 'SIGCONT');
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      // The connection is closed once its request is answered, so the stop does not wait for
      // the client to drop it and ends well, not by its deadline.
      await closedByServer;
      expect(await exited).toBe(0);
      const last = lines('api-busy').at(-1);
      expect(last).toMatchObject({ [F.EVENT_ACTION]: EVENTS.SERVICE_STOPPED, [F.LOG_LEVEL]: 'info' });
    } finally {
      process.kill(pid, 'SIGCONT');
      socket.destroy();
      child.kill('SIGKILL');
    }
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
