/**
 * One contender shipping a directory into Elasticsearch until every line is indexed, measured
 * from outside as the same figures for every shipper: seconds until Elasticsearch counts all
 * lines, the process's CPU seconds (/proc/<pid>/stat) and peak RSS (VmHWM in /proc/<pid>/status)
 * at that moment, and Elasticsearch's CPU seconds meanwhile (node stats).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { F } from '../../contract/vocabulary.ts';
import type { Contender, ContenderTarget } from './contenders.ts';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;
/** The service name of dtq-ship's own log lines (shipper/cli.ts). */
const SHIPPER_SERVICE = 'shipper';
/** Give up when the count has not moved for this long. */
const STALL_MS = 120_000;

/** What one race measured. */
export interface RaceStats {
  seconds: number;
  cpuSeconds: number;
  rssPeakMb: number;
  esCpuSeconds: number;
  indexed: number;
}

/** CPU seconds and peak RSS of a live process, from /proc. */
function processFigures(pid: number): { cpuSeconds: number; rssPeakMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssPeakMb: Math.round(Number(hwm?.[1] ?? Number.NaN) / 1024) };
}

/**
 * Documents in `<prefix>-*` other than the shipper's own log lines (dtq-ship writes its log into
 * the directory it ships; the peers' documents have no such field and all count). No refresh:
 * the default 1 s refresh makes every count at most 1 s late.
 */
export async function indexedCount(url: string, prefix: string): Promise<number> {
  const response = await fetch(`${url}/${prefix}-*/_count?allow_no_indices=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: { bool: { must_not: { term: { [F.SERVICE_NAME]: SHIPPER_SERVICE } } } } }),
  });
  if (!response.ok) return 0;
  return ((await response.json()) as { count: number }).count;
}

/** CPU seconds every node of the cluster has used so far (as the shipper bench's other rows count es_cpu_s). */
async function esCpuSeconds(url: string): Promise<number> {
  const response = await fetch(`${url}/_nodes/stats/process?filter_path=nodes.*.process.cpu`);
  const stats = (await response.json()) as { nodes: Record<string, { process: { cpu: { total_in_millis: number } } }> };
  const nodes = Object.values(stats.nodes);
  return nodes.length === 0
    ? Number.NaN
    : nodes.reduce((sum, node) => sum + node.process.cpu.total_in_millis, 0) / 1000;
}

/** Stop a contender: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Ship `target.logDir` (holding `lines` lines) with `contender` until all are indexed; then stop it. */
export async function race(contender: Contender, target: ContenderTarget, lines: number): Promise<RaceStats> {
  await contender.prepare?.(target);
  const esBefore = await esCpuSeconds(target.url);
  const started = performance.now();
  const child = contender.start(target);
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    if (stderr.length < 20_000) stderr += chunk;
  });
  let last = { cpuSeconds: 0, rssPeakMb: 0 };
  let indexed = 0;
  let movedAt = performance.now();
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${contender.name} exited (${child.exitCode ?? child.signalCode}) after ${indexed} of ${lines} lines: ${stderr.slice(-2_000)}`,
        );
      }
      if (child.pid !== undefined) last = processFigures(child.pid);
      const count = await indexedCount(target.url, target.prefix);
      if (count > indexed) movedAt = performance.now();
      indexed = count;
      if (indexed >= lines) break;
      if (performance.now() - movedAt > STALL_MS) {
        throw new Error(`${contender.name} stalled at ${indexed} of ${lines} lines: ${stderr.slice(-2_000)}`);
      }
      await sleep(250);
    }
    const seconds = (performance.now() - started) / 1000;
    if (child.pid !== undefined) last = processFigures(child.pid);
    return { seconds, ...last, esCpuSeconds: (await esCpuSeconds(target.url)) - esBefore, indexed };
  } finally {
    await stopProcess(child);
  }
}
