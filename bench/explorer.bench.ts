/**
 * dtq-explore start-up: time from process start to the first full TUI frame, to the frame
 * that shows the complete trace (a long-polled trace draws its first screen before all its
 * status polls are fetched, see explorer/load-trace.ts) and to the --json output, for a
 * typical request and for one with 10,000 lines, over an index of at least 1M log lines
 * (DTQ_BENCH_EXPLORER_LINES lowers it for a quick run). Baseline in the same run: the raw
 * Elasticsearch term query for the same correlation id, i.e. the cost of the data alone.
 * Also measured: the share of model building in the total, and whether bundling Ink/React
 * into dist/ helps start-up (a build with dependencies left external).
 *
 * Profile rows: the same 10,000-line trace written as contract lines, as ECS lines and as OTLP
 * JSON, read from files through the `dtq`, `ecs` and `otel` profiles (--json); the `dtq` run
 * is the baseline, so the ratio is the mapping step's cost.
 *
 * Uses DTQ_ES_URL when set (with the DTQ_ES_* credentials and CA, and a throw-away index prefix), else starts its own node.
 * Runnable alone: `node bench/explorer.bench.ts`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexForTimestamp, indexPattern } from '../contract/indices.ts';
import { F } from '../contract/vocabulary.ts';
import { EsClient } from '../elk/client.ts';
import { type EsConnection, esConnection, plainConnection } from '../elk/connection.ts';
import { CORE_STEPS, runSetup } from '../elk/setup.ts';
import { buildExplorer } from '../scripts/build-explorer.ts';
import { happyPath, LogWriter } from '../test/explorer/fixtures.ts';
import { bulkLoad } from '../test/explorer/load-es.ts';
import { startTestElasticsearchNode } from '../test/utils/elasticsearch.ts';
import { toEcs, toOtlpLines } from './foreign-formats.ts';
import type { BenchReport, BenchRow } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'dtq-explore.js');
const RUNS = 5;

interface Timing {
  phase: string;
  sinceStartMs: number;
  fetchMs?: number;
  modelMs?: number;
  lines?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Index `total` lines: background traffic plus the two requests under test. */
export async function loadIndex(
  url: string | EsConnection,
  prefix: string,
  total: number,
): Promise<{ typical: string; big: string; typicalLines: number }> {
  const base = Date.now() - 3_600_000;
  const typical = `bench-typical-${randomUUID()}`;
  const big = `bench-big-${randomUUID()}`;
  const indexOf = (record: Record<string, unknown>) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix);

  const chatty = chattyRequest(base, big);
  await bulkLoad(url, chatty.hits(`big`), indexOf);

  const one = happyPath(new LogWriter(base + 1_800_000), typical, `${typical}-task`);
  await bulkLoad(url, one.hits('typical'), indexOf);

  let written = chatty.records.length + one.records.length;
  let request = 0;
  while (written < total) {
    const batch = new LogWriter(base + request * 40);
    while (batch.records.length < 20_000 && written + batch.records.length < total) {
      happyPath(batch, `bg-${request}`, `bg-${request}-task`, (request % 500) * 40);
      request++;
    }
    await bulkLoad(url, batch.hits(`bg-${request}`), indexOf);
    written += batch.records.length;
  }
  const client = new EsClient(typeof url === 'string' ? plainConnection(url) : url, { requestTimeoutMs: 600_000 });
  try {
    await client.request('POST', `/${indexPattern(prefix)}/_forcemerge?max_num_segments=1`);
  } finally {
    client.close();
  }
  return { typical, big, typicalLines: one.records.length };
}

/** The request with 10,000 lines: a client polling its task for a long time under one id. */
export function chattyRequest(base: number, cid: string): LogWriter {
  const chatty = new LogWriter(base);
  chatty.post({ ms: 0, cid, taskId: `${cid}-task` });
  chatty.attempt({ ms: 10, cid, taskId: `${cid}-task`, worker: 'worker-1', attempt: 1, durationMs: 60_000 });
  for (let i = 0; chatty.records.length < 10_000; i++) chatty.poll(20 + i * 10, cid, `${cid}-task`);
  return chatty;
}

/** The profiles measured against `dtq`, and the directory of each format's files. */
export const PROFILES = ['dtq', 'ecs', 'otel'] as const;

/** Write one request's lines in each profile's format, one directory per profile. */
export function writeProfileDirs(root: string, writer: LogWriter): Record<(typeof PROFILES)[number], string> {
  const dirs = { dtq: join(root, 'dtq'), ecs: join(root, 'ecs'), otel: join(root, 'otel') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  for (const [name, text] of writer.files()) writeFileSync(join(dirs.dtq, name), text);
  writeFileSync(join(dirs.ecs, 'all.ndjson'), writer.records.map((r) => `${JSON.stringify(toEcs(r))}\n`).join(''));
  writeFileSync(
    join(dirs.otel, 'all.ndjson'),
    toOtlpLines(writer.records)
      .map((line) => `${line}\n`)
      .join(''),
  );
  return dirs;
}

/** Median time from process start to the --json output of `cid` from files through `profile`. */
async function measureProfile(dir: string, cid: string, profile: string): Promise<number> {
  const args = [cid, '--json', '--logs', dir, '--profile', profile];
  const env = { DTQ_ES_URL: '', NO_COLOR: '' };
  await runOnce(args, env, false);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { timings } = await runOnce(args, env, false);
    times.push(timings.find((t) => t.phase === 'output')?.sinceStartMs ?? Number.NaN);
  }
  return median(times);
}

