import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { logLineSchema } from '../../contract/schema.ts';
import { EVENT_REQUIRED_FIELDS, EVENTS, F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { loadTrace } from '../../explorer/load-trace.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import type { Trace } from '../../explorer/model/types.ts';
import { FileSource } from '../../explorer/sources/files.ts';

// docs/log-contract.md is what users log by: its example is fed to the real model here, and
// its tables are checked against the vocabulary, so the page cannot drift from the code.
const DOC = readFileSync(resolve(import.meta.dirname, '../../docs/log-contract.md'), 'utf8');
const NOW = Date.parse('2026-12-01T09:10:00.000Z');

/** The fenced block that follows `<!-- log-contract-example:<name> -->`. */
function block(name: string): string[] {
  const match = new RegExp(`<!-- log-contract-example:${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``).exec(DOC);
  if (!match) throw new Error(`docs/log-contract.md has no example block "${name}"`);
  return (match[1] as string).split('\n');
}

const EXAMPLE: readonly LogRecord[] = block('lines').map((text) => JSON.parse(text) as LogRecord);

/** The trace the explorer's file source would build: nginx lines normalised, like it does. */
function traceOf(records: readonly LogRecord[], cid = 'req-7f3a'): Trace {
  const hits = records.map((record, i) => ({ source: `example.ndjson:${i + 1}`, record: normalizeNginxLine(record) }));
  return buildTrace(hits, { correlationId: cid, now: NOW, source: 'files' });
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The trace `dtq-explore <cid> --logs DIR` shows: the lines written one file per process, read
 * by the real file source, joined and fetched as the CLI does (loadTrace).
 */
async function traceFromFiles(records: readonly LogRecord[], cid = 'req-7f3a'): Promise<Trace> {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-contract-doc-'));
  dirs.push(dir);
  for (const record of records)
    appendFileSync(join(dir, `${String(record[F.SERVICE_INSTANCE])}.ndjson`), `${JSON.stringify(record)}\n`);
  return (await loadTrace(new FileSource(dir), { correlationId: cid }, () => NOW)).trace;
}

function rowsOf(trace: Trace): string[] {
  return traceToRows(trace).map((row) => `${'  '.repeat(row.depth)}${row.marker ? `${row.marker} ` : ''}${row.label}`);
}

function without(...drop: ((line: LogRecord) => boolean)[]): LogRecord[] {
  return EXAMPLE.filter((line) => !drop.some((test) => test(line)));
}

const action = (name: string) => (line: LogRecord) => line[F.EVENT_ACTION] === name;
const on = (instance: string) => (line: LogRecord) => line[F.SERVICE_INSTANCE] === instance;

describe('docs/log-contract.md', () => {
  it("example's lines all conform to the schema", () => {
    const validate = new Ajv2020({ allErrors: true }).compile(logLineSchema());
    for (const line of EXAMPLE)
      expect([line[F.EVENT_ACTION], validate(line), validate.errors]).toEqual([line[F.EVENT_ACTION], true, null]);
  });

  it('example rebuilds into the timeline the page shows, read from files as the CLI reads them', async () => {
    const trace = await traceFromFiles(EXAMPLE);
    expect(rowsOf(trace)).toEqual(block('rows'));
    expect(rowsOf(traceOf([...EXAMPLE].reverse()))).toEqual(block('rows'));
    expect(trace.warnings).toEqual([]);
    expect(trace.gaps).toEqual([]);
    expect(trace.outcome.status).toBe('succeeded');
    expect(DOC.replace(/\s+/g, ' ')).toContain(`\`${trace.outcome.summary}\``);
  });

  it("example's replayed request is a duplicate in its own trace", async () => {
    const trace = await traceFromFiles(EXAMPLE, 'req-9c2e');
    expect(trace.outcome.status).toBe('duplicate');
    expect(trace.outcome.summary).toContain('blocked as idempotency replay of task 1001');
    expect(DOC).toContain('(`blocked as idempotency replay of task 1001`)');
  });

  it('lists every event in a table, with the required fields the schema enforces', () => {
    const rows = DOC.split('\n').filter((line) => line.startsWith('| `'));
    for (const event of Object.values(EVENTS)) {
      const row = rows.find((line) => (line.split('|')[1] ?? '').includes(`\`${event}\``));
      expect(row, `docs/log-contract.md has no table row for ${event}`).toBeDefined();
      const required = EVENT_REQUIRED_FIELDS[event];
      if (required === undefined) continue;
      const cell = (row as string).split('|')[3] ?? '';
      expect([event, [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1])]).toEqual([event, [...required]]);
    }
  });
});

