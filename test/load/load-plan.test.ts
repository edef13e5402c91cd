import { describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { PRIORITIES, TASK_TYPES } from '../../contract/vocabulary.ts';
import { MIX, planRequests } from '../../workload/load/plan.ts';
import { validateTaskData } from '../../workload/tasks/validate-task.ts';

const base = { rps: 50, durationS: 20, seed: 7, runId: 'r1', duplicates: false, faults: false, slowTasks: false };

describe('planRequests', () => {
  it('plans rps × duration base requests spread evenly over the duration', () => {
    const plan = planRequests(base);
    expect(plan).toHaveLength(1000);
    expect(plan[0]?.atMs).toBe(0);
    expect(plan.at(-1)?.atMs).toBe(19_980);
  });

  it('gives the same plan for the same seed and a different one for another seed', () => {
    expect(planRequests(base)).toEqual(planRequests(base));
    expect(planRequests({ ...base, seed: 8 })).not.toEqual(planRequests(base));
  });

  it('mixes every task type and priority, and client, absent and hostile correlation ids', () => {
    const plan = planRequests(base);
    expect(new Set(plan.map((r) => r.body.task_type))).toEqual(new Set(TASK_TYPES));
    expect(new Set(plan.map((r) => r.body.priority))).toEqual(new Set(PRIORITIES));
    const modes = new Set(plan.map((r) => r.correlationMode));
    expect(modes).toEqual(new Set(['client', 'absent', 'hostile']));
    for (const request of plan) {
      if (request.correlationMode === 'client') expect(request.correlationId).toMatch(CORRELATION_ID_PATTERN);
      if (request.correlationMode === 'hostile') expect(request.correlationId).not.toMatch(CORRELATION_ID_PATTERN);
      if (request.correlationMode === 'absent') expect(request.correlationId).toBeNull();
    }
    const clientIds = plan.filter((r) => r.correlationMode === 'client').map((r) => r.correlationId);
    expect(new Set(clientIds).size).toBe(clientIds.length);
  });

  it('plans only bodies the API validation accepts with DTQ_FAULTS=1', () => {
    const all = {
      ...base,
      faults: true,
      duplicates: true,
      slowTasks: true,
      sharedIds: true,
      heldTasks: true,
      takeovers: true,
    };
    for (const request of planRequests(all)) {
      const result = validateTaskData(request.body.task_type, request.body.data, { allowFaults: true });
      expect(result.ok, JSON.stringify(result)).toBe(true);
    }
  });

  it('with duplicates, groups share a key: replays and concurrent copies repeat the body, mismatches change it', () => {
    const plan = planRequests({ ...base, duplicates: true });
    const groups = new Map<number, typeof plan>();
    for (const request of plan) {
      if (request.group === null) continue;
      groups.set(request.group, [...(groups.get(request.group) ?? []), request]);
    }
    const kinds = new Set(plan.map((r) => r.kind));
    expect(kinds).toEqual(new Set(['task', 'keyed', 'original', 'replay', 'mismatch', 'concurrent']));
    for (const members of groups.values()) {
      const original = members.find((r) => r.kind === 'original');
      expect(original).toBeDefined();
      for (const member of members) {
        expect(member.idempotencyKey).toBe(original?.idempotencyKey);
        if (member.kind === 'mismatch') expect(member.body).not.toEqual(original?.body);
        else expect(member.body).toEqual(original?.body);
        if (member.kind === 'replay' || member.kind === 'mismatch') {
          expect(member.atMs).toBeGreaterThan(original?.atMs ?? 0);
        }
        if (member.kind === 'concurrent') expect(member.atMs).toBe(original?.atMs);
      }
    }
  });

  it('with shared ids, sends groups of 9 at one instant under one X-Request-ID, 6 valid then 3 invalid', () => {
    const plan = planRequests({ ...base, sharedIds: true });
    const groups = new Map<string, typeof plan>();
    for (const request of plan.filter((r) => r.correlationMode === 'shared'))
      groups.set(request.correlationId as string, [...(groups.get(request.correlationId as string) ?? []), request]);
    expect(groups.size).toBeGreaterThan(10);
    for (const [id, members] of groups) {
      expect(id).toMatch(CORRELATION_ID_PATTERN);
      expect(members.map((m) => m.kind)).toEqual([...Array(6).fill('shared'), ...Array(3).fill('shared_invalid')]);
      expect(new Set(members.map((m) => m.atMs)).size).toBe(1);
      expect(members.every((m) => m.idempotencyKey === null)).toBe(true);
    }
    // Leaving the option out plans the same as turning it off.
    expect(planRequests(base)).toEqual(planRequests({ ...base, sharedIds: false }));
  });

  it('with takeovers, pairs a held claim with a second request of the same key and body after its lease', () => {
    const plan = planRequests({ ...base, takeovers: true });
    const held = plan.filter((r) => r.kind === 'claim_held');
    expect(held).toHaveLength(MIX.takeoverAt.length);
    for (const first of held) {
      const second = plan.find((r) => r.kind === 'takeover' && r.group === first.group);
      expect(second?.idempotencyKey).toBe(first.idempotencyKey);
      expect(second?.body).toEqual(first.body);
      expect(first.fault?.hold_response_ms).toBeGreaterThan(MIX.takeoverAfterMs);
      expect((second?.atMs ?? 0) - first.atMs).toBeGreaterThan(MIX.takeoverLeaseMs);
    }
  });

  it('with faults, injects retried, exhausted and poison tasks', () => {
    const faults = planRequests({ ...base, faults: true }).map((r) => r.fault);
    expect(faults.some((f) => f?.fail_attempts !== undefined && f.fail_attempts < 3)).toBe(true);
    expect(faults.some((f) => f?.fail_attempts === 20)).toBe(true);
    expect(faults.some((f) => f?.poison === true)).toBe(true);
  });
});