/** Wall time of one raw term query and of the search alone, as Elasticsearch reports it. */
async function rawQuery(client: EsClient, prefix: string, cid: string): Promise<number> {
  const start = performance.now();
  await client.request('POST', `/${indexPattern(prefix)}/_search`, {
    body: { size: 10_000, query: { term: { [F.CORRELATION_ID]: cid } } },
  });
  return performance.now() - start;
}

/** Run the explorer once; returns the wall time and the timings it recorded. */
function runOnce(
  args: string[],
  env: NodeJS.ProcessEnv,
  tty: boolean,
  entry = BIN,
): Promise<{ wallMs: number; timings: Timing[] }> {
  const timingFile = join(ROOT, 'var', 'bench-explorer', `timing-${randomUUID()}.ndjson`);
  // The TUI leaves once it shows the complete trace; its first frame is recorded on the way.
  const fullEnv = { ...process.env, ...env, DTQ_EXPLORE_TIMING: timingFile, DTQ_EXPLORE_EXIT_WHEN_COMPLETE: '1' };
  const command = [process.execPath, entry, ...args];
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    // `script` gives the TUI a real pseudo-terminal, as a user's shell would.
    const child = tty
      ? spawn('script', ['-qfec', command.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null'], {
          env: { ...fullEnv, TERM: 'xterm-256color', COLUMNS: '80', LINES: '24' },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(command[0] as string, command.slice(1), { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout?.resume();
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      if (code !== 0) return reject(new Error(`dtq-explore ${args.join(' ')} exited ${code}: ${stderr}`));
      let timings: Timing[] = [];
      try {
        timings = readFileSync(timingFile, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Timing);
      } catch {
        // No timing file: reported as NaN below.
      }
      rmSync(timingFile, { force: true });
      resolvePromise({ wallMs, timings });
    });
  });
}

interface Measured {
  firstFrameMs: number;
  completeFrameMs: number;
  jsonMs: number;
  modelMs: number;
  fetchMs: number;
  lines: number;
  rawMs: number;
}

async function measure(client: EsClient, prefix: string, cid: string, entry = BIN): Promise<Measured> {
  const url = client.connection.nodes.join(',');
  const env = { DTQ_ES_URL: url, DTQ_ES_INDEX_PREFIX: prefix, NO_COLOR: '' };
  // Warm-up: Node's compile cache, the OS file cache and Elasticsearch's caches, as for a user's second run.
  await runOnce([cid], env, true, entry);
  await runOnce([cid, '--json'], env, false, entry);
  const frames: number[] = [];
  const completes: number[] = [];
  const jsons: number[] = [];
  const models: number[] = [];
  const fetches: number[] = [];
  const raws: number[] = [];
  let lines = 0;
  for (let i = 0; i < RUNS; i++) {
    const tui = await runOnce([cid], env, true, entry);
    const first = tui.timings.find((t) => t.phase === 'first-frame');
    frames.push(first?.sinceStartMs ?? Number.NaN);
    completes.push(tui.timings.find((t) => t.phase === 'complete-frame')?.sinceStartMs ?? Number.NaN);
    const json = await runOnce([cid, '--json'], env, false, entry);
    const output = json.timings.find((t) => t.phase === 'output');
    jsons.push(output?.sinceStartMs ?? Number.NaN);
    models.push(output?.modelMs ?? Number.NaN);
    fetches.push(output?.fetchMs ?? Number.NaN);
    lines = output?.lines ?? 0;
    raws.push(await rawQuery(client, prefix, cid));
  }
  return {
    firstFrameMs: median(frames),
    completeFrameMs: median(completes),
    jsonMs: median(jsons),
    modelMs: median(models),
    fetchMs: median(fetches),
    lines,
    rawMs: median(raws),
  };
}

