/**
 * Shipper throughput: N realistic log lines (DTQ_BENCH_SHIPPER_LINES, default 1,000,000) in six
 * NDJSON files, shipped into a local Elasticsearch by the file shipper with all its guarantees
 * (registry, deterministic `_id`, `create`, dead-letter checks), raced in the same run against
 *   - raw `_bulk`: the same lines sent as they are, auto-generated ids, at the best batch size
 *     and number of concurrent requests (1, 2 or 4) found on this machine first (the ceiling; the
 *     shipper gets the same batch size and concurrency); raw and shipper alternate for
 *     DTQ_BENCH_SHIPPER_ROUNDS rounds (default 2), each keeping its fastest, and take turns at
 *     going first: the run after another meets Elasticsearch still busy with the one before
 *     (its refresh and the deleted index), so neither always gets the rested node; before the
 *     rounds, DTQ_BENCH_SHIPPER_WARMUPS (default 2) untimed passes of all three over the full
 *     lines, so the rounds meet a node whose cost per line has settled (see warmUp);
 *   - raw `_bulk` with the shipper's `create` and document ids (not a goal): the same raw loop,
 *     so what separates it from the ceiling is what Elasticsearch pays for exactly-once (a
 *     lookup of every id), and what separates the shipper from it is the shipper's own;
 *   - pino-elasticsearch: the same lines written into its stream in-process.
 * Goal: the shipper reaches at least 80% of the raw ceiling. Each contender runs in its own
 * process, which reports its lines/s, CPU seconds (process.cpuUsage) and peak RSS (maxRSS);
 * Elasticsearch's CPU seconds per run come from its node stats.
 *
 * Cluster rows (DTQ_BENCH_SHIPPER_CLUSTER=0 skips them): raw `_bulk`, raw with ids and the shipper
 * again, same lines and request shape, into a three-node cluster on this machine (512 MB heap
 * each, the index template's one replica), all given every node; goal: the shipper at least 80%
 * of raw.
 *
 * Elasticsearch: DTQ_ES_URL when it answers (with the DTQ_ES_* credentials and CA, which every
 * contender process inherits), otherwise a temporary node started for the run; the cluster rows
 * always run on a cluster of their own. Runnable alone: `node bench/shipper.bench.ts`.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostName } from '../contract/host.ts';
import { redactUrl } from '../contract/redact.ts';
import { F } from '../contract/vocabulary.ts';
import { EsClient } from '../elk/client.ts';
import { type EsConnection, esConnection } from '../elk/connection.ts';
import { startElasticsearchNode } from '../elk/node.ts';
import { CORE_STEPS, runSetup } from '../elk/setup.ts';
import { DEFAULT_LIMITS } from '../shipper/config.ts';
import { documentId, hostIdTag } from '../shipper/line.ts';
import { Shipper } from '../shipper/shipper.ts';
import { fingerprintOf } from '../shipper/tailer.ts';
import { startTestElasticsearchCluster } from '../test/utils/elasticsearch-cluster.ts';
import { freePort } from '../test/utils/free-port.ts';
import { CONTENDERS, installPeers, shipNodeOptions } from './peers/contenders.ts';
import { race } from './peers/race.ts';
import type { BenchReport, BenchRow } from './run.ts';

const LINES = Number(process.env.DTQ_BENCH_SHIPPER_LINES ?? 1_000_000);
/** Raw and shipper runs alternate this many times; each keeps its fastest (other load on a shared machine only slows runs down). */
const ROUNDS = Number(process.env.DTQ_BENCH_SHIPPER_ROUNDS ?? 2);
/** Request shapes the raw loader tries; pino-elasticsearch's own (5 MB, 5 at a time) lies inside this range. */
const BATCH_CANDIDATES = [1_000, 2_000, 5_000, 10_000];
const CONCURRENCY_CANDIDATES = [1, 2, 4];
/** Lines of the sample the shapes are tried on: enough for several requests of the largest. */
const SAMPLE_LINES = 100_000;
const SERVICES = ['api-1', 'api-2', 'api-3', 'worker-1', 'worker-2', 'nginx'] as const;

