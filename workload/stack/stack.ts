/**
 * The local stack: Redis, N API servers, M workers, nginx in front and (with DTQ_ES_URL) the
 * shipper, as supervised child processes. Used by `npm run workload`, `npm run demo`, the load
 * generator, the end-to-end tests and the API benchmark; the commands it runs are the ones
 * docker-compose runs (SERVICE_COMMANDS).
 *
 * Start order: Redis → APIs, workers, nginx (together) → readiness (each API's /ready, each
 * worker's service.started line, /ready through nginx) → shipper. Stop order is the reverse in
 * stages, so nothing in flight is lost: nginx (no new requests), APIs, workers (hand back their
 * jobs), shipper (ships the last lines), Redis.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dtqError } from '../../contract/dtq-error.ts';
import { logFilePath } from '../../instrumentation/logger.ts';
import { writeNginxConfig } from '../nginx/write-config.ts';
import { ensurePrograms, type SystemProgram } from './binaries.ts';
import { STACK_ERRORS } from './errors.ts';
import { createOutput } from './output.ts';
import { claimPort, isReady, isStartedLine, redisPing, startedInFile } from './probes.ts';
import { type ChildSpec, describeExit, type ExitInfo, type SupervisedChild, Supervisor } from './supervisor.ts';
import { type StopTailing, tailFile } from './tail-file.ts';

/** Repository root (the stack runs the project's entry files from here). */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** The command line of each Node service, relative to the repository root; compose runs the same. */
export const SERVICE_COMMANDS = {
  api: ['node', 'workload/api/main.ts'],
  worker: ['node', 'workload/worker/main.ts'],
  shipper: ['node', 'shipper/cli.ts'],
} as const;

/**
 * Parent-death signal of the Node services. An orphan has nobody left to wait for it, and its
 * graceful stop may wait forever on a Redis that died in the same instant; SIGKILL loses
 * nothing that matters (log lines are written synchronously, a worker's jobs are recovered as
 * stalled). Redis and nginx keep SIGTERM: they stop promptly, and nginx's master takes its
 * worker processes with it. The orderly path (stack.stop) always uses SIGTERM first.
 */
const ORPHAN_SIGNAL: NodeJS.Signals = 'SIGKILL';

/** Where a child's output goes. */
export type OutputMode = 'pretty' | 'raw' | 'none';

/** Options of {@link startStack}; every one has an environment-variable default (see docs/stack.md). */
export interface StackOptions {
  /** Directory for Redis data, nginx runtime files and, by default, logs. Default `var/` (DTQ_VAR_DIR). */
  varDir?: string;
  /** NDJSON log directory. Default DTQ_LOG_DIR or `<varDir>/logs`. */
  logDir?: string;
  /** nginx's port; 0 picks a free one. Default DTQ_HTTP_PORT or 8080. */
  httpPort?: number;
  /** Number of API servers. Default DTQ_STACK_APIS or 3. */
  apis?: number;
  /** Number of workers. Default DTQ_STACK_WORKERS or 3. */
  workers?: number;
  /** Use this Redis instead of starting one. Default DTQ_REDIS_URL. */
  redisUrl?: string;
  /** Port of the Redis the stack starts; 0 picks a free one. Default DTQ_REDIS_PORT or 0. */
  redisPort?: number;
  /** Enable fault injection through `data.fault` (DTQ_FAULTS=1). */
  faults?: boolean;
  /** Ship logs to this Elasticsearch (starts the shipper). Default DTQ_ES_URL. */
  esUrl?: string;
  /** Install missing redis-server/nginx with apt-get when root (the demo does). */
  installMissing?: boolean;
  /** How children's output is shown. Default 'pretty'. */
  output?: OutputMode;
  /** Where output and stack messages are written. Default process.stdout. */
  write?: (text: string) => void;
  /** Extra environment for API and worker processes (thresholds, log level…). */
  childEnv?: NodeJS.ProcessEnv;
  /** How long to wait for readiness. Default DTQ_STACK_READY_TIMEOUT_MS or 60 s. */
  readyTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL per child. Default 10 s. */
  stopTimeoutMs?: number;
}

/** One API server of the stack. */
export interface ApiProcess {
  readonly instance: string;
  readonly port: number;
  readonly url: string;
  child: SupervisedChild;
}

/** One worker of the stack. */
export interface WorkerProcess {
  readonly instance: string;
  child: SupervisedChild;
}