describe('what the page says the explorer shows when a line is missing', () => {
  it('without nginx.access: no nginx hop, the status is the API’s', () => {
    const trace = traceOf(without(action(EVENTS.NGINX_ACCESS)));
    expect(trace.requests[0]?.nginx).toBeUndefined();
    expect(trace.requests[0]?.status).toBe(202);
    expect(traceToRows(trace).map((r) => r.kind)).not.toContain('nginx');
  });

  it('without task.enqueued: no enqueue or queue-wait row, the task stays under its request', () => {
    const trace = traceOf(without(action(EVENTS.TASK_ENQUEUED)));
    const kinds = traceToRows(trace).map((r) => r.kind);
    expect(kinds).not.toContain('enqueue');
    expect(kinds).not.toContain('queue_wait');
    expect(trace.requests[0]?.taskIds).toEqual(['1001']);
  });

  it('without task.started: attempts are inferred from the end lines’ durations', () => {
    const trace = traceOf(without(action(EVENTS.TASK_STARTED)));
    const attempts = trace.tasks[0]?.attempts ?? [];
    expect(attempts.map((a) => [a.number, a.result])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    expect(attempts[0]?.startedAt).toBe(Date.parse('2026-12-01T09:00:00.040Z'));
  });

  it('without the last task.completed: the attempt never finished, and the trace is stuck', () => {
    const trace = traceOf(without((l) => on('worker-2')(l) && action(EVENTS.TASK_COMPLETED)(l)));
    expect(trace.gaps.map((g) => g.message)).toEqual([
      'attempt 2 of task 1001 started on worker-2 at 09:00:01.150, never finished (worker died?)',
    ]);
    expect(trace.outcome.status).toBe('stuck');
  });

  it('without task.retry_scheduled: the backoff loses its figure, and a failed last attempt is final', () => {
    const noRetry = without(action(EVENTS.TASK_RETRY_SCHEDULED));
    expect(rowsOf(traceOf(noRetry))).toContain('    backoff + queue wait · 1.01 s');
    expect(traceOf(without(on('worker-2'))).tasks[0]?.outcome).toBe('queued');
    const final = traceOf(without(on('worker-2'), action(EVENTS.TASK_RETRY_SCHEDULED)));
    expect(final.tasks[0]?.outcome).toBe('failed');
    expect(rowsOf(final)).toContain('    ✗ failed for good at 09:00:00.140');
  });

  it('task.dead_lettered makes the outcome dead_lettered; without it the job reads as failed', () => {
    const dead = {
      ...(EXAMPLE.find(action(EVENTS.TASK_RETRY_SCHEDULED)) as LogRecord),
      [F.TIMESTAMP]: '2026-12-01T09:00:00.142Z',
      [F.EVENT_ACTION]: EVENTS.TASK_DEAD_LETTERED,
      [F.EVENT_SEQUENCE]: 4,
    };
    const lettered = traceOf([...without(on('worker-2'), action(EVENTS.TASK_RETRY_SCHEDULED)), dead]);
    expect(lettered.tasks[0]?.outcome).toBe('dead_lettered');
    expect(lettered.outcome.divergence).toContain('job was dead-lettered');
    const failed = traceOf(without(on('worker-2'), action(EVENTS.TASK_RETRY_SCHEDULED)));
    expect(failed.outcome.divergence).toContain('job failed');
  });

  it('without task.failed (the worker died): the attempt is lost when the next starts; task.stalled marks it', () => {
    const died = without((l) => on('worker-1')(l) && !action(EVENTS.TASK_STARTED)(l));
    const lost = traceOf(died);
    expect(lost.tasks[0]?.attempts[0]?.result).toBe('lost');
    expect(lost.gaps[0]?.message).toContain('never finished (worker died?); the job was redelivered');
    expect(rowsOf(lost)).toContain('    ⚠ worker-1 went silent; redelivered to worker-2 after 1.11 s');
    const stall = {
      [F.TIMESTAMP]: '2026-12-01T09:00:01.100Z',
      [F.SERVICE_NAME]: 'worker',
      [F.SERVICE_INSTANCE]: 'worker-2',
      [F.EVENT_ACTION]: EVENTS.TASK_STALLED,
      [F.TASK_ID]: '1001',
    };
    const stalled = traceOf([...died, stall]);
    expect(stalled.tasks[0]?.attempts[0]?.result).toBe('stalled');
    expect(stalled.gaps[0]?.message).toContain('; reported stalled');
  });

  it('without idempotency.replayed: nothing points at the original, the repeat looks like a plain request', () => {
    const records = without(action(EVENTS.IDEMPOTENCY_REPLAYED));
    expect(traceOf(records).duplicates).toEqual([]);
    expect(traceOf(records, 'req-9c2e').outcome.status).toBe('succeeded');
  });

  it('finds a poll by its path or route; from another correlation id only when its HTTP lines carry task_id', async () => {
    const isPoll = (line: LogRecord) => line[F.CORRELATION_ID] === 'req-8b1c';
    const withoutTaskId = EXAMPLE.map((line) =>
      isPoll(line) && !action(EVENTS.TASK_STATUS_READ)(line) ? { ...line, [F.TASK_ID]: undefined } : line,
    );
    const statuses = (trace: Trace) => trace.tasks[0]?.polls.map((p) => p.status);
    expect(statuses(await traceFromFiles(EXAMPLE))).toEqual([200]);
    expect(statuses(await traceFromFiles(without(action(EVENTS.TASK_STATUS_READ))))).toEqual([200]);
    expect(statuses(await traceFromFiles(withoutTaskId))).toEqual([undefined]);
    expect(rowsOf(await traceFromFiles(withoutTaskId))).toContain('    status poll → ? (request req-8b1c)');
    // The model alone recognises the path; it is the fetch by task id that needs the field.
    expect(statuses(traceOf(withoutTaskId))).toEqual([200]);
  });

  it('off /api/v1/tasks/ a poll is recognised only through task.status_read, without its status', async () => {
    const v2 = EXAMPLE.map((line) =>
      line[F.URL_PATH] === '/api/v1/tasks/1001'
        ? { ...line, [F.URL_PATH]: '/v2/jobs/1001', [F.HTTP_ROUTE]: '/v2/jobs/:id' }
        : line,
    );
    expect((await traceFromFiles(v2)).tasks[0]?.polls.map((p) => p.status)).toEqual([undefined]);
    const noRead = v2.filter((l) => !action(EVENTS.TASK_STATUS_READ)(l));
    expect((await traceFromFiles(noRead)).tasks[0]?.polls).toEqual([]);
  });

  it('leaves out a line without a parsable @timestamp, and says so', () => {
    const records = EXAMPLE.map((line) =>
      action(EVENTS.TASK_ENQUEUED)(line) ? { ...line, [F.TIMESTAMP]: 'yesterday' } : line,
    );
    const trace = traceOf(records);
    expect(trace.warnings).toContain('1 line(s) without a valid @timestamp were left out');
    expect(traceToRows(trace).map((r) => r.kind)).not.toContain('enqueue');
  });
});