/** Run the scenario. */
export async function run(): Promise<BenchReport> {
  const total = Number(process.env.DTQ_BENCH_EXPLORER_LINES ?? 1_000_000);
  mkdirSync(join(ROOT, 'var', 'bench-explorer'), { recursive: true });
  await buildExplorer();
  const externalDir = join(ROOT, 'var', 'bench-explorer', 'external');
  const externalEntry = await buildExplorer({ outdir: externalDir, bundleDeps: false });
  const node = process.env.DTQ_ES_URL ? undefined : await startTestElasticsearchNode({ heap: '1g' });
  // An external cluster with the DTQ_ES_* credentials and CA (the explorer processes inherit them), or our node.
  const connection = node === undefined ? esConnection() : plainConnection(node.url);
  const client = new EsClient(connection, { requestTimeoutMs: 120_000 });
  const prefix = `bench-explorer-${randomUUID().slice(0, 8)}`;
  try {
    await runSetup({ connection, prefix, steps: CORE_STEPS });
    const loadStart = performance.now();
    const { typical, big } = await loadIndex(connection, prefix, total);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const count = (await client.request<{ count: number }>('GET', `/${indexPattern(prefix)}/_count`)) as {
      count: number;
    };

    const small = await measure(client, prefix, typical);
    const large = await measure(client, prefix, big);
    const external = await measure(client, prefix, typical, externalEntry);

    const profileRoot = join(ROOT, 'var', 'bench-explorer', 'profiles');
    const profileCid = `bench-profile-${randomUUID()}`;
    const profileDirs = writeProfileDirs(profileRoot, chattyRequest(Date.now() - 3_600_000, profileCid));
    const byProfile = new Map<string, number>();
    for (const profile of PROFILES)
      byProfile.set(profile, await measureProfile(profileDirs[profile], profileCid, profile));
    rmSync(profileRoot, { recursive: true, force: true });

    const rows: BenchRow[] = [];
    for (const [label, m] of [
      [`typical request (${small.lines} lines)`, small],
      [`request with ${large.lines} lines`, large],
    ] as const) {
      rows.push({
        name: `first full frame, ${label}`,
        value: round(m.firstFrameMs),
        unit: 'ms',
        baseline: { name: 'raw term query', value: round(m.rawMs) },
        ratio: round(m.firstFrameMs / m.rawMs, 2),
        goal: '< 500 ms',
        met: m.firstFrameMs < 500,
      });
      rows.push({
        name: `complete trace on screen, ${label}`,
        value: round(m.completeFrameMs),
        unit: 'ms',
        baseline: { name: 'raw term query', value: round(m.rawMs) },
        ratio: round(m.completeFrameMs / m.rawMs, 2),
      });
      rows.push({
        name: `--json output, ${label}`,
        value: round(m.jsonMs),
        unit: 'ms',
        baseline: { name: 'raw term query', value: round(m.rawMs) },
        ratio: round(m.jsonMs / m.rawMs, 2),
        extra: { fetch_ms: round(m.fetchMs), model_ms: round(m.modelMs, 2) },
      });
      rows.push({
        name: `model building share, ${label}`,
        value: round((100 * m.modelMs) / m.jsonMs),
        unit: '% of --json total',
        goal: '< 10%',
        met: m.modelMs / m.jsonMs < 0.1,
      });
    }
    rows.push({
      name: 'first full frame, typical request, Ink/React left in node_modules (not bundled)',
      value: round(external.firstFrameMs),
      unit: 'ms',
      baseline: { name: 'bundled (dist/)', value: round(small.firstFrameMs) },
      ratio: round(external.firstFrameMs / small.firstFrameMs, 2),
    });
    const dtqMs = byProfile.get('dtq') ?? Number.NaN;
    for (const profile of ['ecs', 'otel'] as const) {
      const ms = byProfile.get(profile) ?? Number.NaN;
      rows.push({
        name: `--json output, 10,000-line trace from files, profile ${profile}`,
        value: round(ms),
        unit: 'ms',
        baseline: { name: 'profile dtq, same trace as contract lines', value: round(dtqMs) },
        ratio: round(ms / dtqMs, 2),
        goal: '≤ 1.10',
        met: ms / dtqMs <= 1.1,
      });
    }
    return {
      title: 'dtq-explore start-up',
      rows,
      notes: [
        `${count.count.toLocaleString('en-US')} log lines indexed (${round(loadSeconds)} s to load), one shard, force-merged.`,
        `Times from process start (performance.now() in the explorer) to the first TUI frame in a pseudo-terminal (script), to the first frame that shows the complete trace (the same frame when nothing was left to load) and to the --json output written; median of ${RUNS} after a warm-up run.`,
        'First full frame of a long-polled trace: every row on it is final; status polls beyond the first page are still loading and the screen says so (a loading row where they will go, and a count).',
        'Raw term query: one _search for the correlation id from an already running process (no process start, no task join).',
        'Profile rows: the 10,000-line trace alone in files (no Elasticsearch), written as contract lines, ECS lines and OTLP JSON (50 records a line); --json through --profile dtq, ecs, otel; median of the same runs. The otel profile reads files only.',
      ],
    };
  } finally {
    await client
      .request('DELETE', `/${prefix}*?expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true`)
      .catch(() => undefined);
    await client.request('DELETE', `/_index_template/${prefix}*`).catch(() => undefined);
    client.close();
    await node?.close();
    rmSync(externalDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await run();
  console.log(JSON.stringify(report, null, 2));
}
