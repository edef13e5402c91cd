/**
 * Shared pieces of the shipper tests: realistic log lines with a unique marker each, writers
 * that append them like the workload does, the shipper as a real child process, and exact
 * accounting of what reached Elasticsearch.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { registryPath } from '../../shipper/shipper.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { waitFor } from '../utils/wait.ts';

const SHIPPER_CLI = fileURLToPath(new URL('../../shipper/cli.ts', import.meta.url));

/** One realistic line with `task_id` = marker, as api/worker/nginx write them. */
export function logLine(service: 'api' | 'worker' | 'nginx', marker: string, sequence: number): string {
  const now = Date.now();
  if (service === 'nginx') {
    // The shape of nginx's JSON access log (strings, seconds), before normalizeNginxLine.
    return JSON.stringify({
      '@timestamp': new Date(now).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      [F.SERVICE_NAME]: 'nginx',
      [F.SERVICE_INSTANCE]: 'nginx',
      [F.EVENT_ACTION]: 'nginx.access',
      [F.CORRELATION_ID]: `req-${marker}`,
      [F.TASK_ID]: marker,
      [F.HTTP_METHOD]: 'POST',
      [F.URL_PATH]: '/api/v1/tasks',
      [F.HTTP_STATUS]: '202',
      [F.HTTP_RESPONSE_BYTES]: '87',
      [F.HTTP_REQUEST_BYTES]: '-',
      [F.CLIENT_ADDRESS]: '127.0.0.1',
      [F.USER_AGENT]: 'dtq-load/0.1',
      [F.NGINX_UPSTREAM_ADDRESS]: '127.0.0.1:3001',
      [F.NGINX_UPSTREAM_STATUS]: '202',
      [F.NGINX_REQUEST_TIME]: '0.004',
      [F.NGINX_UPSTREAM_RESPONSE_TIME]: '0.003',
      [F.NGINX_MSEC]: (now / 1000).toFixed(3),
      [F.MESSAGE]: 'POST /api/v1/tasks 202',
    });
  }
  return JSON.stringify({
    [F.LOG_LEVEL]: 'info',
    [F.TIMESTAMP]: new Date(now).toISOString(),
    [F.SERVICE_NAME]: service,
    [F.SERVICE_INSTANCE]: `${service}-1`,
    [F.PROCESS_PID]: process.pid,
    [F.EVENT_SEQUENCE]: sequence,
    [F.EVENT_ACTION]: service === 'api' ? 'task.enqueued' : 'task.completed',
    [F.CORRELATION_ID]: `req-${marker}`,
    [F.TASK_ID]: marker,
    [F.TASK_TYPE]: 'calculate_var',
    [F.TASK_QUEUE]: 'high',
    [F.EVENT_DURATION]: 1_234_567,
    [F.MESSAGE]: `task ${marker} ${service === 'api' ? 'enqueued' : 'completed'}`,
  });
}

/** Appends lines to a path (re-opened on each write, so a rename starts a new file). */
export class LineWriter {
  readonly service: 'api' | 'worker' | 'nginx';
  readonly name: string;
  path: string;
  written = 0;
  readonly markers: string[] = [];

  constructor(dir: string, name: string, service: 'api' | 'worker' | 'nginx') {
    this.name = name;
    this.service = service;
    this.path = join(dir, `${name}.ndjson`);
  }

  /** Append `count` lines in one write. */
  write(count: number): void {
    let chunk = '';
    for (let i = 0; i < count; i++) {
      const marker = `${this.name}-${this.written}`;
      this.markers.push(marker);
      chunk += `${logLine(this.service, marker, ++this.written)}\n`;
    }
    appendFileSync(this.path, chunk);
  }
}

/** Write with several writers on a timer until stopped; returns a stop function. */
export function writeContinuously(writers: LineWriter[], linesPerTick: number, tickMs = 50): () => void {
  const timer = setInterval(() => {
    for (const writer of writers) writer.write(linesPerTick);
  }, tickMs);
  return () => clearInterval(timer);
}

/** A shipper child process. */
export interface ShipperProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `node shipper/cli.ts` for a log directory. */
export function startShipper(options: {
  logDir: string;
  esUrl: string;
  prefix: string;
  env?: Record<string, string>;
  /** Command-line arguments, e.g. `['--once']`. */
  args?: readonly string[];
  /** Options of node itself, e.g. those bin/dtq-ship.js runs with. */
  nodeOptions?: readonly string[];
}): ShipperProcess {
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), SHIPPER_CLI, ...(options.args ?? [])], {
    env: {
      ...process.env,
      DTQ_ES_URL: options.esUrl,
      DTQ_LOG_DIR: options.logDir,
      DTQ_ES_INDEX_PREFIX: options.prefix,
      DTQ_LOG_STDOUT: '0',
      DTQ_SHIPPER_METRICS_INTERVAL_MS: '1000',
      // Its own lines in shipper.ndjson, which shipperMetrics reads (the default names the host).
      DTQ_INSTANCE: 'shipper',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  // A test that fails before stopping its shipper must not leave it running after the run.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    }),
  );
  return { child, output: () => output, exited };
}

