/**
 * The ground truth a load run records, one JSON object per line (JSONL), for the explorer's
 * fidelity check (test/fidelity). docs/stack.md documents the schema; `record` tells the line
 * kinds apart. Only this module writes the file.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from '../common/canonical-json.ts';
import type { FaultSpec } from '../queue/contract.ts';
import type { CorrelationMode, RequestKind } from './plan.ts';

/** Version of the schema below; bumped on any incompatible change. */
export const GROUND_TRUTH_VERSION = 1;

/** First line: what the run was. */
export interface RunRecord {
  record: 'run';
  version: typeof GROUND_TRUTH_VERSION;
  run_id: string;
  started_at: string;
  target: string;
  options: Record<string, unknown>;
  /** Log directory of the stack when the load generator started it, else null. */
  log_dir: string | null;
}

/** One HTTP request sent and what came back. */
export interface RequestRecord {
  record: 'request';
  seq: number;
  kind: RequestKind;
  /** Seq of the original of an Idempotency-Key group, or null. */
  group: number | null;
  method: 'POST';
  path: string;
  correlation_mode: CorrelationMode;
  /** X-Request-ID sent, or null when none was sent. */
  correlation_id_sent: string | null;
  /** X-Request-ID of the response (nginx/API): the id every log line of this request carries. */
  correlation_id_received: string | null;
  /** correlation_id in the response body. */
  correlation_id_body: string | null;
  idempotency_key: string | null;
  /** sha256 of the canonical JSON of the body sent. */
  body_sha256: string;
  task_type: string;
  priority: string;
  fault: FaultSpec | null;
  /** ISO time the request was sent. */
  sent_at: string;
  /** Milliseconds after the run start the request was planned for and actually sent. */
  planned_ms: number;
  sent_ms: number;
  /** HTTP status, or 0 on a network error. */
  status: number;
  /** Idempotent-Replayed response header was "true". */
  replayed: boolean;
  task_id: string | null;
  response_body: unknown;
  latency_ms: number;
  /** Network error message, or null. */
  error: string | null;
}

/** Something done to the stack during the run (a worker kill, a Redis restart, an Elasticsearch outage). */
export interface EventRecord {
  record: 'event';
  action:
    | 'worker_killed'
    | 'worker_restarted'
    | 'worker_frozen'
    | 'worker_resumed_before_write'
    | 'worker_resumed_after_write'
    | 'redis_restarted';
  instance: string;
  signal: string | null;
  at: string;
  at_ms: number;
  /** Jobs the killed worker was running (read from its log once it was gone); null when not watched. */
  held_task_ids: string[] | null;
}

/** The final state of one task, polled after the run. */
export interface FinalRecord {
  record: 'final';
  task_id: string;
  /** Seq of the request that created the task. */
  seq: number;
  correlation_id: string | null;
  /** succeeded | failed when settled; the last status seen otherwise. */
  status: string;
  /** False when the task had not finished before the settle deadline. */
  settled: boolean;
  attempts: number | null;
  error: string | null;
  /** GET status code of the last poll. */
  http_status: number;
  polled_at: string;
}

/** Last line: totals. */
export interface SummaryRecord {
  record: 'summary';
  finished_at: string;
  sent: number;
  statuses: Record<string, number>;
  network_errors: number;
  achieved_rps: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  tasks: number;
  finals: Record<string, number>;
}

/** Any line of the file. */
export type GroundTruthRecord = RunRecord | RequestRecord | EventRecord | FinalRecord | SummaryRecord;

/** sha256 hex of the canonical JSON of `value`. */
export function bodyHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** Appends records to a JSONL file, one synchronous write per line (a crash keeps what was written). */
export class GroundTruthWriter {
  readonly path: string;
  #fd: number | undefined;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'w');
  }

  /** Write one record as one line. */
  write(record: GroundTruthRecord): void {
    if (this.#fd === undefined) throw new Error(`ground truth ${this.path} is already closed`);
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
  }

  /** Close the file. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Parse a ground-truth file's text into records (for the fidelity check and tests). */
export function parseGroundTruth(text: string): GroundTruthRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as GroundTruthRecord);
}
