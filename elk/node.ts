/**
 * Running one Elasticsearch node on loopback: single-node discovery, security off, small heap,
 * its own config/data/logs directory. Elasticsearch refuses to run as root, so as root the node
 * runs as a dedicated system user (DTQ_ES_USER, default `dtqes`, created on first use) through
 * `setpriv`. The node runs in its own process group: the launcher JVM starts the server JVM as
 * a child, and signalling the group reaches both.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dtqError } from '../contract/dtq-error.ts';
import { envString } from '../contract/env.ts';
import { HttpClient } from '../contract/http-client.ts';
import { ensureDistribution, esJavaHome } from './distribution.ts';
import { ES_ERRORS } from './errors.ts';

/** Options of {@link startElasticsearchNode}. */
export interface EsNodeOptions {
  /** HTTP port on 127.0.0.1. */
  port: number;
  /** Transport port; pick a free one when several nodes run side by side. Default port + 100. */
  transportPort?: number;
  /** Directory holding config/, data/, logs/ and tmp/ of this node (created; kept on stop). */
  baseDir: string;
  /** JVM heap, e.g. '512m'. */
  heap?: string;
  /** Extra `-E name=value` settings. */
  settings?: Record<string, string>;
  /** Extra JVM options (tests trade peak speed for a faster start with C1-only JIT). */
  jvmOptions?: readonly string[];
  /** Let the node outlive this process (the `npm run es start` case). */
  detached?: boolean;
  /** How long to wait for the cluster to turn yellow. */
  readyTimeoutMs?: number;
  /** Progress lines (fetching, unpacking, starting). */
  log?: (line: string) => void;
}

/** A started node. */
export interface EsNode {
  readonly url: string;
  readonly port: number;
  readonly baseDir: string;
  /** Process-group id of the node (its launcher's pid). */
  pid(): number | undefined;
  /** Start it again after stop(), same port and data. */
  start(): Promise<void>;
  /** Stop it: SIGTERM (flushes), or SIGKILL when `hard`. Resolves once every JVM is gone. */
  stop(options?: { hard?: boolean }): Promise<void>;
}

/** Default heap: enough for tests and the benchmark, small enough for a 2-core CI box. */
export const DEFAULT_HEAP = '512m';