/** Stop a shipper with SIGTERM and wait for its exit. */
export async function stopShipper(
  shipper: ShipperProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (shipper.child.exitCode === null && shipper.child.signalCode === null) shipper.child.kill('SIGTERM');
  return shipper.exited;
}

async function es<T>(url: string, path: string, body?: unknown, method = 'POST'): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** How many documents carry each `task_id` marker (exact, via composite aggregation). */
export async function markerCounts(url: string, prefix: string): Promise<Map<string, number>> {
  await es(url, `/${prefix}-*/_refresh?allow_no_indices=true`);
  const counts = new Map<string, number>();
  let after: Record<string, unknown> | undefined;
  for (;;) {
    const body = await es<{
      aggregations?: {
        ids: { buckets: { key: { id: string }; doc_count: number }[]; after_key?: Record<string, unknown> };
      };
    }>(url, `/${prefix}-*/_search?allow_no_indices=true`, {
      size: 0,
      aggs: {
        ids: {
          composite: { size: 10_000, sources: [{ id: { terms: { field: F.TASK_ID } } }], ...(after ? { after } : {}) },
        },
      },
    });
    const agg = body.aggregations?.ids;
    if (!agg || agg.buckets.length === 0) return counts;
    for (const bucket of agg.buckets) counts.set(bucket.key.id, bucket.doc_count);
    after = agg.after_key;
    if (!after) return counts;
  }
}

/** Wait until every marker is in Elasticsearch, then report the lost and the doubled. */
export async function accountFor(
  url: string,
  prefix: string,
  markers: readonly string[],
  timeoutMs = 90_000,
): Promise<{ lost: string[]; doubled: string[]; unexpected: string[] }> {
  let counts = new Map<string, number>();
  try {
    await waitFor(
      `${markers.length} lines in ${prefix}-*`,
      async () => {
        counts = await markerCounts(url, prefix);
        return markers.every((marker) => counts.has(marker));
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch {
    // Fall through: the report below says what is missing.
  }
  // Give a late duplicate the chance to show up before declaring there is none.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  counts = await markerCounts(url, prefix);
  const expected = new Set(markers);
  return {
    lost: markers.filter((marker) => !counts.has(marker)),
    doubled: [...counts].filter(([, n]) => n > 1).map(([marker]) => marker),
    unexpected: [...counts.keys()].filter((marker) => !expected.has(marker)),
  };
}

/** Acknowledged byte offset per log file path, as the registry on disk has it (empty before its first write). */
export function registryOffsets(logDir: string): Map<string, number> {
  let files: { path: string; offset: number }[] = [];
  try {
    files = (JSON.parse(readFileSync(registryPath(join(logDir, '.shipper')), 'utf8')) as { files: typeof files }).files;
  } catch {
    // Not written yet.
  }
  return new Map(files.map((entry) => [entry.path, entry.offset]));
}

/** The shipper's own `shipper.metrics` lines from its log file, newest last. */
export function shipperMetrics(logDir: string): Record<string, number>[] {
  const file = join(logDir, 'shipper.ndjson');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"shipper.metrics"'))
    .map((line) => JSON.parse(line) as Record<string, number>);
}

/** What a shipping test works in: the shared test Elasticsearch, its own index prefix and log directory. */
export interface ShippingTestbed {
  readonly prefix: string;
  readonly logDir: string;
  /** URL of the shared test Elasticsearch; set once the describe block's beforeAll ran. */
  url: string;
}

/** Register the hooks of a shipping test: Elasticsearch before, its indices and log directory removed after. */
export function useShippingTestbed(name: string): ShippingTestbed {
  const bed: ShippingTestbed = {
    prefix: uniqueIndexPrefix(),
    logDir: mkdtempSync(join(tmpdir(), `dtq-${name}-`)),
    url: '',
  };
  beforeAll(async () => {
    bed.url = (await testElasticsearch()).url;
  });
  afterAll(async () => {
    await deleteIndicesWithPrefix(bed.url, bed.prefix);
    rmSync(bed.logDir, { recursive: true, force: true });
  });
  return bed;
}
