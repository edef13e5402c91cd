/**
 * Real API processes for the idempotency end-to-end tests: one real Redis, N processes of
 * `node workload/api/main.ts` on free ports (each writing its NDJSON log into a temporary
 * directory) and, when asked, a real nginx in front of them rendered from workload/nginx.
 * Processes can be killed (SIGKILL) and restarted on the same port, one or all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LogRecord } from '../../contract/vocabulary.ts';
import { freePort } from '../utils/free-port.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** One API process slot (the port survives restarts). */
export interface ApiSlot {
  readonly instance: string;
  readonly port: number;
  readonly url: string;
  child: ChildProcess | undefined;
}

/** A running cluster. */
export interface ApiCluster {
  readonly redis: TestRedis;
  readonly apis: readonly ApiSlot[];
  readonly logDir: string;
  /** nginx in front of the APIs, when started with `nginx: true`. */
  readonly nginx: TestNginx | undefined;
  /** Where clients go: nginx when present, else the first API. */
  readonly url: string;
  /** Every parsed line of every API's log file. */
  lines(): LogRecord[];
  /** SIGKILL one API and wait until it is gone. */
  kill(index: number): Promise<void>;
  /** Start one API again on its port and wait until it answers /health. */
  start(index: number): Promise<void>;
  /** Stop every API (SIGTERM) and start them all again. */
  restartAll(): Promise<void>;
  close(): Promise<void>;
}

/** Start Redis and `count` API processes with `env` (e.g. DTQ_IDEMPOTENCY_INFLIGHT_MS), nginx optionally. */
export async function startApiCluster(
  count: number,
  env: NodeJS.ProcessEnv = {},
  options: { nginx?: boolean } = {},
): Promise<ApiCluster> {
  const redis = await startRedis();
  const logDir = mkdtempSync(join(tmpdir(), 'dtq-idem-logs-'));
  const apis: ApiSlot[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    apis.push({ instance: `api-${i + 1}`, port, url: `http://127.0.0.1:${port}`, child: undefined });
  }

  const start = async (index: number): Promise<void> => {
    const slot = apis[index] as ApiSlot;
    const child = spawn(process.execPath, ['workload/api/main.ts'], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
      env: {
        ...process.env,
        DTQ_INSTANCE: slot.instance,
        DTQ_API_PORT: String(slot.port),
        DTQ_API_HOST: '127.0.0.1',
        DTQ_REDIS_URL: redis.url,
        DTQ_LOG_DIR: logDir,
        DTQ_LOG_STDOUT: '0',
        DTQ_FAULTS: '1',
        ...env,
      },
    });
    child.on('error', () => {});
    slot.child = child;
    await waitFor(
      `${slot.instance} to answer /ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${slot.instance} exited with ${child.exitCode}`);
        const response = await fetch(`${slot.url}/ready`);
        return response.status === 200;
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
  };

  const stop = async (index: number, signal: NodeJS.Signals): Promise<void> => {
    const slot = apis[index] as ApiSlot;
    const child = slot.child;
    slot.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  };

  let nginx: TestNginx | undefined;
  try {
    await Promise.all(apis.map((_, i) => start(i)));
    if (options.nginx) nginx = await startNginx({ upstreams: apis.map((a) => `127.0.0.1:${a.port}`), logDir });
  } catch (error) {
    await Promise.all(apis.map((_, i) => stop(i, 'SIGKILL')));
    await redis.close();
    rmSync(logDir, { recursive: true, force: true });
    throw error;
  }

  return {
    redis,
    apis,
    logDir,
    nginx,
    url: nginx?.url ?? (apis[0] as ApiSlot).url,
    lines: () =>
      apis.flatMap((slot) => {
        let text = '';
        try {
          text = readFileSync(join(logDir, `${slot.instance}.ndjson`), 'utf8');
        } catch {
          return [];
        }
        return text
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as LogRecord);
      }),
    kill: (index) => stop(index, 'SIGKILL'),
    start,
    restartAll: async () => {
      await Promise.all(apis.map((_, i) => stop(i, 'SIGTERM')));
      await Promise.all(apis.map((_, i) => start(i)));
    },
    close: async () => {
      await nginx?.stop();
      await Promise.all(apis.map((_, i) => stop(i, 'SIGKILL')));
      await redis.close();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}
