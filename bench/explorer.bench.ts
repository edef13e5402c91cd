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
 * Fleet view rows: over the same index, the list's first frame (`--since` without an id, in a
 * pseudo-terminal) and one `--follow` update (the pass that first lists a request indexed while
 * the list is open), against the raw terms aggregation that ranks the window's requests; from
 * files, a generated log directory of about 1 GB (DTQ_BENCH_EXPLORER_LOG_MB) listed with
 * `--plain`, with its peak RSS, against reading the same files with JSON.parse in one loop.
 *
 * The mapping profiles' rows (the same trace as ECS and OTLP lines) are bench/profiles.bench.ts.
 *
 * Uses DTQ_ES_URL when set (with the DTQ_ES_* credentials and CA, and a throw-away index prefix), else starts its own node.
 * Runnable alone: `node bench/explorer.bench.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexForTimestamp, indexPattern } from '../contract/indices.ts';
import { F } from '../contract/vocabulary.ts';
import { EsClient } from '../elk/client.ts';
import { type EsConnection, esConnection, plainConnection } from '../elk/connection.ts';
import { CORE_STEPS, runSetup } from '../elk/setup.ts';
import { fleetRankingSearch } from '../explorer/sources/elasticsearch.ts';
import { buildExplorer } from '../scripts/build-explorer.ts';
import { happyPath, LogWriter } from '../test/explorer/fixtures.ts';
import { bulkLoad } from '../test/explorer/load-es.ts';
import { startTestElasticsearchNode } from '../test/utils/elasticsearch.ts';
import { chattyRequest } from './foreign-formats.ts';
import type { BenchReport, BenchRow } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'dtq-explore.js');
const RUNS = 5;

interface Timing {
  phase: string;
  sinceStartMs: number;
  /** Wall clock (Date.now()) when the phase was recorded. */
  atMs: number;
  fetchMs?: number;
  modelMs?: number;
  lines?: number;
  /** A fleet-view pass: how long it took, how many rows, the newest row's correlation id. */
  durationMs?: number;
  rows?: number;
  newest?: string;
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

/** Wall time of one raw term query and of the search alone, as Elasticsearch reports it. */
async function rawQuery(client: EsClient, prefix: string, cid: string): Promise<number> {
  const start = performance.now();
  await client.request('POST', `/${indexPattern(prefix)}/_search`, {
    body: { size: 10_000, query: { term: { [F.CORRELATION_ID]: cid } } },
  });
  return performance.now() - start;
}

/** Read the timings an explorer process has recorded so far. */
function readTimings(file: string): Timing[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Timing);
}

/** A running explorer: its process, its timing file and its end. */
interface ExplorerProcess {
  child: ChildProcess;
  timingFile: string;
  done: Promise<{ wallMs: number; timings: Timing[] }>;
}

/** Start the explorer with DTQ_EXPLORE_TIMING set, in a pseudo-terminal when `tty`. */
function spawnExplorer(args: string[], env: NodeJS.ProcessEnv, tty: boolean, entry = BIN): ExplorerProcess {
  const timingFile = join(ROOT, 'var', 'bench-explorer', `timing-${randomUUID()}.ndjson`);
  const fullEnv = { ...process.env, ...env, DTQ_EXPLORE_TIMING: timingFile };
  const command = [process.execPath, entry, ...args];
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
  const done = new Promise<{ wallMs: number; timings: Timing[] }>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      if (code !== 0) return reject(new Error(`dtq-explore ${args.join(' ')} exited ${code}: ${stderr}`));
      // No timing file: reported as NaN by the callers.
      const timings = readTimings(timingFile);
      rmSync(timingFile, { force: true });
      resolvePromise({ wallMs, timings });
    });
  });
  return { child, timingFile, done };
}

/** Run the explorer once; returns the wall time and the timings it recorded. */
function runOnce(
  args: string[],
  env: NodeJS.ProcessEnv,
  tty: boolean,
  entry = BIN,
): Promise<{ wallMs: number; timings: Timing[] }> {
  // The TUI leaves once it shows the complete trace (the list: its first frame); that frame is recorded on the way.
  return spawnExplorer(args, { ...env, DTQ_EXPLORE_EXIT_WHEN_COMPLETE: '1' }, tty, entry).done;
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
  const env = esEnv(client, prefix);
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

/** The fleet view's window in the bench, in hours: wide enough for every line the bench indexes. */
const FLEET_SINCE_HOURS = 3;
/** The same window as the explorer's --since. */
const FLEET_SINCE = `${FLEET_SINCE_HOURS}h`;

interface FleetMeasured {
  firstFrameMs: number;
  loadMs: number;
  rows: number;
  rawMs: number;
}

/** Wall time of the fleet view's ranking aggregation alone, from this (already running) process. */
async function rawRanking(client: EsClient, prefix: string, sinceMs: number): Promise<number> {
  const body = fleetRankingSearch({ time: F.TIMESTAMP, cid: F.CORRELATION_ID, contract: true, sinceMs, size: 200 });
  const start = performance.now();
  await client.request('POST', `/${indexPattern(prefix)}/_search`, { body });
  return performance.now() - start;
}

/** Median time from process start to the fleet view's first frame over the whole index. */
async function measureFleet(client: EsClient, prefix: string): Promise<FleetMeasured> {
  const env = esEnv(client, prefix);
  const args = ['--since', FLEET_SINCE];
  await runOnce(args, env, true);
  const frames: number[] = [];
  const loads: number[] = [];
  const raws: number[] = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const { timings } = await runOnce(args, env, true);
    frames.push(timings.find((t) => t.phase === 'first-frame')?.sinceStartMs ?? Number.NaN);
    const loaded = timings.find((t) => t.phase === 'list-loaded');
    loads.push(loaded?.durationMs ?? Number.NaN);
    rows = loaded?.rows ?? 0;
    raws.push(await rawRanking(client, prefix, Date.now() - FLEET_SINCE_HOURS * 3_600_000));
  }
  return { firstFrameMs: median(frames), loadMs: median(loads), rows, rawMs: median(raws) };
}

/** Wait until `test` holds for the timings recorded so far; undefined after `timeoutMs`. */
async function waitForTiming(
  file: string,
  test: (t: Timing) => boolean,
  timeoutMs: number,
): Promise<Timing | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = readTimings(file).find(test);
    if (found) return found;
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  }
  return undefined;
}

interface LiveMeasured {
  /** The --follow pass that first showed the new request: its own duration. */
  refreshMs: number;
  /** From the new lines searchable (bulk + refresh returned) to that pass done; includes the wait for the 1 s tick. */
  arrivalMs: number;
}

/**
 * The fleet view with --follow in a pseudo-terminal: index one new request at a time (newer
 * than anything in the index, so it tops the list) and time the pass that first lists it.
 */
async function measureLive(client: EsClient, connection: EsConnection, prefix: string): Promise<LiveMeasured> {
  const newest = await client.request<{ aggregations: { newest: { value: number } } }>(
    'POST',
    `/${indexPattern(prefix)}/_search`,
    { body: { size: 0, aggs: { newest: { max: { field: F.TIMESTAMP } } } } },
  );
  let at = Math.max(Date.now(), newest?.aggregations.newest.value ?? 0) + 1000;
  const explorer = spawnExplorer(['--since', FLEET_SINCE, '--follow'], esEnv(client, prefix), true);
  const refreshes: number[] = [];
  const arrivals: number[] = [];
  try {
    // The first --follow pass: the list is on screen and following.
    await waitForTiming(explorer.timingFile, (t) => t.phase === 'list-refresh', 60_000);
    for (let i = 0; i < RUNS; i++) {
      const cid = `bench-live-${i}-${randomUUID()}`;
      const writer = happyPath(new LogWriter(at), cid, `${cid}-task`);
      at += 1000;
      await bulkLoad(connection, writer.hits(cid), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
      const arrived = Date.now();
      const shown = await waitForTiming(
        explorer.timingFile,
        (t) => t.phase === 'list-refresh' && t.newest === cid,
        30_000,
      );
      refreshes.push(shown?.durationMs ?? Number.NaN);
      arrivals.push(shown === undefined ? Number.NaN : shown.atMs - arrived);
    }
  } finally {
    explorer.child.stdin?.write('q');
    await explorer.done.catch(() => undefined);
  }
  return { refreshMs: median(refreshes), arrivalMs: median(arrivals) };
}

/** Size of the generated log directory for the file rows: the goal names 1 GB. */
const LOG_DIR_MB = Number(process.env.DTQ_BENCH_EXPLORER_LOG_MB ?? 1024);
const FILE_RUNS = 3;

/** What writeLogDir wrote: its size, lines and requests, and the time of its first request. */
interface LogDirInfo {
  lines: number;
  bytes: number;
  requests: number;
  baseMs: number;
}

/** Write about `bytes` of workload lines into `dir` (one file per instance), requests 20 ms apart from `base` on. */
export function writeLogDir(dir: string, bytes: number, base = Date.now() - 2 * 3_600_000): LogDirInfo {
  mkdirSync(dir, { recursive: true });
  let written = 0;
  let lines = 0;
  let request = 0;
  while (written < bytes) {
    const batch = new LogWriter(base);
    for (let i = 0; i < 2000; i++, request++)
      happyPath(batch, `file-${request}-${randomUUID()}`, `file-${request}-task`, request * 20);
    for (const [name, text] of batch.files()) {
      appendFileSync(join(dir, name), text);
      written += Buffer.byteLength(text);
    }
    lines += batch.records.length;
  }
  return { lines, bytes: written, requests: request, baseMs: base };
}

/**
 * The generated log directory of about `mb` MB under var/bench-explorer/, written once and
 * kept for later runs (writing 1 GB takes longer than listing it); a directory left unfinished
 * has no info file beside it and is written again.
 */
function logDirOf(mb: number): { dir: string; info: LogDirInfo } {
  const dir = join(ROOT, 'var', 'bench-explorer', `logs-${mb}mb`);
  // Beside the directory, not in it: the explorer would read a *.json file inside as a log.
  const infoFile = `${dir}.info`;
  if (existsSync(infoFile)) return { dir, info: JSON.parse(readFileSync(infoFile, 'utf8')) as LogDirInfo };
  rmSync(dir, { recursive: true, force: true });
  const info = writeLogDir(dir, mb * 1024 * 1024);
  writeFileSync(infoFile, JSON.stringify(info));
  return { dir, info };
}

/** Reads every line of every file in a directory with JSON.parse, in one loop: the file rows' baseline. */
const PARSE_LOOP = `
const { createReadStream, readdirSync } = require('node:fs');
const { createInterface } = require('node:readline');
const { join } = require('node:path');
(async () => {
  let n = 0;
  for (const name of readdirSync(process.argv[1]))
    for await (const line of createInterface({ input: createReadStream(join(process.argv[1], name)), crlfDelay: Infinity }))
      if (line !== '' && JSON.parse(line)) n++;
  process.stdout.write(String(n));
})();
`;

/** What GNU time reports of one process. */
interface Timed {
  wallMs: number;
  /** User and system CPU time: on a shared machine, steadier than the wall time. */
  cpuMs: number;
  rssMb: number;
}

/** Wall time, CPU time and peak RSS (GNU time's maximum resident set size) of one process. */
function timedProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    const child = spawn('/usr/bin/time', ['-v', process.execPath, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]);
      const seconds = (label: string) => Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1]);
      resolvePromise({ wallMs, cpuMs: (seconds('User') + seconds('System')) * 1000, rssMb: kb / 1024 });
    });
  });
}

interface FilesMeasured {
  listMs: number;
  listCpuMs: number;
  listRssMb: number;
  parseMs: number;
  parseCpuMs: number;
  parseRssMb: number;
}

/** The fleet view listed from `dir` (--plain, no id) against the JSON.parse loop over the same files; medians. */
async function measureFiles(dir: string, sinceMs: number): Promise<FilesMeasured> {
  const env = { DTQ_ES_URL: '', NO_COLOR: '' };
  const list = ['--since', new Date(sinceMs).toISOString(), '--plain', '--logs', dir];
  await timedProcess([BIN, ...list], env);
  const lists: Timed[] = [];
  const parses: Timed[] = [];
  for (let i = 0; i < FILE_RUNS; i++) {
    lists.push(await timedProcess([BIN, ...list], env));
    parses.push(await timedProcess(['-e', PARSE_LOOP, dir], env));
  }
  return {
    listMs: median(lists.map((r) => r.wallMs)),
    listCpuMs: median(lists.map((r) => r.cpuMs)),
    listRssMb: Math.max(...lists.map((r) => r.rssMb)),
    parseMs: median(parses.map((r) => r.wallMs)),
    parseCpuMs: median(parses.map((r) => r.cpuMs)),
    parseRssMb: Math.max(...parses.map((r) => r.rssMb)),
  };
}

/** The explorer's environment for the bench's index. */
function esEnv(client: EsClient, prefix: string): NodeJS.ProcessEnv {
  return { DTQ_ES_URL: client.connection.nodes.join(','), DTQ_ES_INDEX_PREFIX: prefix, NO_COLOR: '' };
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
    const fleet = await measureFleet(client, prefix);
    const live = await measureLive(client, connection, prefix);

    const { dir: logDir, info: generated } = logDirOf(LOG_DIR_MB);
    // The window opens a minute before the directory's first request, however long ago it was written.
    const files = await measureFiles(logDir, generated.baseMs - 60_000);

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
    /** A fleet-view row in ms against the ranking aggregation, its goal and verdict from one threshold. */
    const fleetRow = (name: string, ms: number, goalMs: number, extra: BenchRow['extra']): BenchRow => ({
      name,
      value: round(ms),
      unit: 'ms',
      baseline: { name: 'raw terms aggregation (the ranking)', value: round(fleet.rawMs) },
      ratio: round(ms / fleet.rawMs, 2),
      goal: `< ${goalMs} ms`,
      met: ms < goalMs,
      extra,
    });
    rows.push(
      fleetRow(`fleet view over the whole index, first frame (${fleet.rows} rows)`, fleet.firstFrameMs, 1000, {
        list_load_ms: round(fleet.loadMs),
      }),
      fleetRow('fleet view --follow, one live update (the pass that lists a new request)', live.refreshMs, 100, {
        lines_searchable_to_listed_ms: round(live.arrivalMs),
      }),
    );
    const mb = round(generated.bytes / 1024 / 1024, 0);
    rows.push({
      name: `fleet view from files, --plain, ${mb} MB directory (${generated.lines.toLocaleString('en-US')} lines, ${generated.requests.toLocaleString('en-US')} requests)`,
      value: round(files.listMs),
      unit: 'ms',
      baseline: { name: 'JSON.parse of every line in one loop', value: round(files.parseMs) },
      ratio: round(files.listMs / files.parseMs, 2),
      goal: mb >= 1024 ? '< 5000 ms' : undefined,
      met: mb >= 1024 ? files.listMs < 5000 : undefined,
      extra: {
        cpu_ms: round(files.listCpuMs, 0),
        peak_rss_mb: round(files.listRssMb, 0),
        baseline_cpu_ms: round(files.parseCpuMs, 0),
        baseline_peak_rss_mb: round(files.parseRssMb, 0),
      },
    });
    return {
      title: 'dtq-explore start-up',
      rows,
      notes: [
        `${count.count.toLocaleString('en-US')} log lines indexed (${round(loadSeconds)} s to load), one shard, force-merged.`,
        `Times from process start (performance.now() in the explorer) to the first TUI frame in a pseudo-terminal (script), to the first frame that shows the complete trace (the same frame when nothing was left to load) and to the --json output written; median of ${RUNS} after a warm-up run.`,
        'First full frame of a long-polled trace: every row on it is final; status polls beyond the first page are still loading and the screen says so (a loading row where they will go, and a count).',
        'Raw term query: one _search for the correlation id from an already running process (no process start, no task join).',
        `Fleet view rows: \`dtq-explore --since ${FLEET_SINCE}\` (no id) over the same index, newest 200 requests. First frame: process start to the list's first TUI frame in a pseudo-terminal, median of ${RUNS} after a warm-up; list_load_ms is the list's own load (the ranking aggregation, then every line of the 200 requests, folded into rows). Baseline: the ranking terms aggregation alone from an already running process.`,
        `Live update: the fleet view with --follow in a pseudo-terminal; one new request (newer than every indexed line) is bulk-indexed and refreshed, and the --follow pass that first lists it is timed (DTQ_EXPLORE_TIMING's list-refresh duration: both queries and the fold; the frame follows in the same tick); median of ${RUNS}. lines_searchable_to_listed_ms adds the wait for the next 1 s tick.`,
        `From files: a generated directory of about ${LOG_DIR_MB} MB of workload lines in four process files (DTQ_BENCH_EXPLORER_LOG_MB; written once into var/bench-explorer/ and kept for later runs), listed with \`--plain\`, no id and a window that holds every line; wall time from spawn to exit, median of ${FILE_RUNS} after a warm-up, and its CPU time (user + system, GNU time; steadier than the wall time on a shared machine); peak RSS from GNU time (maximum resident set size), the highest of the runs. Baseline: a Node process reading the same files line by line with JSON.parse in one loop, nothing kept.`,
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