/** Write `lines` realistic lines spread over the six files; returns the total bytes. */
export function generate(dir: string, lines: number): number {
  const fds = SERVICES.map((name) => openSync(join(dir, `${name}.ndjson`), 'w'));
  const base = Date.now() - lines;
  let bytes = 0;
  const chunks: string[][] = SERVICES.map(() => []);
  for (let i = 0; i < lines; i++) {
    const k = i % SERVICES.length;
    const name = SERVICES[k] as string;
    const service = name.startsWith('api') ? 'api' : name.startsWith('worker') ? 'worker' : 'nginx';
    const ts = new Date(base + i).toISOString();
    const line =
      service === 'nginx'
        ? JSON.stringify({
            '@timestamp': ts,
            [F.SERVICE_NAME]: 'nginx',
            [F.SERVICE_INSTANCE]: 'nginx',
            [F.EVENT_ACTION]: 'nginx.access',
            [F.CORRELATION_ID]: `c-${i >> 2}`,
            [F.HTTP_METHOD]: 'POST',
            [F.URL_PATH]: '/api/v1/tasks',
            [F.HTTP_STATUS]: '202',
            [F.HTTP_RESPONSE_BYTES]: '87',
            [F.NGINX_UPSTREAM_ADDRESS]: '127.0.0.1:3001',
            [F.NGINX_UPSTREAM_STATUS]: '202',
            [F.NGINX_REQUEST_TIME]: '0.004',
            [F.NGINX_UPSTREAM_RESPONSE_TIME]: '0.003',
            [F.NGINX_MSEC]: ((base + i) / 1000).toFixed(3),
            [F.MESSAGE]: 'POST /api/v1/tasks 202',
          })
        : JSON.stringify({
            [F.LOG_LEVEL]: 'info',
            [F.TIMESTAMP]: ts,
            [F.SERVICE_NAME]: service,
            [F.SERVICE_INSTANCE]: name,
            [F.PROCESS_PID]: 4242,
            [F.EVENT_SEQUENCE]: i,
            [F.EVENT_ACTION]: service === 'api' ? 'task.enqueued' : 'task.completed',
            [F.CORRELATION_ID]: `c-${i >> 2}`,
            [F.TASK_ID]: `t-${i >> 2}`,
            [F.TASK_TYPE]: 'calculate_var',
            [F.TASK_QUEUE]: 'high',
            [F.EVENT_DURATION]: 1_234_567 + i,
            [F.MESSAGE]: `task t-${i >> 2} ${service === 'api' ? 'enqueued' : 'completed'}`,
          });
    chunks[k]?.push(line);
    bytes += line.length + 1;
    if ((chunks[k]?.length ?? 0) >= 10_000) {
      writeSync(fds[k] as number, `${chunks[k]?.join('\n')}\n`);
      chunks[k] = [];
    }
  }
  chunks.forEach((chunk, k) => {
    if (chunk.length > 0) writeSync(fds[k] as number, `${chunk.join('\n')}\n`);
    closeSync(fds[k] as number);
  });
  return bytes;
}

/** What a phase process reports about itself. */
interface PhaseStats {
  seconds: number;
  cpuSeconds: number;
  rssPeakMb: number;
  /** The shipper's retried requests and lines Elasticsearch already had (409), when the phase is the shipper. */
  retries?: number;
  duplicates?: number;
  /** Measured by the parent around the phase: Elasticsearch's CPU seconds for it. */
  esCpuSeconds?: number;
}