/** The system user Elasticsearch runs as when dtq runs as root. */
export function esRunUser(env: NodeJS.ProcessEnv = process.env): string {
  return envString('DTQ_ES_USER', 'dtqes', env);
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Make sure the run user exists (root only); returns it, or undefined when not root. */
export function ensureRunUser(): string | undefined {
  if (!isRoot()) return undefined;
  const user = esRunUser();
  if (spawnSync('id', ['-u', user], { stdio: 'ignore' }).status !== 0) {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
  }
  return user;
}

/**
 * Lay out a node directory: a private copy of the distribution's config (Elasticsearch writes
 * its keystore there) plus our JVM options, and data/logs/tmp, all owned by the run user.
 */
export function prepareNodeDir(
  home: string,
  baseDir: string,
  heap: string,
  user: string | undefined,
  jvmOptions: readonly string[] = [],
): void {
  const config = join(baseDir, 'config');
  if (!existsSync(join(config, 'jvm.options'))) cpSync(join(home, 'config'), config, { recursive: true });
  mkdirSync(join(config, 'jvm.options.d'), { recursive: true });
  // GC logging off (its default path is relative to the install dir, which the run user
  // cannot write); warnings still reach stderr.
  writeFileSync(
    join(config, 'jvm.options.d', 'dtq.options'),
    [`-Xms${heap}`, `-Xmx${heap}`, '-Xlog:disable', '-Xlog:all=warning:stderr:utctime,level,tags', ...jvmOptions]
      .map((option) => `${option}\n`)
      .join(''),
  );
  for (const dir of ['data', 'logs', 'tmp']) mkdirSync(join(baseDir, dir), { recursive: true });
  if (user !== undefined) execFileSync('chown', ['-R', `${user}:${user}`, baseDir]);
}

/** `-E` arguments of a node. */
export function nodeSettings(options: EsNodeOptions): Record<string, string> {
  return {
    'cluster.name': 'dtq',
    'node.name': 'dtq-es',
    'discovery.type': 'single-node',
    'xpack.security.enabled': 'false',
    'network.host': '127.0.0.1',
    'http.port': String(options.port),
    'transport.port': String(options.transportPort ?? options.port + 100),
    'path.data': join(options.baseDir, 'data'),
    'path.logs': join(options.baseDir, 'logs'),
    // A nearly full disk on a dev box must not flip indices read-only in the middle of a test.
    'cluster.routing.allocation.disk.threshold_enabled': 'false',
    ...options.settings,
  };
}

/** Health of the node at `url`: the cluster status, or undefined when it does not answer. */
export async function clusterStatus(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  const client = new HttpClient(url, { maxSockets: 1 });
  try {
    const response = await client.send('GET', '/_cluster/health', { timeoutMs });
    if (response.status !== 200) return undefined;
    return response.json<{ status?: string }>()?.status;
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

/** True while any process of the group `pgid` is alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signal a node's process group and wait until every process in it is gone. */
export async function stopGroup(pgid: number, { hard = false, timeoutMs = 60_000 } = {}): Promise<void> {
  try {
    process.kill(-pgid, hard ? 'SIGKILL' : 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) {
      process.kill(-pgid, 'SIGKILL');
      await sleep(200);
      if (!groupAlive(pgid)) return;
    }
    await sleep(100);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/** Start a node and wait until it serves requests (cluster yellow or green). */
export async function startElasticsearchNode(options: EsNodeOptions): Promise<EsNode> {
  const log = options.log ?? (() => {});
  const home = ensureDistribution(log);
  const user = ensureRunUser();
  const heap = options.heap ?? DEFAULT_HEAP;
  prepareNodeDir(home, options.baseDir, heap, user, options.jvmOptions);
  const url = `http://127.0.0.1:${options.port}`;
  const outputFile = join(options.baseDir, 'logs', 'console.log');
  let child: ChildProcess | undefined;
  let pgid: number | undefined;

  const start = async (): Promise<void> => {
    if (await clusterStatus(url, 1_000)) {
      throw dtqError(ES_ERRORS.ALREADY_RUNNING, { url, pidFile: '(none)' });
    }
    const settings = Object.entries(nodeSettings(options)).map(([name, value]) => `-E${name}=${value}`);
    const command = join(home, 'bin', 'elasticsearch');
    const argv =
      user === undefined
        ? [command, ...settings]
        : ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--clear-groups', '--', command, ...settings];
    const out = openSync(outputFile, 'a');
    log(`starting Elasticsearch on ${url} (heap ${heap}, data ${join(options.baseDir, 'data')})`);
    child = spawn(argv[0] as string, argv.slice(1), {
      cwd: options.baseDir,
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        ES_JAVA_HOME: esJavaHome(),
        ES_PATH_CONF: join(options.baseDir, 'config'),
        ES_TMPDIR: join(options.baseDir, 'tmp'),
        HOME: options.baseDir,
        // Heap comes from jvm.options.d; an inherited ES_JAVA_OPTS would override it.
        ES_JAVA_OPTS: '',
      },
    });
    closeSync(out);
    pgid = child.pid;
    let exit: string | undefined;
    child.once('exit', (code, signal) => {
      exit = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    child.once('error', (error) => {
      exit = error.message;
    });
    if (options.detached) child.unref();
    const timeoutMs = options.readyTimeoutMs ?? 180_000;
    const deadline = Date.now() + timeoutMs;
    let status: string | undefined;
    while (Date.now() < deadline) {
      if (exit !== undefined) throw dtqError(ES_ERRORS.START_FAILED, { exit, tail: tail(outputFile) });
      status = await clusterStatus(url);
      if (status === 'yellow' || status === 'green') return;
      await sleep(250);
    }
    if (pgid !== undefined) await stopGroup(pgid, { hard: true });
    throw dtqError(ES_ERRORS.NOT_READY, { url, timeoutMs, status: status ?? 'no answer', logFile: outputFile });
  };

  await start();
  return {
    url,
    port: options.port,
    baseDir: options.baseDir,
    pid: () => pgid,
    start,
    stop: async ({ hard = false } = {}) => {
      const group = pgid;
      pgid = undefined;
      child = undefined;
      if (group !== undefined) await stopGroup(group, { hard });
    },
  };
}
