import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LOG_LINE_SCHEMA_COMMAND,
  LOG_LINE_SCHEMA_FILE,
  LOG_LINE_SCHEMA_ID,
  logLineSchema,
  renderLogLineSchema,
} from '../../contract/schema.ts';
import {
  CONTRACT_VERSION,
  EVENT_REQUIRED_FIELDS,
  EVENTS,
  F,
  FIELD_SPECS,
  type LogRecord,
  NS_PER_MS,
  normalizeNginxLine,
} from '../../contract/vocabulary.ts';
import { createLogger, logEvent } from '../../instrumentation/logger.ts';
import { accessLogFormat } from '../../workload/nginx/render.ts';
import { deadLettered, duplicatesScenario, happyPath, longPolled } from '../explorer/fixtures.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const validate = new Ajv2020({ allErrors: true }).compile(logLineSchema());

/** What a user reads when a line breaks the contract: where, and what is wrong. */
function explain(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath === '' ? 'line' : e.instancePath} ${e.message ?? ''}`);
}

function problems(line: unknown): string[] {
  return validate(line) ? [] : explain(validate.errors);
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the log-line schema', () => {
  it('is committed as the generator writes it', () => {
    const committed: unknown = JSON.parse(readFileSync(join(ROOT, LOG_LINE_SCHEMA_FILE), 'utf8'));
    // Compared as data: the file is formatted by Biome after it is written.
    expect(
      committed,
      `${LOG_LINE_SCHEMA_FILE} is out of date with contract/schema.ts: run \`${LOG_LINE_SCHEMA_COMMAND}\``,
    ).toEqual(JSON.parse(renderLogLineSchema()));
  });

  it('names the contract version, a semver, in its $id and title', () => {
    expect(CONTRACT_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    const schema = logLineSchema();
    expect(schema.$id).toBe(LOG_LINE_SCHEMA_ID);
    expect(schema.$id).toContain(CONTRACT_VERSION);
    expect(schema.title).toContain(CONTRACT_VERSION);
  });

  it('declares every field of the vocabulary and every event name', () => {
    const schema = logLineSchema() as { properties: Record<string, { enum?: unknown[] }> };
    expect(Object.keys(schema.properties).sort()).toEqual(
      Object.values(FIELD_SPECS)
        .map((s) => s.name)
        .sort(),
    );
    expect(schema.properties[F.EVENT_ACTION]?.enum).toEqual(Object.values(EVENTS));
  });

  it('accepts the lines the real logger writes for the request, the job and its retries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-contract-'));
    dirs.push(dir);
    const api = createLogger({ service: 'api', instance: 'api-1', logDir: dir, stdout: false });
    const worker = createLogger({ service: 'worker', instance: 'worker-1', logDir: dir, stdout: false });
    const request = { [F.CORRELATION_ID]: 'req-7f3a', [F.HTTP_METHOD]: 'POST', [F.URL_PATH]: '/api/v1/tasks' };
    const job = { [F.CORRELATION_ID]: 'req-7f3a', [F.TASK_ID]: '1001', [F.TASK_QUEUE]: 'high', [F.TASK_TYPE]: 'x' };
    logEvent(api, 'info', EVENTS.HTTP_REQUEST_RECEIVED, { ...request, [F.IDEMPOTENCY_KEY]: 'order-42' }, 'in');
    logEvent(api, 'info', EVENTS.IDEMPOTENCY_CLAIMED, { ...request, [F.TASK_ID]: '1001' }, 'claimed');
    logEvent(api, 'info', EVENTS.TASK_ENQUEUED, { ...job, [F.TASK_PRIORITY]: 'high', [F.TASK_MAX_ATTEMPTS]: 3 }, 'q');
    logEvent(
      api,
      'info',
      EVENTS.HTTP_REQUEST_COMPLETED,
      { ...request, [F.HTTP_STATUS]: 202, [F.EVENT_DURATION]: 6 * NS_PER_MS, [F.EVENT_OUTCOME]: 'success' },
      'out',
    );
    logEvent(worker, 'info', EVENTS.TASK_STARTED, { ...job, [F.TASK_ATTEMPT]: 1, [F.TASK_QUEUE_WAIT]: 26e6 }, 's');
    logEvent(
      worker,
      'error',
      EVENTS.TASK_FAILED,
      { ...job, [F.TASK_ATTEMPT]: 1, [F.ERROR_CODE]: 'DTQ_ERR_X', [F.EVENT_OUTCOME]: 'failure' },
      'f',
    );
    logEvent(worker, 'warn', EVENTS.TASK_RETRY_SCHEDULED, { ...job, [F.TASK_RETRY_DELAY]: 1000 * NS_PER_MS }, 'r');
    logEvent(worker, 'warn', EVENTS.TASK_STALLED, { ...job, [F.TASK_REDELIVERED]: true }, 'stalled');
    logEvent(worker, 'info', EVENTS.TASK_COMPLETED, { ...job, [F.EVENT_DURATION]: 250 * NS_PER_MS }, 'c');
    logEvent(worker, 'error', EVENTS.TASK_DEAD_LETTERED, job, 'dlq');
    logEvent(worker, 'info', EVENTS.SERVICE_STOPPING, {}, 'bye');

    const lines = ['api-1', 'worker-1'].flatMap((name) =>
      readFileSync(join(dir, `${name}.ndjson`), 'utf8')
        .trim()
        .split('\n')
        .map((text) => JSON.parse(text) as LogRecord),
    );
    expect(lines).toHaveLength(11);
    for (const line of lines) expect([line[F.EVENT_ACTION], problems(line)]).toEqual([line[F.EVENT_ACTION], []]);
  });

  it("accepts an nginx access line as the renderer's log_format writes it, raw and normalized", () => {
    const values: Record<string, string> = {
      time_iso8601: '2026-12-01T09:00:00+00:00',
      correlation_id: '0f8e6ad1c2b34a5f9e7d6c5b4a392817',
      request_method: 'POST',
      uri: '/api/v1/tasks',
      dtq_path: '/api/v1/tasks',
      status: '202',
      body_bytes_sent: '87',
      remote_addr: '127.0.0.1',
      http_user_agent: '',
      upstream_addr: '127.0.0.1:3001',
      upstream_status: '202',
      request_time: '0.008',
      upstream_response_time: '0.007',
      msec: '1796115600.017',
      hostname: 'web-1',
      dtq_task_id: '1001',
      dtq_trace_id: '0f8e6ad1c2b34a5f9e7d6c5b4a392817',
      dtq_span_id: '9e7d6c5b4a392817',
      request_id: '0f8e6ad1c2b34a5f9e7d6c5b4a392817',
    };
    // nginx substitutes each variable inside the JSON strings of the format (escape=json).
    const text = accessLogFormat('nginx', { withTaskId: true }).replace(/\$([a-z_0-9]+)/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`no sample value for nginx variable $${name}: add one to this test`);
      return JSON.stringify(value).slice(1, -1);
    });
    const raw = JSON.parse(text) as LogRecord;
    expect(raw[F.HTTP_STATUS]).toBe('202');
    expect(problems(raw)).toEqual([]);
    expect(problems(normalizeNginxLine(raw))).toEqual([]);
  });

  it("accepts every line of the explorer tests' scenarios (happy path, dead letter, duplicates, long polls)", () => {
    const writers = [happyPath(), deadLettered(), duplicatesScenario(), longPolled(undefined, undefined, 5, 2)];
    const records = writers.flatMap((w) => w.records);
    expect(records.length).toBeGreaterThan(40);
    for (const line of records) expect([line[F.EVENT_ACTION], problems(line)]).toEqual([line[F.EVENT_ACTION], []]);
  });

  it('rejects a line that breaks the contract, saying which field and why', () => {
    const line = {
      [F.TIMESTAMP]: '2026-12-01 09:00:00',
      [F.SERVICE_NAME]: 'worker',
      [F.EVENT_ACTION]: EVENTS.TASK_RETRY_SCHEDULED,
      [F.TASK_ID]: '1001',
      [F.TASK_ATTEMPT]: 'one',
    };
    const found = problems(line);
    expect(found).toContain(`line must have required property '${F.TASK_RETRY_DELAY}'`);
    expect(found.some((p) => p.startsWith(`/${F.TIMESTAMP} must match pattern`))).toBe(true);
    expect(found.some((p) => p.startsWith(`/${F.TASK_ATTEMPT} `))).toBe(true);
    expect(problems({ ...line, [F.EVENT_ACTION]: 'task.finished' })).toContain(
      `/${F.EVENT_ACTION} must be equal to one of the allowed values`,
    );
    expect(problems({ [F.SERVICE_NAME]: 'api' })).toEqual([
      `line must have required property '${F.TIMESTAMP}'`,
      `line must have required property '${F.EVENT_ACTION}'`,
    ]);
  });

  it('requires, per event, exactly the fields EVENT_REQUIRED_FIELDS names', () => {
    for (const [action, required] of Object.entries(EVENT_REQUIRED_FIELDS)) {
      const bare = { [F.TIMESTAMP]: '2026-12-01T09:00:00.000Z', [F.SERVICE_NAME]: 'api', [F.EVENT_ACTION]: action };
      const missing = problems(bare).filter((p) => p.includes('required property'));
      expect([action, missing]).toEqual([action, required.map((name) => `line must have required property '${name}'`)]);
    }
  });
});
