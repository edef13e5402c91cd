/**
 * Shipper configuration: every limit has a name and a default (the OpenTelemetry
 * BatchSpanProcessor habit), all overridable from the environment.
 */
import { join, resolve } from 'node:path';
import { envFlag, envInt, envOptional } from '../contract/env.ts';
import { hostName } from '../contract/host.ts';
import { DEFAULT_INDEXABLE_YEARS, type IndexableYears, indexPrefix } from '../contract/indices.ts';
import { describeNodes, type EsConnection, type EsFlags, esConnection } from '../elk/connection.ts';
import { logDirectory } from '../instrumentation/logger.ts';

/**
 * Limits of the pipeline. The `_bulk` bodies of every live batch (filling, queued, in flight,
 * answered and waiting for acknowledgement) share maxBufferBytes: each batch closes at its share
 * (maxBufferBytes divided among {@link liveBatches}) when that is below maxBatchBytes. Besides
 * the bodies a batch holds a few numbers per line (shipper/batcher.ts).
 */
export interface ShipperLimits {
  /** Lines per bulk request (DTQ_SHIPPER_MAX_BATCH_LINES). */
  maxBatchLines: number;
  /** Bytes of documents per bulk request (DTQ_SHIPPER_MAX_BATCH_BYTES). */
  maxBatchBytes: number;
  /** Bytes of `_bulk` bodies held at once, across every live batch (DTQ_SHIPPER_MAX_BUFFER_BYTES). */
  maxBufferBytes: number;
  /** Batches read ahead while one is being sent (DTQ_SHIPPER_MAX_QUEUED_BATCHES). */
  maxQueuedBatches: number;
  /** Send a partial batch after this long (DTQ_SHIPPER_FLUSH_INTERVAL_MS). */
  flushIntervalMs: number;
  /** Bulk requests in flight at once; acknowledged in order all the same (DTQ_SHIPPER_MAX_CONCURRENT_EXPORTS). */
  maxConcurrentExports: number;
  /** Give up on one bulk request after this long and retry it (DTQ_SHIPPER_EXPORT_TIMEOUT_MS). */
  exportTimeoutMs: number;
  /** A line longer than this is dead-lettered, never buffered whole (DTQ_SHIPPER_MAX_LINE_BYTES). */
  maxLineBytes: number;
  /** First retry delay; doubles per failure (DTQ_SHIPPER_BACKOFF_INITIAL_MS). */
  backoffInitialMs: number;
  /** Ceiling of the retry delay (DTQ_SHIPPER_BACKOFF_MAX_MS). */
  backoffMaxMs: number;
  /** How often to look for new, rotated and truncated files (DTQ_SHIPPER_SCAN_INTERVAL_MS). */
  scanIntervalMs: number;
  /** Pause when every file is read to the end (DTQ_SHIPPER_POLL_INTERVAL_MS). */
  pollIntervalMs: number;
  /** Registry writes at most this often; every ack is persisted by shutdown (DTQ_SHIPPER_REGISTRY_FLUSH_MS). */
  registryFlushMs: number;
  /** Self-metrics period (DTQ_SHIPPER_METRICS_INTERVAL_MS). */
  metricsIntervalMs: number;
  /** On SIGTERM, how long to keep reading every file to its end and delivering it (DTQ_SHIPPER_SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
}

/** Everything a shipper needs. */
export interface ShipperConfig {
  /** Node URL(s), comma-separated, as they may be printed; the cluster when `es` is absent. */
  esUrl: string;
  /** The cluster with credentials and trust (DTQ_ES_* and the flags); default `esUrl` with none. */
  es?: EsConnection;
  indexPrefix: string;
  /**
   * The host shipped from (DTQ_HOST_NAME, else the OS host name): part of every document id, so
   * shippers on many hosts can share an index (shipper/line.ts documentId). Default: read
   * from the environment when the shipper starts.
   */
  hostName?: string;
  /** Directory whose `*.ndjson` (and rotated `*.ndjson.N`) files are shipped. */
  logDir: string;
  /** Registry and dead-letter file; default `<logDir>/.shipper` (not matched by the file pattern). */
  stateDir: string;
  /** Install the index template before shipping (DTQ_SHIPPER_SETUP=0 turns it off). */
  runSetup: boolean;
  /**
   * Years a line's @timestamp must fall in (DTQ_SHIPPER_MIN_YEAR, DTQ_SHIPPER_MAX_YEAR, default
   * 1970..9999 when absent); other lines are dead-lettered before an index is named for them.
   */
  indexableYears?: IndexableYears;
  limits: ShipperLimits;
}

/** Defaults of {@link ShipperLimits}. */
export const DEFAULT_LIMITS: ShipperLimits = {
  maxBatchLines: 2_000,
  maxBatchBytes: 4 * 1024 * 1024,
  // 2.7 MiB for each of the 6 batches alive by default (4 in the sender, at most 2 of them in
  // flight and the others answered behind a slower one; 1 queued, 1 filling), above 2,000 lines
  // of a few hundred bytes; with more requests in
  // flight each gets less: past a few thousand lines, larger requests were no faster
  // (docs/benchmarks.md, the raw shapes).
  maxBufferBytes: 16 * 1024 * 1024,
  // The reader fills a batch in a few milliseconds; Elasticsearch takes tens to answer one.
  maxQueuedBatches: 1,
  flushIntervalMs: 1_000,
  maxConcurrentExports: 2,
  exportTimeoutMs: 30_000,
  maxLineBytes: 512 * 1024,
  backoffInitialMs: 250,
  backoffMaxMs: 10_000,
  scanIntervalMs: 1_000,
  pollIntervalMs: 100,
  registryFlushMs: 1_000,
  metricsIntervalMs: 10_000,
  shutdownTimeoutMs: 10_000,
};

const LIMIT_ENV: Record<keyof ShipperLimits, string> = {
  maxBatchLines: 'DTQ_SHIPPER_MAX_BATCH_LINES',
  maxBatchBytes: 'DTQ_SHIPPER_MAX_BATCH_BYTES',
  maxBufferBytes: 'DTQ_SHIPPER_MAX_BUFFER_BYTES',
  maxQueuedBatches: 'DTQ_SHIPPER_MAX_QUEUED_BATCHES',
  flushIntervalMs: 'DTQ_SHIPPER_FLUSH_INTERVAL_MS',
  maxConcurrentExports: 'DTQ_SHIPPER_MAX_CONCURRENT_EXPORTS',
  exportTimeoutMs: 'DTQ_SHIPPER_EXPORT_TIMEOUT_MS',
  maxLineBytes: 'DTQ_SHIPPER_MAX_LINE_BYTES',
  backoffInitialMs: 'DTQ_SHIPPER_BACKOFF_INITIAL_MS',
  backoffMaxMs: 'DTQ_SHIPPER_BACKOFF_MAX_MS',
  scanIntervalMs: 'DTQ_SHIPPER_SCAN_INTERVAL_MS',
  pollIntervalMs: 'DTQ_SHIPPER_POLL_INTERVAL_MS',
  registryFlushMs: 'DTQ_SHIPPER_REGISTRY_FLUSH_MS',
  metricsIntervalMs: 'DTQ_SHIPPER_METRICS_INTERVAL_MS',
  shutdownTimeoutMs: 'DTQ_SHIPPER_SHUTDOWN_TIMEOUT_MS',
};

/**
 * Batches alive at once: the one filling (or waiting for room in the queue), the queued, and
 * the sender's: up to twice maxConcurrentExports, in flight or answered and waiting for an
 * earlier batch's acknowledgement.
 */
export function liveBatches(limits: ShipperLimits): number {
  return Math.max(1, limits.maxQueuedBatches) + 2 * limits.maxConcurrentExports + 1;
}

/** Bytes of documents after which a batch closes: maxBatchBytes, or less when the buffer budget says so. */
export function batchBytesLimit(limits: ShipperLimits): number {
  return Math.max(1, Math.min(limits.maxBatchBytes, Math.floor(limits.maxBufferBytes / liveBatches(limits))));
}

/** Limits from the environment over the defaults (and over `base`). */
export function limitsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  base: ShipperLimits = DEFAULT_LIMITS,
): ShipperLimits {
  const limits = { ...base };
  for (const key of Object.keys(LIMIT_ENV) as (keyof ShipperLimits)[]) {
    limits[key] = envInt(LIMIT_ENV[key], base[key], { min: key === 'maxQueuedBatches' ? 0 : 1 }, env);
  }
  return limits;
}