/** Run one phase in its own process, so its CPU and peak RSS are its own. */
async function phase(
  name: 'raw' | 'raw-ids' | 'shipper' | 'pino',
  url: string,
  prefix: string,
  logDir: string,
  batch: number,
  concurrency = 1,
): Promise<PhaseStats> {
  const esBefore = await esCpuSeconds(url);
  // The shipper runs with the V8 flags its bin gives it, as installed.
  const nodeOptions = name === 'shipper' ? shipNodeOptions() : [];
  const child = spawn(
    process.execPath,
    [
      ...nodeOptions,
      fileURLToPath(import.meta.url),
      '--phase',
      name,
      url,
      prefix,
      logDir,
      String(batch),
      String(concurrency),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`phase ${name} exited with ${code}: ${output}`);
  const stats = JSON.parse(output.trim().split('\n').at(-1) as string) as PhaseStats;
  return { ...stats, esCpuSeconds: (await esCpuSeconds(url)) - esBefore };
}

/** Inside a phase process: do the work, then print this process's own figures. */
async function runPhase(
  name: string,
  url: string,
  prefix: string,
  logDir: string,
  batch: number,
  concurrency: number,
): Promise<void> {
  const started = performance.now();
  let shipped: { retries: number; duplicates: number } | undefined;
  if (name === 'raw' || name === 'raw-ids') {
    const hostTag = hostIdTag(hostName());
    for (const service of SERVICES) {
      const path = join(logDir, `${service}.ndjson`);
      const ids = name === 'raw-ids' ? { fingerprint: fileFingerprint(path), hostTag } : undefined;
      await rawBulk(url, prefix, linesOf(logDir, service), batch, concurrency, ids);
    }
  } else if (name === 'shipper') {
    shipped = await ship(url, prefix, logDir, batch, concurrency);
  } else {
    await pinoElastic(url, prefix, logDir);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage();
  const stats: PhaseStats = {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssPeakMb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...shipped,
  };
  console.log(JSON.stringify(stats));
}

/** The fingerprint the shipper gives the file at `path` (shipper/tailer.ts). */
function fileFingerprint(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const identity = fingerprintOf(fd);
    if (identity === undefined) throw new Error(`${path} has no complete first line`);
    return identity.fingerprint;
  } finally {
    closeSync(fd);
  }
}

function linesOf(logDir: string, service: string): string[] {
  return readFileSync(join(logDir, `${service}.ndjson`), 'utf8')
    .split('\n')
    .slice(0, -1);
}

/** The cluster at `url` (one node or several, comma-separated) with the DTQ_ES_* credentials and CA of the environment. */
function connection(url: string): EsConnection {
  return esConnection({ ...process.env, DTQ_ES_URL: url });
}

const clients = new Map<string, EsClient>();

/** One keep-alive client per cluster and process, the transport every dtq part uses. */
function clientOf(url: string): EsClient {
  let client = clients.get(url);
  if (client === undefined) {
    client = new EsClient(connection(url), { requestTimeoutMs: 120_000 });
    clients.set(url, client);
  }
  return client;
}

async function es(url: string, method: string, path: string, body?: string): Promise<unknown> {
  return clientOf(url).request(method, path, {
    ...(body === undefined ? {} : { body }),
    headers: { 'content-type': path.startsWith('/_bulk') ? 'application/x-ndjson' : 'application/json' },
  });
}

/** True when the cluster at `url` answers its health check. */
async function answers(url: string): Promise<boolean> {
  try {
    await es(url, 'GET', '/_cluster/health');
    return true;
  } catch {
    return false;
  }
}

/** CPU time Elasticsearch's process has used so far, in seconds (node stats work on any distribution). */
async function esCpuSeconds(url: string): Promise<number> {
  const stats = (await es(url, 'GET', '/_nodes/stats/process?filter_path=nodes.*.process.cpu')) as {
    nodes: Record<string, { process: { cpu: { total_in_millis: number } } }>;
  };
  // Every node of a cluster (the local one alone on a single node).
  const nodes = Object.values(stats.nodes);
  return nodes.length === 0
    ? Number.NaN
    : nodes.reduce((sum, node) => sum + node.process.cpu.total_in_millis, 0) / 1000;
}

async function count(url: string, prefix: string): Promise<number> {
  await es(url, 'POST', `/${prefix}-*/_refresh`);
  return ((await es(url, 'GET', `/${prefix}-*/_count`)) as { count: number }).count;
}

async function cleanup(url: string, prefix: string): Promise<void> {
  // By name: a node with action.destructive_requires_name (the default) refuses wildcards.
  const names = (await es(url, 'GET', `/_cat/indices/${prefix}-*?h=index&format=json`)) as { index: string }[];
  for (const { index } of names) await es(url, 'DELETE', `/${index}`);
  await es(url, 'DELETE', `/_index_template/${prefix}`).catch(() => undefined);
}

/**
 * The raw loader: lines as they are, `concurrency` requests at a time; `index` with auto ids, or
 * with `ids` the shipper's `create` and document id of each line (its file's fingerprint and
 * the line's byte offset).
 */
async function rawBulk(
  url: string,
  prefix: string,
  lines: string[],
  batch: number,
  concurrency: number,
  ids?: { fingerprint: string; hostTag: string },
): Promise<void> {
  const action = `{"index":{"_index":"${prefix}-raw"}}\n`;
  const createHead = `{"create":{"_index":"${prefix}-raw","_id":"`;
  const offsets: number[] = [];
  if (ids !== undefined) {
    let offset = 0;
    for (const line of lines) {
      offsets.push(offset);
      offset += Buffer.byteLength(line) + 1;
    }
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lines.length) {
      const start = next;
      next += batch;
      let body = '';
      const end = Math.min(start + batch, lines.length);
      for (let i = start; i < end; i++) {
        const head =
          ids === undefined
            ? action
            : `${createHead}${documentId(ids.fingerprint, offsets[i] as number, ids.hostTag)}"}}\n`;
        body += `${head}${lines[i]}\n`;
      }
      const result = (await es(url, 'POST', '/_bulk?filter_path=errors', body)) as { errors: boolean };
      if (result.errors) throw new Error('raw bulk reported item errors');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The file shipper on the directory, until caught up. */
async function ship(
  url: string,
  prefix: string,
  logDir: string,
  maxBatchLines: number,
  maxConcurrentExports: number,
): Promise<{ retries: number; duplicates: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dtq-bench-state-'));
  const shipper = new Shipper({
    config: {
      esUrl: url,
      es: connection(url),
      indexPrefix: prefix,
      logDir,
      stateDir,
      runSetup: true,
      limits: { ...DEFAULT_LIMITS, maxBatchLines, maxConcurrentExports, maxBatchBytes: 16 * 1024 * 1024 },
    },
    untilCaughtUp: true,
  });
  await shipper.run();
  rmSync(stateDir, { recursive: true, force: true });
  const { retries, duplicates } = shipper.snapshot();
  return { retries, duplicates };
}

/** pino-elasticsearch fed the same lines, until its stream has flushed everything. */
async function pinoElastic(url: string, prefix: string, logDir: string): Promise<void> {
  const { default: pinoElasticsearch } = (await import('pino-elasticsearch')) as unknown as {
    default: (options: Record<string, unknown>) => NodeJS.WritableStream & NodeJS.EventEmitter;
  };
  const { nodes, headers, tls } = connection(url);
  const stream = pinoElasticsearch({
    node: nodes,
    headers,
    ...(tls?.ca ? { tls: { ca: tls.ca } } : {}),
    ...(tls?.caFingerprint ? { caFingerprint: tls.caFingerprint, tls: { rejectUnauthorized: false } } : {}),
    esVersion: 8,
    index: (time: string) => `${prefix}-${time.slice(0, 10).replaceAll('-', '.')}`,
    opType: 'create',
    flushBytes: 5 * 1024 * 1024,
    flushInterval: 1_000,
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.on('insert', () => resolve());
    stream.on('error', reject);
  });
  for (const service of SERVICES) {
    for (const line of linesOf(logDir, service)) {
      if (!stream.write(`${line}\n`)) await new Promise((resolve) => stream.once('drain', resolve));
    }
  }
  stream.end();
  await done;
}

/** What each contender of a race is: raw `_bulk` with auto ids, with the shipper's ids, and the shipper. */
type Contender = 'raw' | 'raw-ids' | 'shipper';

/** A contender's fastest round, and the fewest documents any of its rounds indexed. */
interface ContenderResult {
  readonly stats: PhaseStats;
  readonly indexed: number;
}

/**
 * Raw, raw with the shipper's ids and the shipper, each into indices of its own at `url`, for
 * ROUNDS rounds taking turns at going first (the run after another meets Elasticsearch still busy
 * with it). Each keeps its fastest round and its lowest count; `rounds` says each round's rates.
 */
async function raceContenders(
  url: string,
  logDir: string,
  shape: { batch: number; concurrency: number },
  prefixOf: (contender: Contender) => string,
): Promise<{ results: Record<Contender, ContenderResult>; rounds: string[] }> {
  const results = new Map<Contender, ContenderResult>();
  const rounds: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order: readonly Contender[] = round % 2 === 0 ? ['raw', 'raw-ids', 'shipper'] : ['shipper', 'raw-ids', 'raw'];
    const rates: number[] = [];
    for (const contender of order) {
      const prefix = prefixOf(contender);
      // The shipper sets its indices up itself; the raw loops get the same template first.
      if (contender !== 'shipper') await runSetup({ connection: connection(url), prefix, steps: CORE_STEPS });
      const stats = await phase(contender, url, prefix, logDir, shape.batch, shape.concurrency);
      const indexed = await count(url, prefix);
      await cleanup(url, prefix);
      rates.push(Math.round(LINES / stats.seconds));
      const kept = results.get(contender);
      results.set(contender, {
        stats: kept === undefined || stats.seconds < kept.stats.seconds ? stats : kept.stats,
        indexed: Math.min(kept?.indexed ?? Number.POSITIVE_INFINITY, indexed),
      });
    }
    rounds.push(`${order.join(', ')}: ${rates.join(', ')}`);
  }
  const raw = results.get('raw');
  const rawIds = results.get('raw-ids');
  const shipper = results.get('shipper');
  if (raw === undefined || rawIds === undefined || shipper === undefined)
    throw new Error('DTQ_BENCH_SHIPPER_ROUNDS must be at least 1');
  return { results: { raw, 'raw-ids': rawIds, shipper }, rounds };
}

/** Untimed full-size passes of every contender before the rounds (DTQ_BENCH_SHIPPER_WARMUPS). */
const WARM_UPS = Number(process.env.DTQ_BENCH_SHIPPER_WARMUPS ?? 2);

/**
 * Elasticsearch gets cheaper per line over its first few million documents (its JIT and heap
 * settle): on a node started fresh, raw _bulk of 1M lines went from 68k to 84k lines/s and its
 * Elasticsearch CPU from 25.4 to 20.1 s over a dozen 1M-line runs of all three contenders. A
 * contender measured while the node still settles is slowed by it, and by how much depends on
 * its place in the order; WARM_UPS passes of raw, raw with ids and the shipper over the full
 * lines, untimed, leave a settled node to the rounds. Returns each run's lines/s, in order.
 */
async function warmUp(
  url: string,
  logDir: string,
  shape: { batch: number; concurrency: number },
  prefix: string,
): Promise<string[]> {
  const rates: string[] = [];
  for (let pass = 0; pass < WARM_UPS; pass++) {
    for (const contender of ['raw', 'raw-ids', 'shipper'] as const) {
      if (contender !== 'shipper') await runSetup({ connection: connection(url), prefix, steps: CORE_STEPS });
      const { seconds } = await phase(contender, url, prefix, logDir, shape.batch, shape.concurrency);
      await cleanup(url, prefix);
      rates.push(`${contender} ${Math.round(LINES / seconds)}`);
    }
  }
  return rates;
}

/** Whether to race raw and shipper on a three-node cluster too (DTQ_BENCH_SHIPPER_CLUSTER=0 skips it). */
const CLUSTER = process.env.DTQ_BENCH_SHIPPER_CLUSTER !== '0';

/**
 * Raw `_bulk` against the shipper on a three-node cluster of this machine, both given every
 * node, same lines and request shape as the single-node race, alternating for ROUNDS rounds.
 */
async function clusterRace(
  logDir: string,
  shape: { batch: number; concurrency: number },
  before: () => Promise<void>,
): Promise<BenchRow[]> {
  await before();
  const cluster = await startTestElasticsearchCluster(3, '512m');
  const stamp = Date.now();
  try {
    const { results } = await raceContenders(
      cluster.url,
      logDir,
      shape,
      (contender) => `bench-cluster-${contender}-${stamp}`,
    );
    const { stats: raw, indexed: rawCount } = results.raw;
    const { stats: rawIds, indexed: rawIdsCount } = results['raw-ids'];
    const { stats: shipped, indexed: shippedCount } = results.shipper;
    const rawRate = Math.round(LINES / raw.seconds);
    const rawIdsRate = Math.round(LINES / rawIds.seconds);
    const shipperRate = Math.round(LINES / shipped.seconds);
    // Three digits, so a ratio just under the goal does not print as the goal itself.
    const exactRatio = shipperRate / rawRate;
    const ratio = Math.round(exactRatio * 1000) / 1000;
    const extra = (m: PhaseStats, indexed: number) => ({
      seconds: Math.round(m.seconds * 10) / 10,
      cpu_s: Math.round(m.cpuSeconds * 10) / 10,
      es_cpu_s: Math.round((m.esCpuSeconds ?? Number.NaN) * 10) / 10,
      indexed,
      ...(m.retries === undefined ? {} : { retries: m.retries, duplicates: m.duplicates }),
    });
    return [
      {
        name: `raw _bulk into a 3-node cluster (1 replica), ${shape.batch} lines per request, ${shape.concurrency} at a time`,
        value: rawRate,
        unit: 'lines/s',
        extra: extra(raw, rawCount),
      },
      {
        name: "raw _bulk into the cluster with the shipper's create and document ids (not a goal)",
        value: rawIdsRate,
        unit: 'lines/s',
        extra: extra(rawIds, rawIdsCount),
        baseline: { name: 'raw _bulk into the cluster', value: rawRate },
        ratio: Math.round((rawIdsRate / rawRate) * 100) / 100,
      },
      {
        name: 'file shipper into the same 3-node cluster, every node in DTQ_ES_URL',
        value: shipperRate,
        unit: 'lines/s',
        extra: extra(shipped, shippedCount),
        baseline: { name: 'raw _bulk into the cluster', value: rawRate },
        ratio,
        goal: '≥ 80% of raw _bulk on the cluster',
        met: exactRatio >= 0.8 && shippedCount === LINES,
      },
    ];
  } finally {
    for (const client of clients.values()) client.close();
    clients.clear();
    await cluster.close();
  }
}

/**
 * Peers: dtq-ship as installed (the bundle, run as a daemon) and the shippers users run instead
 * (bench/peers/), one after the other on the same files into the same Elasticsearch, each timed
 * from outside until Elasticsearch counts every line. A peer that is not installed gets a row
 * saying what is missing.
 */
async function racePeers(
  url: string,
  stamp: number,
  logDir: string,
  batchLines: number,
  concurrency: number,
  rawRate: number,
): Promise<{ rows: BenchRow[]; notes: string[] }> {
  installPeers();
  const rows: BenchRow[] = [];
  const notes: string[] = [
    "Daemon rows (dtq-ship as installed and its peers): each runs once, after the rounds above, timed from its start until Elasticsearch counts every line (counts refresh every second); cpu_s and rss_peak_mb from /proc (utime + stime, VmHWM). One run each carries the machine's noise: compare the spread of the rounds above.",
  ];
  for (const contender of CONTENDERS) {
    const missing = contender.missing();
    if (missing !== undefined) {
      rows.push({ name: `${contender.name}: not run, missing ${missing}`, value: Number.NaN, unit: 'lines/s' });
      continue;
    }
    notes.push(`${contender.name}: ${contender.describe()}.`);
    const prefix = `bench-peer-${contender.name}-${stamp}`;
    // Its own directory of links to the same files: dtq-ship writes its own log into the directory it ships.
    const dir = mkdtempSync(join(tmpdir(), `dtq-bench-${contender.name}-`));
    for (const service of SERVICES) symlinkSync(join(logDir, `${service}.ndjson`), join(dir, `${service}.ndjson`));
    const stateDir = mkdtempSync(join(tmpdir(), `dtq-bench-${contender.name}-state-`));
    try {
      await runSetup({ url, prefix, steps: CORE_STEPS });
      const m = await race(contender, { url, prefix, logDir: dir, stateDir, batchLines, concurrency }, LINES);
      const linesPerSecond = Math.round(LINES / m.seconds);
      const row: BenchRow = {
        name: `${contender.name} (daemon, timed until Elasticsearch counts every line)`,
        value: linesPerSecond,
        unit: 'lines/s',
        extra: {
          seconds: Math.round(m.seconds * 10) / 10,
          cpu_s: Math.round(m.cpuSeconds * 10) / 10,
          lines_per_cpu_s: Math.round(LINES / m.cpuSeconds),
          es_cpu_s: Math.round(m.esCpuSeconds * 10) / 10,
          rss_peak_mb: m.rssPeakMb,
          indexed: m.indexed,
        },
        baseline: { name: 'raw _bulk', value: rawRate },
        ratio: Math.round((linesPerSecond / rawRate) * 100) / 100,
      };
      if (contender.name === 'dtq-ship') {
        row.goal = 'peak RSS ≤ 150 MB';
        row.met = m.rssPeakMb <= 150;
      }
      rows.push(row);
    } catch (error) {
      rows.push({
        name: `${contender.name}: failed, ${(error instanceof Error ? error.message : String(error)).slice(0, 300)}`,
        value: Number.NaN,
        unit: 'lines/s',
      });
    } finally {
      await cleanup(url, prefix);
      rmSync(dir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    }
  }
  return { rows, notes };
}

/** Run the scenario. */
export async function run(): Promise<BenchReport> {
  let url = process.env.DTQ_ES_URL ?? 'http://127.0.0.1:9200';
  let stopNode: (() => Promise<void>) | undefined;
  const nodeDir = mkdtempSync(join(tmpdir(), 'dtq-bench-es-'));
  if (!(await answers(url))) {
    const node = await startElasticsearchNode({
      port: await freePort(),
      transportPort: await freePort(),
      baseDir: nodeDir,
      heap: '1g',
    });
    url = node.url;
    stopNode = () => node.stop();
  }
  const logDir = mkdtempSync(join(tmpdir(), 'dtq-bench-logs-'));
  const stamp = Date.now();
  const prefixes = {
    search: `bench-search-${stamp}`,
    raw: `bench-raw-${stamp}`,
    rawIds: `bench-raw-ids-${stamp}`,
    shipper: `bench-shipper-${stamp}`,
    pino: `bench-pino-${stamp}`,
  };
  try {
    const bytes = generate(logDir, LINES);

    // Best batch size for raw _bulk on this machine, on a sample of the lines, into indices
    // with the same template as the measured runs.
    const sampleDir = mkdtempSync(join(tmpdir(), 'dtq-bench-sample-'));
    generate(sampleDir, Math.min(LINES, SAMPLE_LINES));
    const tried: Record<string, number> = {};
    let best = { batch: BATCH_CANDIDATES[0] as number, concurrency: 1, rate: 0 };
    // Every shape twice, in two passes, each keeping its faster run: one unlucky run under other
    // load must not hand the ceiling to a weaker shape.
    for (let pass = 0; pass < 2; pass++) {
      for (const concurrency of CONCURRENCY_CANDIDATES) {
        for (const batch of BATCH_CANDIDATES) {
          await runSetup({ connection: connection(url), prefix: prefixes.search, steps: CORE_STEPS });
          const { seconds } = await phase('raw', url, prefixes.search, sampleDir, batch, concurrency);
          const rate = Math.round(Math.min(LINES, SAMPLE_LINES) / seconds);
          const name = `raw_${batch}x${concurrency}`;
          tried[name] = Math.max(tried[name] ?? 0, rate);
          if (rate > best.rate) best = { batch, concurrency, rate };
          await cleanup(url, prefixes.search);
        }
      }
    }
    rmSync(sampleDir, { recursive: true, force: true });
    const warmUpRates = await warmUp(url, logDir, best, prefixes.search);

    const { results, rounds } = await raceContenders(url, logDir, best, (contender) =>
      contender === 'raw' ? prefixes.raw : contender === 'raw-ids' ? prefixes.rawIds : prefixes.shipper,
    );
    const { stats: raw, indexed: rawCount } = results.raw;
    const { stats: rawIds, indexed: rawIdsCount } = results['raw-ids'];
    const { stats: shipped, indexed: shippedCount } = results.shipper;

    await runSetup({ connection: connection(url), prefix: prefixes.pino, steps: CORE_STEPS });
    const pino = await phase('pino', url, prefixes.pino, logDir, best.batch);
    const pinoCount = await count(url, prefixes.pino);
    await cleanup(url, prefixes.pino);

    const peerRows = await racePeers(url, stamp, logDir, best.batch, best.concurrency, Math.round(LINES / raw.seconds));
    const temporaryNode = stopNode !== undefined;
    const clusterRows = CLUSTER
      ? await clusterRace(logDir, best, async () => {
          // The single node's CPU and memory go back to the machine before three nodes start.
          await stopNode?.();
          stopNode = undefined;
        })
      : [];

    const rate = (m: { seconds: number }) => Math.round(LINES / m.seconds);
    const extra = (m: PhaseStats, indexed: number) => ({
      seconds: Math.round(m.seconds * 10) / 10,
      cpu_s: Math.round(m.cpuSeconds * 10) / 10,
      es_cpu_s: Math.round((m.esCpuSeconds ?? Number.NaN) * 10) / 10,
      rss_peak_mb: m.rssPeakMb,
      indexed,
      ...(m.retries === undefined ? {} : { retries: m.retries, duplicates: m.duplicates }),
    });
    const rawRate = rate(raw);
    // Three digits, so a ratio just under a goal does not print as the goal itself.
    const ratioOf = (value: number, baseline: number) => Math.round((value / baseline) * 1000) / 1000;
    /** A contender's row against the raw ceiling. */
    const againstRaw = (name: string, m: PhaseStats, indexed: number): BenchRow => ({
      name,
      value: rate(m),
      unit: 'lines/s',
      extra: extra(m, indexed),
      baseline: { name: 'raw _bulk', value: rawRate },
      ratio: ratioOf(rate(m), rawRate),
    });
    const report: BenchReport = {
      title: 'Shipper into Elasticsearch',
      rows: [
        {
          name: `raw _bulk, ${best.batch} lines per request, ${best.concurrency} at a time (ceiling)`,
          value: rawRate,
          unit: 'lines/s',
          extra: { ...extra(raw, rawCount), ...tried },
        },
        againstRaw(
          "raw _bulk with the shipper's create and document ids, same shape (not a goal)",
          rawIds,
          rawIdsCount,
        ),
        {
          ...againstRaw('file shipper (registry, deterministic _id, create)', shipped, shippedCount),
          goal: '≥ 80% of raw _bulk',
          met: rate(shipped) / rawRate >= 0.8 && shippedCount === LINES,
        },
        againstRaw('pino-elasticsearch (in-process)', pino, pinoCount),
        ...peerRows.rows,
        ...clusterRows,
      ],
      notes: [
        `${LINES} lines (${Math.round(bytes / 1024 / 1024)} MB) in ${SERVICES.length} files; Elasticsearch ${temporaryNode ? 'temporary node, 1 GB heap' : redactUrl(url)}.`,
        `Raw, raw with ids and shipper alternate for ${ROUNDS} round(s), taking turns at going first, each keeping its fastest, after ${WARM_UPS} untimed pass(es) of all three over the full lines, which leave Elasticsearch settled (lines/s of those runs, in order: ${warmUpRates.join(', ')}); lines/s per round: ${rounds.join('; ')}. All send ${best.batch} lines per request, ${best.concurrency} at a time.`,
        ...(CLUSTER
          ? [
              'Cluster rows: three nodes on this same machine (512 MB heap each, one replica per shard by the template), so every line is indexed twice on 2 cores shared with the contenders; raw and shipper both spread requests over the three nodes through the same client.',
            ]
          : []),
        `Machine: ${cpus().length} cores, load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} at the end (other work shares it).`,
        "cpu_s and peak RSS are those of the contender process (raw and pino-elasticsearch hold one file of lines in memory at a time; the shipper's phase runs from the TypeScript sources with its bin's V8 flags, inside this bench's module: the dtq-ship row below is the installed shipper's own RSS); es_cpu_s is what Elasticsearch spent meanwhile (node stats). On 2 cores the two share the machine, so every CPU second the shipper saves is one more for indexing.",
        ...peerRows.notes,
      ],
    };
    return report;
  } finally {
    rmSync(logDir, { recursive: true, force: true });
    await stopNode?.();
    rmSync(nodeDir, { recursive: true, force: true });
  }
}

if (import.meta.main && process.argv[2] === '--phase') {
  const [name, url, prefix, logDir, batch, concurrency] = process.argv.slice(3) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  await runPhase(name, url, prefix, logDir, Number(batch), Number(concurrency));
} else if (import.meta.main) {
  const report = await run();
  console.log(report.title);
  for (const row of report.rows) {
    console.log(
      `  ${row.name}: ${row.value} ${row.unit}${row.ratio === undefined ? '' : ` (${Math.round(row.ratio * 100)}% of ${row.baseline?.name})`} ${JSON.stringify(row.extra)}`,
    );
  }
  for (const note of report.notes ?? []) console.log(`  ${note}`);
}
