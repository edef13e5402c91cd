/**
 * The local stack: Redis, N API servers, M workers, nginx in front and (with DTQ_ES_URL) the
 * shipper, as supervised child processes. The APIs and workers are those of one reference
 * system (systems.ts): dtq's Node workload, whose commands are the ones docker-compose runs
 * (SERVICE_COMMANDS), or the design notes' FastAPI + Celery (python/). Used by `npm run
 * workload`, `npm run demo`, the load generator, the end-to-end tests and the API benchmark.
 *
 * Start order: Redis → APIs, workers, nginx (together) → readiness (each API's /ready, each
 * worker's service.started line, /ready through nginx) → shipper. Stop order is the reverse in
 * stages, so nothing in flight is lost: nginx (no new requests), APIs, workers (hand back their
 * jobs), shipper (ships the last lines), Redis.
 */
import { EventEmitter, once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dtqError } from '../../contract/dtq-error.ts';
import { redactUrl } from '../../contract/redact.ts';
import { logFilePath } from '../../instrumentation/logger.ts';
import { type WrittenNginxConfig, writeNginxConfig } from '../nginx/write-config.ts';
import { REDIS_ENV, type RedisTarget, redisTargetEnv, urlTarget } from '../queue/redis-target.ts';
import { ensurePrograms, type SystemProgram } from './binaries.ts';
import { STACK_ERRORS } from './errors.ts';
import {
  type OutputMode,
  REPO_ROOT,
  type ResolvedStackOptions,
  resolveStackOptions,
  type StackOptions,
} from './options.ts';
import { createOutput, type StackOutput } from './output.ts';
import { claimPort, isReady, isStartedLine, redisPing, startedInFile } from './probes.ts';
import { ensurePythonEnv } from './python-env.ts';
import { waitUntilReady } from './readiness.ts';
import { type ChildSpec, describeExit, type ExitInfo, type SupervisedChild, Supervisor } from './supervisor.ts';
import {
  celerySystem,
  type Launch,
  NODE_COMMANDS,
  nodeSystem,
  type SystemLaunchers,
  type WorkloadSystem,
} from './systems.ts';
import { type StopTailing, tailFile } from './tail-file.ts';

export { type OutputMode, REPO_ROOT, resolveStackOptions, type StackOptions } from './options.ts';

