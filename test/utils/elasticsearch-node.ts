/**
 * Test Elasticsearch nodes: the same elk/ code as `npm run es`, on free loopback ports with a
 * temporary directory each. Every node directory records the pid of the process that owns it,
 * so a node orphaned by a killed test run is found and stopped by the next one.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EsNode, startElasticsearchNode, stopGroup } from '../../elk/node.ts';
import { freePort } from './free-port.ts';

const DIR_PREFIX = 'dtq-es-test-';

/** A test node; `close()` stops it and removes its directory. */
export interface TestEsNode extends EsNode {
  close(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readNumber(file: string): number | undefined {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Stop and remove test nodes whose owning process is gone (left by a killed test run). */
export async function reapOrphanedTestNodes(): Promise<void> {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = readNumber(join(dir, 'owner.pid'));
    if (owner === undefined || alive(owner)) continue;
    const pgid = readNumber(join(dir, 'es.pgid'));
    if (pgid !== undefined) await stopGroup(pgid, { hard: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Options of {@link startTestElasticsearchNode}. */
export interface TestEsNodeOptions {
  heap?: string;
  /** Ports on 127.0.0.1; free ones when omitted (a cluster picks them first, to list its seeds). */
  port?: number;
  transportPort?: number;
  /** Extra `-E` settings (a cluster's name, seeds and initial masters). */
  settings?: Record<string, string>;
  readyTimeoutMs?: number;
}

/** Start a node of its own for one test file (for tests that stop or kill Elasticsearch). */
export async function startTestElasticsearchNode(options: TestEsNodeOptions = {}): Promise<TestEsNode> {
  await reapOrphanedTestNodes();
  const baseDir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(baseDir, 'owner.pid'), `${process.pid}\n`);
  const port = options.port ?? (await freePort());
  const transportPort = options.transportPort ?? (await freePort());
  const node = await startElasticsearchNode({
    port,
    transportPort,
    baseDir,
    heap: options.heap ?? '512m',
    // Test cleanup deletes the indices of a prefix by wildcard.
    settings: { 'action.destructive_requires_name': 'false', ...options.settings },
    // On a busy CI box the C2 compiler makes startup much slower; test loads do not need it.
    jvmOptions: ['-XX:TieredStopAtLevel=1'],
    ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
  });
  const recordPid = (): void => {
    const pid = node.pid();
    if (pid !== undefined && existsSync(baseDir)) writeFileSync(join(baseDir, 'es.pgid'), `${pid}\n`);
  };
  recordPid();
  const killOnExit = (): void => {
    const pid = node.pid();
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  };
  process.once('exit', killOnExit);
  return {
    ...node,
    start: async () => {
      await node.start();
      recordPid();
    },
    close: async () => {
      process.off('exit', killOnExit);
      await node.stop();
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