/** The configuration from the environment (DTQ_ES_*, DTQ_LOG_DIR, DTQ_SHIPPER_*), connection flags over it. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, flags: EsFlags = {}): ShipperConfig {
  const logDir = logDirectory(env);
  const es = esConnection(env, flags);
  return {
    esUrl: describeNodes(es),
    es,
    indexPrefix: indexPrefix(env),
    hostName: hostName(env),
    logDir,
    stateDir: resolve(envOptional('DTQ_SHIPPER_STATE_DIR', env) ?? join(logDir, '.shipper')),
    runSetup: envFlag('DTQ_SHIPPER_SETUP', true, env),
    indexableYears: indexableYearsFromEnv(env),
    limits: limitsFromEnv(env),
  };
}

/** Latest year a JavaScript Date can hold whole. */
const LAST_DATE_YEAR = 275_759;

function indexableYearsFromEnv(env: NodeJS.ProcessEnv): IndexableYears {
  const min = envInt('DTQ_SHIPPER_MIN_YEAR', DEFAULT_INDEXABLE_YEARS.min, { min: 1, max: LAST_DATE_YEAR }, env);
  const max = envInt('DTQ_SHIPPER_MAX_YEAR', DEFAULT_INDEXABLE_YEARS.max, { min, max: LAST_DATE_YEAR }, env);
  return { min, max };
}