/** The command line of each Node service, relative to the repository root; compose runs the same. */
export const SERVICE_COMMANDS = {
  ...NODE_COMMANDS,
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

/** The Redis the stack runs itself. */
export interface RedisProcess {
  readonly port: number;
  child: SupervisedChild;
}

/** nginx in front of the APIs. */
export interface NginxProcess {
  readonly configPath: string;
  readonly accessLog: string;
  readonly child: SupervisedChild;
}

/** A running stack. */
export interface Stack {
  /** nginx's URL: the front door. */
  readonly httpUrl: string;
  readonly httpPort: number;
  /** The Redis URL; empty when the stack runs on a Redis Cluster or Sentinel (see redisTarget). */
  readonly redisUrl: string;
  /** Where the APIs and workers find Redis. */
  readonly redisTarget: RedisTarget;
  readonly logDir: string;
  readonly varDir: string;
  /** The reference system behind nginx. */
  readonly system: WorkloadSystem;
  readonly apis: readonly ApiProcess[];
  readonly workers: readonly WorkerProcess[];
  readonly nginx: NginxProcess;
  /** The Redis the stack started; undefined with an external Redis (URL, Cluster or Sentinel). */
  readonly redis: RedisProcess | undefined;
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

/** Ports claimed before anything starts, so a taken one fails the start before any child runs. */
interface Ports {
  readonly http: number;
  readonly apis: readonly number[];
}

/** Longest Unix socket path the stack's children are given (Linux sun_path holds 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 100;

/** Event name under which the stack announces that child `name` logged service.started. */
const startedEvent = (name: string): string => `started:${name}`;

/**
 * The local stack as one object: `new LocalStack(options).start()` runs it, `stop()` ends it.
 * Everything it starts goes through one Supervisor, so `stop()` (or a failed start) leaves
 * nothing running.
 */
export class LocalStack implements Stack {
  readonly logDir: string;
  readonly varDir: string;
  readonly system: WorkloadSystem;
  readonly apis: ApiProcess[] = [];
  readonly workers: WorkerProcess[] = [];
  readonly #options: ResolvedStackOptions;
  readonly #output: StackOutput;
  readonly #supervisor: Supervisor;
  readonly #childEnv: NodeJS.ProcessEnv;
  /** Emits startedEvent(name) when a child writes its service.started line. */
  readonly #announcements = new EventEmitter();
  /** Aborted by stop(): the waits of a start still in progress give up. */
  readonly #stopping = new AbortController();
  /** Children stopped or killed through the handle (tests, the load generator): their exit is news, not an error. */
  readonly #onPurpose = new Set<ChildSpec>();
  #programs: Record<SystemProgram, string> | undefined;
  #launchers: SystemLaunchers | undefined;
  #httpPort = 0;
  #redisUrl: string;
  #redis: RedisProcess | undefined;
  #nginx: NginxProcess | undefined;
  #shipper: SupervisedChild | undefined;
  #stopTailing: StopTailing | undefined;
  #stopped: Promise<void> | undefined;

  /** Resolve the options (throws DTQ_ERR_CONFIG_INVALID on a bad environment value); starts nothing. */
  constructor(options: StackOptions = {}) {
    this.#options = resolveStackOptions(options);
    this.logDir = this.#options.logDir;
    this.varDir = this.#options.varDir;
    this.system = this.#options.system;
    this.#redisUrl = this.#options.redisUrl ?? '';
    const write = options.write ?? ((text: string) => process.stdout.write(text));
    this.#output = createOutput(this.#options.output, write);
    this.#childEnv = {
      // The stack says where Redis is (#childRedisEnv); a second setting inherited beside it
      // would make every child refuse to start.
      ...withoutRedisTarget({ ...process.env, ...options.childEnv }),
      DTQ_LOG_DIR: this.logDir,
      DTQ_FAULTS: this.#options.faults ? '1' : '0',
    };
    this.#supervisor = new Supervisor({
      stopTimeoutMs: this.#options.stopTimeoutMs,
      onLine: (child, line, stream) => {
        if (isStartedLine(line)) this.#announcements.emit(startedEvent(child.name));
        this.#output.line(child.name, line, stream);
      },
      onExit: (child, info) => {
        if (this.#stopping.signal.aborted) return;
        if (this.#onPurpose.has(child)) this.#output.stack(`${child.name} exited (${describeExit(info)}), as asked`);
        else this.#output.stack(`${child.name} exited (${describeExit(info)})`, 'error');
      },
    });
  }

  /** Start every process and wait until the stack serves; on failure everything started is stopped. */
  async start(): Promise<this> {
    try {
      this.#checkPrerequisites();
      this.#launchers = await this.#prepareSystem();
      const ports = await this.#claimPorts();
      await this.#startOwnRedis();
      const ready = [...this.#startApis(ports.apis), ...this.#startWorkers()];
      this.#startNginx(this.#renderNginxConfig(ports));
      await this.#waitReady(ready);
      this.#startShipper();
      return this;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  get httpPort(): number {
    return this.#httpPort;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.#httpPort}`;
  }

  get redisUrl(): string {
    return this.#redisUrl;
  }

  get redisTarget(): RedisTarget {
    return this.#options.redisTarget ?? urlTarget(this.#redisUrl);
  }

  get redis(): RedisProcess | undefined {
    return this.#redis;
  }

  get nginx(): NginxProcess {
    if (!this.#nginx) throw dtqError(STACK_ERRORS.NOT_STARTED, { what: 'nginx' });
    return this.#nginx;
  }

  get shipper(): SupervisedChild | undefined {
    return this.#shipper;
  }

  children(): readonly SupervisedChild[] {
    return this.#supervisor.children();
  }

  setOutput(mode: OutputMode): void {
    this.#output.setMode(mode);
  }

  async killWorker(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    const worker = this.#workerAt(index);
    this.#onPurpose.add(worker.child.spec);
    worker.child.signal(signal);
    return worker.child.exited;
  }

  stopWorker(index: number): Promise<ExitInfo> {
    const worker = this.#workerAt(index);
    this.#onPurpose.add(worker.child.spec);
    return worker.child.stop();
  }

  async startWorker(index: number): Promise<void> {
    const worker = this.#workerAt(index);
    if (worker.child.isRunning()) return;
    worker.child = this.#spawnWorker(worker.instance);
    await this.#workerReady(worker);
  }

  async stopRedis({ hard = false }: { hard?: boolean } = {}): Promise<void> {
    const redis = this.#ownedRedis();
    this.#onPurpose.add(redis.child.spec);
    if (!hard) {
      await redis.child.stop();
      return;
    }
    redis.child.signal('SIGKILL');
    await redis.child.exited;
  }

  async startRedis(): Promise<void> {
    const redis = this.#ownedRedis();
    if (redis.child.isRunning()) return;
    redis.child = this.#spawnRedis(redis.port);
    await this.#redisReady(redis);
  }

  async restartRedis(options?: { hard?: boolean }): Promise<void> {
    await this.stopRedis(options);
    await this.startRedis();
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stopAll();
    return this.#stopped;
  }

  /** Programs, entry files and the log directory: what must exist before anything starts. */
  #checkPrerequisites(): void {
    const { redisUrl, esUrl, installMissing } = this.#options;
    const external = redisUrl || this.#options.redisTarget;
    const needed: SystemProgram[] = external ? ['nginx'] : ['redis-server', 'nginx'];
    this.#programs = ensurePrograms(needed, { install: installMissing, say: (message) => this.#output.stack(message) });
    if (esUrl) {
      const entry = join(REPO_ROOT, SERVICE_COMMANDS.shipper[1]);
      if (!existsSync(entry)) throw dtqError(STACK_ERRORS.ENTRY_MISSING, { entry, name: 'shipper' });
    }
    mkdirSync(this.logDir, { recursive: true });
  }

  /** The system's launchers, its entry files checked; for Celery, its virtual environment first. */
  async #prepareSystem(): Promise<SystemLaunchers> {
    let launchers: SystemLaunchers;
    if (this.#options.system === 'celery') {
      const env = await ensurePythonEnv({
        dir: this.#options.pythonEnvDir,
        say: (message) => this.#output.stack(message),
        installMissing: this.#options.installMissing,
      });
      launchers = celerySystem(env.python, this.#options.celeryConcurrency);
    } else {
      launchers = nodeSystem();
    }
    for (const [name, launch] of [
      ['api', launchers.api()],
      ['worker', launchers.worker('worker-1')],
    ] as const) {
      if (!existsSync(launch.entry)) throw dtqError(STACK_ERRORS.ENTRY_MISSING, { entry: launch.entry, name });
    }
    return launchers;
  }

  #systemLaunchers(): SystemLaunchers {
    if (!this.#launchers) throw dtqError(STACK_ERRORS.NOT_STARTED, { what: 'the system' });
    return this.#launchers;
  }

  async #claimPorts(): Promise<Ports> {
    const http = await claimPort(this.#options.httpPort, 'nginx', 'DTQ_HTTP_PORT');
    const apis: number[] = [];
    for (let i = 0; i < this.#options.apis; i++) apis.push(await claimPort(0, 'an API server', 'DTQ_API_PORT'));
    this.#httpPort = http;
    return { http, apis };
  }

  /** Start the stack's own Redis unless DTQ_REDIS_URL names one, and wait until it answers. */
  async #startOwnRedis(): Promise<void> {
    if (this.#options.redisUrl || this.#options.redisTarget) return;
    mkdirSync(this.#redisDir(), { recursive: true });
    const port = await claimPort(this.#options.redisPort, 'redis-server', 'DTQ_REDIS_PORT');
    this.#redis = { port, child: this.#spawnRedis(port) };
    this.#redisUrl = `redis://127.0.0.1:${port}`;
    await this.#redisReady(this.#redis);
  }

  /** Spawn the APIs; returns their readiness waits. */
  #startApis(ports: readonly number[]): Promise<void>[] {
    return ports.map((port, i) => {
      const instance = `api-${i + 1}`;
      const launch: Launch = this.#systemLaunchers().api();
      const child = this.#supervisor.spawn({
        name: instance,
        command: launch.command,
        args: launch.args,
        parentDeathSignal: ORPHAN_SIGNAL,
        cwd: launch.cwd,
        env: {
          ...this.#childEnv,
          DTQ_INSTANCE: instance,
          DTQ_API_PORT: String(port),
          DTQ_API_HOST: '127.0.0.1',
          ...this.#childRedisEnv(),
        },
      });
      const api: ApiProcess = { instance, port, url: `http://127.0.0.1:${port}`, child };
      this.apis.push(api);
      return this.#waitFor(`${instance} /ready`, child, { probe: () => isReady(api.url) });
    });
  }

  /** Spawn the workers; returns their readiness waits. */
  #startWorkers(): Promise<void>[] {
    return Array.from({ length: this.#options.workers }, (_, i) => {
      const instance = `worker-${i + 1}`;
      const worker: WorkerProcess = { instance, child: this.#spawnWorker(instance) };
      this.workers.push(worker);
      return this.#workerReady(worker);
    });
  }

  #renderNginxConfig(ports: Ports): WrittenNginxConfig {
    return writeNginxConfig({
      listen: `127.0.0.1:${ports.http}`,
      upstreams: ports.apis.map((port) => `127.0.0.1:${port}`),
      logDir: this.logDir,
      runDir: join(this.varDir, 'nginx'),
    });
  }

  #startNginx(config: WrittenNginxConfig): void {
    const child = this.#supervisor.spawn({ name: 'nginx', command: this.#program('nginx'), args: config.args });
    this.#nginx = { configPath: config.configPath, accessLog: config.accessLog, child };
    // nginx logs requests to its file only; follow it so the foreground shows them too.
    this.#stopTailing = tailFile(
      config.accessLog,
      (line) => this.#output.line('nginx', line, 'stdout'),
      () => this.#output.isShowing(),
    );
  }

  /** Every API and worker ready, then /ready answered through nginx. */
  async #waitReady(waits: readonly Promise<void>[]): Promise<void> {
    // The first failure wins; the other waits are abandoned when the failed start stops the
    // stack, and must not surface later as unhandled rejections.
    for (const wait of waits) wait.catch(() => {});
    await Promise.all(waits);
    await this.#waitFor('/ready through nginx', this.nginx.child, { probe: () => isReady(this.httpUrl) });
  }

  #startShipper(): void {
    const { esUrl } = this.#options;
    if (!esUrl) return;
    this.#shipper = this.#supervisor.spawn({
      name: 'shipper',
      command: process.execPath,
      args: [SERVICE_COMMANDS.shipper[1]],
      parentDeathSignal: ORPHAN_SIGNAL,
      cwd: REPO_ROOT,
      // The shipper keeps stdout quiet unless asked; the foreground output wants its lines.
      env: { DTQ_LOG_STDOUT: '1', ...this.#childEnv, DTQ_INSTANCE: 'shipper', DTQ_ES_URL: esUrl },
    });
  }

  /** Stop in stages, front to back, so nothing in flight is lost. */
  async #stopAll(): Promise<void> {
    this.#stopping.abort();
    this.#stopTailing?.();
    const stage = (children: (SupervisedChild | undefined)[]) => Promise.all(children.map((child) => child?.stop()));
    await stage([this.#nginx?.child]);
    await stage(this.apis.map((api) => api.child));
    await stage(this.workers.map((worker) => worker.child));
    await stage([this.#shipper]);
    await stage([this.#redis?.child]);
    await this.#supervisor.stopAll();
  }

  #redisDir(): string {
    return join(this.varDir, 'redis');
  }

  #redisSocket(): string {
    return join(this.#redisDir(), 'redis.sock');
  }

  /** The variables that send an API or worker to the stack's Redis: a URL, or the Cluster or Sentinel target's. */
  #childRedisEnv(): Record<string, string> {
    return this.#options.redisTarget === undefined
      ? { [REDIS_ENV.URL]: this.#childRedisUrl() }
      : redisTargetEnv(this.#options.redisTarget);
  }

  /**
   * What the Node APIs and workers connect to: the stack's own Redis through its Unix socket,
   * which spares every command the loopback TCP stack on both ends (one Redis write per POST).
   * The TCP URL otherwise: an external Redis, the Celery system (kombu reads redis:// URLs),
   * or a socket path too long for sun_path (108 bytes on Linux).
   */
  #childRedisUrl(): string {
    const socket = this.#redisSocket();
    if (this.#redis === undefined || this.#options.system !== 'node' || socket.length > MAX_SOCKET_PATH)
      return this.#redisUrl;
    return socket;
  }

  #spawnRedis(port: number): SupervisedChild {
    return this.#supervisor.spawn({
      name: 'redis',
      command: this.#program('redis-server'),
      args: [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', this.#redisDir()],
        ...['--unixsocket', this.#redisSocket(), '--unixsocketperm', '700'],
        ...['--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'],
      ],
    });
  }

  /**
   * redis-server announces nothing the stack could wait on (its "Ready to accept connections"
   * is a human log line, silenced at --loglevel warning), so readiness is the protocol's own
   * check: PING answered with PONG.
   */
  #redisReady(redis: RedisProcess): Promise<void> {
    return this.#waitFor(`redis on port ${redis.port}`, redis.child, { probe: () => redisPing(redis.port) });
  }

  #spawnWorker(instance: string): SupervisedChild {
    const launch = this.#systemLaunchers().worker(instance);
    return this.#supervisor.spawn({
      name: instance,
      command: launch.command,
      args: launch.args,
      parentDeathSignal: ORPHAN_SIGNAL,
      cwd: launch.cwd,
      env: { ...this.#childEnv, DTQ_INSTANCE: instance, ...this.#childRedisEnv() },
    });
  }

  /**
   * A worker is ready when it logs service.started: announced on its stdout, or, when
   * DTQ_LOG_STDOUT=0 silences stdout, found in its own NDJSON file (nothing announces a file
   * write, so that half is a probe).
   */
  #workerReady(worker: WorkerProcess): Promise<void> {
    const { child } = worker;
    return this.#waitFor(`${worker.instance} service.started`, child, {
      announced: (signal) => once(this.#announcements, startedEvent(worker.instance), { signal }),
      probe: async () => startedInFile(logFilePath(this.logDir, worker.instance), child.pid),
      intervalMs: 250,
    });
  }

  #waitFor(
    what: string,
    child: SupervisedChild,
    how: { probe?: () => Promise<boolean>; announced?: (signal: AbortSignal) => Promise<unknown>; intervalMs?: number },
  ): Promise<void> {
    return waitUntilReady(what, child, {
      ...how,
      timeoutMs: this.#options.readyTimeoutMs,
      abandon: this.#stopping.signal,
    });
  }

  #program(name: SystemProgram): string {
    const path = this.#programs?.[name];
    if (path === undefined) throw dtqError(STACK_ERRORS.NOT_STARTED, { what: name });
    return path;
  }

  #workerAt(index: number): WorkerProcess {
    const worker = this.workers[index];
    if (!worker) {
      const count = this.workers.length;
      throw dtqError(STACK_ERRORS.NO_SUCH_PROCESS, { kind: 'worker', index, count, last: count - 1 });
    }
    return worker;
  }

  #ownedRedis(): RedisProcess {
    if (!this.#redis) throw dtqError(STACK_ERRORS.REDIS_NOT_OWNED, { redisUrl: redactUrl(this.#redisUrl) });
    return this.#redis;
  }
}

/** Start the whole stack and wait until it serves; on failure everything started is stopped. */
export function startStack(options: StackOptions = {}): Promise<LocalStack> {
  return new LocalStack(options).start();
}

/**
 * `env` without the variables that choose a Redis target and its passwords (#childRedisEnv sets
 * those of the stack's target). DTQ_REDIS_TLS and DTQ_REDIS_CA stay: an external rediss:// URL
 * is passed on alone and needs the CA as given.
 */
function withoutRedisTarget(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of Object.values(REDIS_ENV)) {
    if (name !== REDIS_ENV.TLS && name !== REDIS_ENV.CA) delete copy[name];
  }
  return copy;
}
