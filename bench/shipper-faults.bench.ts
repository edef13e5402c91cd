/**
 * Shippers under faults: lines lost and doubled by dtq-ship and by the peers of the shipper bench
 * (bench/peers/: the OpenTelemetry Collector, rsyslog), each configured for at-least-once, when
 *   - Elasticsearch is killed (SIGKILL) for DTQ_BENCH_FAULT_OUTAGE_MS (default 30 s) mid-run;
 *   - the shipper itself is killed with SIGKILL mid-run and started again on the same state.
 * Lines are written continuously while it happens, each with a unique `task_id` marker (the
 * writers of the shipper's outage tests, test/shipper/fixtures.ts), and counted per marker in
 * Elasticsearch once everything has settled. A fault costs minutes; this scenario is apart from
 * `shipper` for that reason. Elasticsearch: a temporary node of its own (it is killed).
 * Runnable alone: `node bench/shipper-faults.bench.ts`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startElasticsearchNode } from '../elk/node.ts';
import { CORE_STEPS, runSetup } from '../elk/setup.ts';
import { accountFor, LineWriter, writeContinuously } from '../test/shipper/fixtures.ts';
import { freePort } from '../test/utils/free-port.ts';
import { CONTENDERS, type Contender, type ContenderTarget, installPeers } from './peers/contenders.ts';
import { indexedCount, stopProcess } from './peers/race.ts';
import type { BenchReport, BenchRow } from './run.ts';

/** How long Elasticsearch stays down. */
const OUTAGE_MS = Number(process.env.DTQ_BENCH_FAULT_OUTAGE_MS ?? 30_000);
/** Lines per writer per 50 ms tick (two writers: 800 lines/s). */
const LINES_PER_TICK = 20;
/** Writing goes on this long before and after the fault. */
const AROUND_MS = 5_000;

type Fault = 'elasticsearch killed' | 'shipper killed';
const FAULTS: readonly Fault[] = ['elasticsearch killed', 'shipper killed'];

interface FaultResult {
  written: number;
  lost: number;
  doubled: number;
}

async function underFault(
  contender: Contender,
  fault: Fault,
  es: { url: string; kill(): Promise<void>; start(): Promise<void> },
  stamp: number,
): Promise<FaultResult> {
  const slug = fault === 'elasticsearch killed' ? 'es' : 'kill9';
  const prefix = `bench-fault-${contender.name}-${slug}-${stamp}`;
  const logDir = mkdtempSync(join(tmpdir(), `dtq-fault-${contender.name}-`));
  const stateDir = mkdtempSync(join(tmpdir(), `dtq-fault-${contender.name}-state-`));
  const target: ContenderTarget = { url: es.url, prefix, logDir, stateDir, batchLines: 2_000, concurrency: 2 };
  // api and worker lines: nginx's raw lines carry "-" for numbers, which only dtq-ship normalizes.
  const writers = [new LineWriter(logDir, 'api-1', 'api'), new LineWriter(logDir, 'worker-1', 'worker')];
  let child: ChildProcess | undefined;
  let stopWriting = (): void => undefined;
  try {
    await runSetup({ url: es.url, prefix, steps: CORE_STEPS });
    await contender.prepare?.(target);
    for (const writer of writers) writer.write(100);
    child = contender.start(target);
    stopWriting = writeContinuously(writers, LINES_PER_TICK);
    const deadline = Date.now() + 120_000;
    while ((await indexedCount(es.url, prefix)) === 0) {
      if (Date.now() > deadline) throw new Error(`${contender.name} indexed nothing in 120 s`);
      await sleep(250);
    }
    await sleep(AROUND_MS);
    if (fault === 'elasticsearch killed') {
      await es.kill();
      await sleep(OUTAGE_MS);
      await es.start();
    } else {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await sleep(2_000);
      child = contender.start(target);
    }
    await sleep(AROUND_MS);
    stopWriting();
    const markers = writers.flatMap((writer) => writer.markers);
    const report = await accountFor(es.url, prefix, markers, 180_000);
    return { written: markers.length, lost: report.lost.length, doubled: report.doubled.length };
  } finally {
    stopWriting();
    if (child) await stopProcess(child);
    rmSync(logDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Run the scenario. */
export async function run(): Promise<BenchReport> {
  installPeers();
  const baseDir = mkdtempSync(join(tmpdir(), 'dtq-fault-es-'));
  const node = await startElasticsearchNode({
    port: await freePort(),
    transportPort: await freePort(),
    baseDir,
    heap: '512m',
  });
  const es = { url: node.url, kill: () => node.stop({ hard: true }), start: () => node.start() };
  const stamp = Date.now();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    for (const contender of CONTENDERS) {
      const missing = contender.missing();
      if (missing !== undefined) {
        rows.push({ name: `${contender.name}: not run, missing ${missing}`, value: Number.NaN, unit: 'lines lost' });
        continue;
      }
      notes.push(`${contender.name}: ${contender.describe()}.`);
      for (const fault of FAULTS) {
        try {
          const result = await underFault(contender, fault, es, stamp);
          rows.push({
            name: `${contender.name}, ${fault === 'elasticsearch killed' ? `Elasticsearch killed for ${OUTAGE_MS / 1000} s` : 'shipper killed with SIGKILL and restarted'}`,
            value: result.lost,
            unit: 'lines lost',
            extra: { doubled: result.doubled, written: result.written },
            goal: contender.name === 'dtq-ship' ? '0 lost, 0 doubled' : undefined,
            met: contender.name === 'dtq-ship' ? result.lost === 0 && result.doubled === 0 : undefined,
          });
        } catch (error) {
          rows.push({
            name: `${contender.name}, ${fault}: failed, ${(error instanceof Error ? error.message : String(error)).slice(0, 300)}`,
            value: Number.NaN,
            unit: 'lines lost',
          });
        }
      }
    }
  } finally {
    await node.stop();
    rmSync(baseDir, { recursive: true, force: true });
  }
  return {
    title: 'Shippers under faults',
    rows,
    notes: [
      `Two writers append ${(LINES_PER_TICK * 2 * 1000) / 50} lines/s with a unique task_id each; the fault comes ${AROUND_MS / 1000} s after the first line is indexed, writing goes on ${AROUND_MS / 1000} s after it; then every marker is counted in Elasticsearch (lost: absent after 180 s; doubled: indexed more than once).`,
      'Elasticsearch: a temporary node, 512 MB heap, killed with SIGKILL and started again on its data. The shipper: SIGKILL, restarted 2 s later on the same state directory.',
      ...notes,
    ],
  };
}

if (import.meta.main) {
  const report = await run();
  console.log(report.title);
  for (const row of report.rows)
    console.log(`  ${row.name}: ${row.value} ${row.unit} ${JSON.stringify(row.extra ?? {})}`);
  for (const note of report.notes ?? []) console.log(`  ${note}`);
}