/** A running stack. */
export interface Stack {
  /** nginx's URL: the front door. */
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly redisUrl: string;
  readonly logDir: string;
  readonly varDir: string;
  readonly apis: readonly ApiProcess[];
  readonly workers: readonly WorkerProcess[];
  readonly nginx: { readonly configPath: string; readonly accessLog: string; child: SupervisedChild };
  /** The Redis the stack started; undefined with an external DTQ_REDIS_URL. */
  readonly redis: { readonly port: number; child: SupervisedChild } | undefined;
  readonly shipper: SupervisedChild | undefined;
  /** Every child process, in start order. */
  children(): readonly SupervisedChild[];
  /** Change how children's output is shown (the demo turns it on after its scenario). */
  setOutput(mode: OutputMode): void;
  /** Send a signal to worker `index` (0-based) without waiting; SIGKILL by default. */
  killWorker(index: number, signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Stop worker `index` gracefully (SIGTERM, deadline, SIGKILL). */
  stopWorker(index: number): Promise<ExitInfo>;
  /** Start worker `index` again after it stopped; resolves when it logged service.started. */
  startWorker(index: number): Promise<void>;
  /** Stop the stack's Redis (SIGKILL when hard); the port is kept for startRedis. */
  stopRedis(options?: { hard?: boolean }): Promise<void>;
  /** Start the stack's Redis again on the same port and data directory. */
  startRedis(): Promise<void>;
  /** stopRedis then startRedis. */
  restartRedis(options?: { hard?: boolean }): Promise<void>;
  /** Stop every child in order; resolves when all have exited. Safe to call twice. */
  stop(): Promise<void>;
}

function envNumber(env: NodeJS.ProcessEnv, name: string, max = 65_535): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw dtqError(STACK_ERRORS.BAD_ARGUMENT, {
      argument: `${name}=${raw}`,
      problem: `expected a whole number from 0 to ${max}`,
      usage: 'Fix or unset it.',
    });
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Options with every default resolved from the environment. */
export function resolveStackOptions(options: StackOptions, env: NodeJS.ProcessEnv = process.env) {
  const varDir = resolve(options.varDir ?? nonEmpty(env.DTQ_VAR_DIR) ?? join(REPO_ROOT, 'var'));
  return {
    varDir,
    logDir: resolve(options.logDir ?? nonEmpty(env.DTQ_LOG_DIR) ?? join(varDir, 'logs')),
    httpPort: options.httpPort ?? envNumber(env, 'DTQ_HTTP_PORT') ?? 8080,
    apis: options.apis ?? envNumber(env, 'DTQ_STACK_APIS', 64) ?? 3,
    workers: options.workers ?? envNumber(env, 'DTQ_STACK_WORKERS', 64) ?? 3,
    redisUrl: options.redisUrl ?? nonEmpty(env.DTQ_REDIS_URL),
    redisPort: options.redisPort ?? envNumber(env, 'DTQ_REDIS_PORT') ?? 0,
    faults: options.faults ?? env.DTQ_FAULTS === '1',
    esUrl: options.esUrl ?? nonEmpty(env.DTQ_ES_URL),
    installMissing: options.installMissing ?? false,
    output: options.output ?? 'pretty',
    readyTimeoutMs: options.readyTimeoutMs ?? envNumber(env, 'DTQ_STACK_READY_TIMEOUT_MS', 3_600_000) ?? 60_000,
    // A worker hands its running jobs back within its grace period plus 5 s (workload/worker/main.ts);
    // killing it sooner would leave them to the slower stalled-job check.
    stopTimeoutMs: options.stopTimeoutMs ?? (envNumber(env, 'DTQ_SHUTDOWN_GRACE_MS', 3_600_000) ?? 10_000) + 6_000,
  };
}

/** Start the whole stack and wait until it serves; on failure everything started is stopped. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const o = resolveStackOptions(options);
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const output = createOutput(o.output, write);
  const say = (message: string): void => output.stack(message);

  const needed: SystemProgram[] = o.redisUrl ? ['nginx'] : ['redis-server', 'nginx'];
  const programs = ensurePrograms(needed, { install: o.installMissing, say });
  for (const [name, command] of Object.entries(SERVICE_COMMANDS)) {
    if (name === 'shipper' && !o.esUrl) continue;
    const entry = join(REPO_ROOT, command[1]);
    if (!existsSync(entry)) throw dtqError(STACK_ERRORS.ENTRY_MISSING, { entry, name });
  }
  mkdirSync(o.logDir, { recursive: true });

  const httpPort = await claimPort(o.httpPort, 'nginx', 'DTQ_HTTP_PORT');
  const apiPorts: number[] = [];
  for (let i = 0; i < o.apis; i++) apiPorts.push(await claimPort(0, 'an API server', 'DTQ_API_PORT'));

  // Readiness waiters keyed by child name, resolved from the children's own output lines.
  const started = new Map<string, () => void>();
  const startedPromise = (name: string): Promise<void> =>
    new Promise((resolveStarted) => started.set(name, resolveStarted));
  // Seen on stdout, or (when DTQ_LOG_STDOUT=0 silences stdout) in the worker's own file.
  const workerStarted = (child: SupervisedChild, ready: Promise<void>) => (): Promise<boolean> => {
    if (startedInFile(logFilePath(o.logDir, child.spec.name), child.pid)) return Promise.resolve(true);
    return Promise.race([ready.then(() => true), sleep(500).then(() => false)]);
  };
  let stopping = false;
  // Children stopped or killed through the handle (tests, the load generator's worker kill):
  // their exit is news, not an error.
  const onPurpose = new Set<ChildSpec>();
  const supervisor = new Supervisor({
    stopTimeoutMs: o.stopTimeoutMs,
    onLine: (child, line, stream) => {
      if (started.has(child.name) && isStartedLine(line)) {
        started.get(child.name)?.();
        started.delete(child.name);
      }
      output.line(child.name, line, stream);
    },
    onExit: (child, info) => {
      if (stopping) return;
      if (onPurpose.has(child)) output.stack(`${child.name} exited (${describeExit(info)}), as asked`);
      else output.stack(`${child.name} exited (${describeExit(info)})`, 'error');
    },
  });
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.childEnv,
    DTQ_LOG_DIR: o.logDir,
    DTQ_FAULTS: o.faults ? '1' : '0',
  };

  let redis: { port: number; child: SupervisedChild } | undefined;
  let redisUrl = o.redisUrl ?? '';
  const redisDir = join(o.varDir, 'redis');
  const spawnRedis = (port: number): SupervisedChild =>
    supervisor.spawn({
      name: 'redis',
      command: programs['redis-server'],
      args: [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        redisDir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--loglevel',
        'warning',
      ],
    });
  const waitRedis = async (port: number, child: SupervisedChild): Promise<void> => {
    await until(`redis on port ${port}`, child, () => redisPing(port), o.readyTimeoutMs);
  };

  let stopTailing: StopTailing | undefined;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    stopTailing?.();
    const stage = (children: (SupervisedChild | undefined)[]) => Promise.all(children.map((child) => child?.stop()));
    await stage([nginxChild]);
    await stage(apis.map((api) => api.child));
    await stage(workers.map((worker) => worker.child));
    await stage([shipper]);
    await stage([redis?.child]);
    await supervisor.stopAll();
  };

  const apis: ApiProcess[] = [];
  const workers: WorkerProcess[] = [];
  let nginxChild: SupervisedChild | undefined;
  let shipper: SupervisedChild | undefined;
  const spawnWorker = (index: number): { child: SupervisedChild; ready: Promise<void> } => {
    const instance = `worker-${index + 1}`;
    const ready = startedPromise(instance);
    const child = supervisor.spawn({
      name: instance,
      command: process.execPath,
      args: [SERVICE_COMMANDS.worker[1]],
      parentDeathSignal: ORPHAN_SIGNAL,
      cwd: REPO_ROOT,
      env: { ...baseEnv, DTQ_INSTANCE: instance, DTQ_REDIS_URL: redisUrl },
    });
    return { child, ready };
  };

  try {
    if (!o.redisUrl) {
      mkdirSync(redisDir, { recursive: true });
      const port = await claimPort(o.redisPort, 'redis-server', 'DTQ_REDIS_PORT');
      redis = { port, child: spawnRedis(port) };
      redisUrl = `redis://127.0.0.1:${port}`;
      await waitRedis(port, redis.child);
    }

    const waits: Promise<unknown>[] = [];
    for (let i = 0; i < o.apis; i++) {
      const instance = `api-${i + 1}`;
      const port = apiPorts[i] ?? 0;
      const child = supervisor.spawn({
        name: instance,
        command: process.execPath,
        args: [SERVICE_COMMANDS.api[1]],
        parentDeathSignal: ORPHAN_SIGNAL,
        cwd: REPO_ROOT,
        env: {
          ...baseEnv,
          DTQ_INSTANCE: instance,
          DTQ_API_PORT: String(port),
          DTQ_API_HOST: '127.0.0.1',
          DTQ_REDIS_URL: redisUrl,
        },
      });
      const url = `http://127.0.0.1:${port}`;
      apis.push({ instance, port, url, child });
      waits.push(until(`${instance} /ready`, child, () => isReady(url), o.readyTimeoutMs));
    }
    for (let i = 0; i < o.workers; i++) {
      const { child, ready } = spawnWorker(i);
      workers.push({ instance: `worker-${i + 1}`, child });
      waits.push(until(`worker-${i + 1} service.started`, child, workerStarted(child, ready), o.readyTimeoutMs));
    }

    const config = writeNginxConfig({
      listen: `127.0.0.1:${httpPort}`,
      upstreams: apiPorts.map((port) => `127.0.0.1:${port}`),
      logDir: o.logDir,
      runDir: join(o.varDir, 'nginx'),
    });
    nginxChild = supervisor.spawn({ name: 'nginx', command: programs.nginx, args: config.args });
    // nginx logs requests to its file only; follow it so the foreground shows them too.
    stopTailing = tailFile(
      config.accessLog,
      (line) => output.line('nginx', line, 'stdout'),
      () => output.isShowing(),
    );
    // The first failure wins; the other waits are abandoned (stopping ends their loops) and
    // must not surface later as unhandled rejections.
    for (const wait of waits) wait.catch(() => {});
    await Promise.all(waits);
    const front = `http://127.0.0.1:${httpPort}`;
    const nginxRunning = nginxChild;
    await until('/ready through nginx', nginxRunning, () => isReady(front), o.readyTimeoutMs);

    if (o.esUrl) {
      shipper = supervisor.spawn({
        name: 'shipper',
        command: process.execPath,
        args: [SERVICE_COMMANDS.shipper[1]],
        parentDeathSignal: ORPHAN_SIGNAL,
        cwd: REPO_ROOT,
        // The shipper keeps stdout quiet unless asked; the foreground output wants its lines.
        env: { DTQ_LOG_STDOUT: '1', ...baseEnv, DTQ_INSTANCE: 'shipper', DTQ_ES_URL: o.esUrl },
      });
    }

    const workerAt = (index: number): WorkerProcess => {
      const worker = workers[index];
      if (!worker) {
        throw dtqError(STACK_ERRORS.NO_SUCH_PROCESS, {
          kind: 'worker',
          index,
          count: workers.length,
          last: workers.length - 1,
        });
      }
      return worker;
    };
    const ownedRedis = () => {
      if (!redis) throw dtqError(STACK_ERRORS.REDIS_NOT_OWNED, { redisUrl });
      return redis;
    };
    const haltRedis = async (hard: boolean): Promise<void> => {
      const owned = ownedRedis();
      onPurpose.add(owned.child.spec);
      if (!hard) {
        await owned.child.stop();
        return;
      }
      owned.child.signal('SIGKILL');
      await owned.child.exited;
    };
    let stopped: Promise<void> | undefined;
    return {
      httpUrl: front,
      httpPort,
      redisUrl,
      logDir: o.logDir,
      varDir: o.varDir,
      apis,
      workers,
      nginx: { configPath: config.configPath, accessLog: config.accessLog, child: nginxRunning },
      redis,
      shipper,
      children: () => supervisor.children(),
      setOutput: (mode) => output.setMode(mode),
      killWorker: async (index, signal = 'SIGKILL') => {
        const worker = workerAt(index);
        onPurpose.add(worker.child.spec);
        worker.child.signal(signal);
        return worker.child.exited;
      },
      stopWorker: (index) => {
        const worker = workerAt(index);
        onPurpose.add(worker.child.spec);
        return worker.child.stop();
      },
      startWorker: async (index) => {
        const worker = workerAt(index);
        if (worker.child.isRunning()) return;
        const { child, ready } = spawnWorker(index);
        worker.child = child;
        await until(`${worker.instance} service.started`, child, workerStarted(child, ready), o.readyTimeoutMs);
      },
      stopRedis: ({ hard = false } = {}) => haltRedis(hard),
      startRedis: async () => {
        const owned = ownedRedis();
        if (owned.child.isRunning()) return;
        owned.child = spawnRedis(owned.port);
        await waitRedis(owned.port, owned.child);
      },
      restartRedis: async (restartOptions) => {
        await haltRedis(restartOptions?.hard ?? false);
        const owned = ownedRedis();
        owned.child = spawnRedis(owned.port);
        await waitRedis(owned.port, owned.child);
      },
      stop: () => {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }

  /** Poll `probe` until true; fail early with the child's last lines if it exits meanwhile. */
  async function until(
    what: string,
    child: SupervisedChild,
    probe: () => Promise<boolean>,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exit: ExitInfo | undefined;
    void child.exited.then((info) => {
      exit = info;
    });
    while (Date.now() < deadline) {
      if (stopping) throw dtqError(STACK_ERRORS.NOT_READY, { what: `${what} (start abandoned)`, timeoutMs });
      if (exit) {
        throw dtqError(STACK_ERRORS.CHILD_EXITED, {
          name: child.spec.name,
          reason: describeExit(exit),
          tail: child.tail().slice(-15).join('\n') || '(no output)',
        });
      }
      const ok = await Promise.race([probe().catch(() => false), sleep(1000).then(() => false)]);
      if (ok) return;
      if (exit === undefined) await sleep(100);
    }
    throw dtqError(STACK_ERRORS.NOT_READY, { what, timeoutMs });
  }
}
