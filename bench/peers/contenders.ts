/**
 * The shippers the shipper benches race, each run as the daemon users run: dtq-ship (the built
 * bundle, as `bin/dtq-ship.js` starts it), the OpenTelemetry Collector (an ocb build) and
 * rsyslog. scripts/install-bench-peers.sh installs the peers; a peer that is not installed is
 * reported with what is missing, never skipped silently. Their configurations are the files
 * beside this one.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const PEERS = import.meta.dirname;
/** Where scripts/install-bench-peers.sh builds the collector. */
const OTELCOL_BIN = join(ROOT, 'var/tools/otelcol/otelcol-dtq/otelcol-dtq');
const RSYSLOGD = '/usr/sbin/rsyslogd';
const SHIP_BIN = join(ROOT, 'bin/dtq-ship.js');

/** Where a contender reads, writes and keeps its state. */
export interface ContenderTarget {
  url: string;
  /** Index prefix: dtq-ship names daily indices under it, the peers write to `<prefix>-<name>`. */
  prefix: string;
  logDir: string;
  stateDir: string;
  /** dtq-ship's batch shape (the raw `_bulk` ceiling's); the peers keep their configurations'. */
  batchLines: number;
  concurrency: number;
}

/** One shipper under test. */
export interface Contender {
  name: string;
  /** Version and configuration, for the report. */
  describe(): string;
  /** What is missing to run it, or undefined when it can run. */
  missing(): string | undefined;
  /** Ready Elasticsearch for it before it starts (the collector's exporter does not create its index). */
  prepare?(target: ContenderTarget): Promise<void>;
  /** Start it in the foreground (its own process, so its CPU and RSS are its own). */
  start(target: ContenderTarget): ChildProcess;
}

function esHostPort(url: string): { host: string; port: string } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port || (parsed.protocol === 'https:' ? '443' : '80') };
}

/** Node options of bin/dtq-ship.js's shebang, so the bench runs the shipper exactly as installed. */
export function shipNodeOptions(): string[] {
  const shebang = readFileSync(SHIP_BIN, 'utf8').split('\n', 1)[0] ?? '';
  return shebang.split(/\s+/).filter((word) => word.startsWith('--'));
}

const dtqShip: Contender = {
  name: 'dtq-ship',
  describe: () =>
    `dtq-ship (bin/dtq-ship.js, node ${process.version} ${shipNodeOptions().join(' ')}; registry, deterministic _id, create)`,
  missing: () => (existsSync(join(ROOT, 'dist/dtq-ship.js')) ? undefined : 'dist/dtq-ship.js (run `npm run build`)'),
  start: (target) =>
    spawn(process.execPath, [...shipNodeOptions(), SHIP_BIN], {
      env: {
        ...process.env,
        DTQ_ES_URL: target.url,
        DTQ_ES_INDEX_PREFIX: target.prefix,
        DTQ_LOG_DIR: target.logDir,
        DTQ_SHIPPER_STATE_DIR: target.stateDir,
        DTQ_LOG_STDOUT: '0',
        DTQ_SHIPPER_MAX_BATCH_LINES: String(target.batchLines),
        DTQ_SHIPPER_MAX_CONCURRENT_EXPORTS: String(target.concurrency),
        DTQ_SHIPPER_MAX_BATCH_BYTES: String(16 * 1024 * 1024),
        DTQ_SHIPPER_BACKOFF_MAX_MS: '2000',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
};

const otelcol: Contender = {
  name: 'otelcol',
  describe: () => {
    let version = 'unknown version';
    try {
      version = execFileSync(OTELCOL_BIN, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      // Reported by missing().
    }
    return `OpenTelemetry Collector (${version}; ocb build of bench/peers/otelcol-builder.yaml: filelog, transform, elasticsearch exporter v0.148.0 bodymap, file_storage offsets and persistent sending queue, 5 MB batches, 4 consumers; bench/peers/otelcol.yaml)`;
  },
  missing: () =>
    existsSync(OTELCOL_BIN)
      ? undefined
      : `${OTELCOL_BIN} (run scripts/install-bench-peers.sh; it needs the Go toolchain and the Go module proxy)`,
  prepare: async (target) => {
    const response = await fetch(`${target.url}/${target.prefix}-otelcol`, { method: 'PUT' });
    if (!response.ok)
      throw new Error(`creating ${target.prefix}-otelcol: HTTP ${response.status} ${await response.text()}`);
  },
  start: (target) =>
    spawn(OTELCOL_BIN, ['--config', join(PEERS, 'otelcol.yaml')], {
      env: {
        ...process.env,
        DTQ_PEER_LOG_DIR: target.logDir,
        DTQ_PEER_STATE_DIR: target.stateDir,
        DTQ_PEER_ES_URL: target.url,
        DTQ_PEER_INDEX: `${target.prefix}-otelcol`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
};

const rsyslog: Contender = {
  name: 'rsyslog',
  describe: () => {
    let version = 'unknown version';
    try {
      version = /rsyslogd\s+(\S+)/.exec(execFileSync(RSYSLOGD, ['-v'], { encoding: 'utf8' }))?.[1] ?? version;
    } catch {
      // Reported by missing().
    }
    return `rsyslog (${version}, Debian packages; imfile inotify with state files persisted after each submission, omelasticsearch bulk 5 MB, disk-assisted LinkedList queue saved on shutdown, 4 workers, retried forever; bench/peers/rsyslog.conf)`;
  },
  missing: () => {
    if (!existsSync(RSYSLOGD)) return `${RSYSLOGD} (Debian packages rsyslog and rsyslog-elasticsearch)`;
    const modules = ['imfile.so', 'omelasticsearch.so'];
    const dirs = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog'];
    const absent = modules.filter((module) => !dirs.some((dir) => existsSync(join(dir, module))));
    return absent.length === 0
      ? undefined
      : `rsyslog modules ${absent.join(', ')} (Debian package rsyslog-elasticsearch)`;
  },
  start: (target) => {
    const { host, port } = esHostPort(target.url);
    const config = readFileSync(join(PEERS, 'rsyslog.conf'), 'utf8')
      .replaceAll('@STATE_DIR@', target.stateDir)
      .replaceAll('@LOG_DIR@', target.logDir)
      .replaceAll('@ES_HOST@', host)
      .replaceAll('@ES_PORT@', port)
      .replaceAll('@INDEX@', `${target.prefix}-rsyslog`);
    const path = join(target.stateDir, 'rsyslog.conf');
    writeFileSync(path, config);
    return spawn(RSYSLOGD, ['-n', '-f', path, '-i', join(target.stateDir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  },
};

/** Every contender, ours first. */
export const CONTENDERS: readonly Contender[] = [dtqShip, otelcol, rsyslog];

/** Run scripts/install-bench-peers.sh (idempotent; prints what it does and what is missing). */
export function installPeers(): void {
  try {
    execFileSync(join(ROOT, 'scripts/install-bench-peers.sh'), { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    process.stderr.write(`scripts/install-bench-peers.sh failed: ${String(error)}\n`);
  }
}
