/**
 * A short load run against the real stack: every request is recorded with what was sent and
 * what came back, every created task is polled to its final state, and the Idempotency-Key
 * duplicates and faults end as the ground-truth schema (docs/stack.md) says they should.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type FinalRecord,
  GroundTruthWriter,
  parseGroundTruth,
  type RequestRecord,
  type SummaryRecord,
} from '../../workload/load/ground-truth.ts';
import { planRequests } from '../../workload/load/plan.ts';
import { runLoad } from '../../workload/load/runner.ts';
import { startStack, type TestStack } from '../utils/stack.ts';

let stack: TestStack;
const dir = mkdtempSync(join(tmpdir(), 'dtq-load-'));

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('records ground truth for every request and the final state of every task', async () => {
  const path = join(dir, 'truth.jsonl');
  const writer = new GroundTruthWriter(path);
  const plan = planRequests({
    rps: 20,
    durationS: 4,
    seed: 3,
    runId: 'test',
    duplicates: true,
    faults: true,
    slowTasks: false,
  });
  const summary = await runLoad({
    client: stack.client,
    plan,
    writer,
    runId: 'test',
    maxInFlight: 32,
    settleMs: 90_000,
    say: () => {},
  });
  writer.close();

  const records = parseGroundTruth(readFileSync(path, 'utf8'));
  const requests = records.filter((r): r is RequestRecord => r.record === 'request');
  const finals = records.filter((r): r is FinalRecord => r.record === 'final');
  expect(requests).toHaveLength(plan.length);
  expect(records.at(-1)?.record).toBe('summary');
  expect(summary.sent).toBe(plan.length);
  expect(summary.network_errors).toBe(0);

  for (const request of requests) {
    expect(request.correlation_id_received).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    if (request.correlation_mode === 'client')
      expect(request.correlation_id_received).toBe(request.correlation_id_sent);
    if (request.correlation_mode === 'hostile')
      expect(request.correlation_id_received).not.toBe(request.correlation_id_sent);
  }
  const concurrentGroups = new Set(requests.filter((r) => r.kind === 'concurrent').map((r) => r.group));
  const plain = requests.filter(
    (r) => r.kind === 'task' || r.kind === 'keyed' || (r.kind === 'original' && !concurrentGroups.has(r.group)),
  );
  for (const request of plain) expect(request.status, JSON.stringify(request.response_body)).toBe(202);

  const byGroup = new Map<number, RequestRecord[]>();
  for (const request of requests) {
    if (request.group !== null) byGroup.set(request.group, [...(byGroup.get(request.group) ?? []), request]);
  }
  for (const members of byGroup.values()) {
    const original = members.find((r) => r.kind === 'original') as RequestRecord;
    for (const member of members) {
      if (member.kind === 'replay') {
        expect(member.status).toBe(202);
        expect(member.replayed).toBe(true);
        expect(member.task_id).toBe(original.task_id);
      }
      if (member.kind === 'mismatch') expect(member.status).toBe(422);
    }
    if (concurrentGroups.has(original.group)) {
      // Sent at the same instant: exactly one creates the task, the others wait (409) or replay it.
      const creators = members.filter((m) => m.status === 202 && !m.replayed);
      expect(creators, JSON.stringify(members.map((m) => [m.status, m.replayed]))).toHaveLength(1);
      for (const member of members) {
        expect([202, 409]).toContain(member.status);
        if (member.status === 202) expect(member.task_id).toBe(creators[0]?.task_id);
      }
    }
  }

  // Every task created was polled to the end; faults end as injected.
  const created = new Set(requests.filter((r) => r.status === 202 && !r.replayed && r.task_id).map((r) => r.task_id));
  expect(new Set(finals.map((f) => f.task_id))).toEqual(created);
  for (const final of finals) {
    expect(final.settled, JSON.stringify(final)).toBe(true);
    const creator = requests.find((r) => r.seq === final.seq) as RequestRecord;
    const doomed = creator.fault?.poison === true || (creator.fault?.fail_attempts ?? 0) >= 3;
    expect(final.status, JSON.stringify({ final, fault: creator.fault })).toBe(doomed ? 'failed' : 'succeeded');
  }
  const last = records.at(-1) as SummaryRecord;
  expect(last.finals.succeeded).toBeGreaterThan(0);
}, 180_000);
