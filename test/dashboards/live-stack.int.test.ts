/**
 * The dashboards read what the real workload writes: a real stack (nginx, API, worker, Redis,
 * shipper) runs a few tasks — three priorities, an idempotent replay, a poison task — into the
 * test Elasticsearch, and the same panel aggregations Kibana uses find them, field for field.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexPattern } from '../../contract/indices.ts';
import { collectStats, type PanelStats, type StatsReport } from '../../dashboards/stats.ts';
import { sampleTaskBody } from '../../workload/stack/sample-tasks.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { waitFor } from '../utils/wait.ts';

let stack: TestStack | undefined;
let esUrl = '';
let report: StatsReport;
const prefix = uniqueIndexPrefix();
const run = randomUUID().slice(0, 8);
const key = `dash-key-${run}`;
const originalId = `dash-${run}-original`;

function panel(id: string): PanelStats {
  const found = report.sections.flatMap((section) => section.panels).find((candidate) => candidate.panel.id === id);
  if (!found) throw new Error(`no stats panel ${id}`);
  return found;
}
const keys = (id: string, bucket: string) => panel(id).rows.map((row) => row.keys[bucket]);
const countOf = (id: string, bucket: string, value: string) =>
  panel(id).rows.find((row) => row.keys[bucket] === value)?.values.count ?? 0;

beforeAll(async () => {
  esUrl = (await testElasticsearch()).url;
  stack = await startStack({
    apis: 2,
    workers: 1,
    esUrl,
    childEnv: { DTQ_ES_INDEX_PREFIX: prefix, DTQ_SHIPPER_FLUSH_INTERVAL_MS: '200' },
  });
  const submit = async (body: unknown, correlationId: string, headers: Record<string, string> = {}) => {
    const response = await (stack as TestStack).postTask(body, { 'x-request-id': correlationId, ...headers });
    expect(response.status, response.text).toBeLessThan(300);
    return (response.json() as { task_id: string }).task_id;
  };
  const tasks = [
    await submit(sampleTaskBody('calculate_var', 'high', 1), `dash-${run}-high`),
    await submit(sampleTaskBody('stress_test', 'medium', 2), `dash-${run}-medium`),
    await submit(sampleTaskBody('monte_carlo_pricing', 'low', 3), `dash-${run}-low`),
    await submit(sampleTaskBody('stress_test', 'low', 4, { poison: true }), `dash-${run}-poison`),
    await submit(sampleTaskBody('calculate_var', 'medium', 5), originalId, { 'idempotency-key': key }),
  ];
  for (const task of tasks) await stack.waitForTask(task);
  // The same intent again after it finished: replayed, not enqueued twice.
  await submit(sampleTaskBody('calculate_var', 'medium', 5), `dash-${run}-replay`, { 'idempotency-key': key });

  report = await waitFor(
    'the stack lines, the dead letter of the poison task among them, to reach the panels',
    async () => {
      const current = await collectStats({ esUrl, indexPattern: indexPattern(prefix) });
      const shown = (id: string) =>
        current.sections.flatMap((section) => section.panels).find((candidate) => candidate.panel.id === id)?.rows ??
        [];
      const ready =
        shown('duplicates-by-kind').some((row) => row.keys['by-event-action'] === 'idempotency.replayed') &&
        shown('failed-tasks').some((row) => row.keys['by-task-type'] === 'stress_test') &&
        // Written just after the poison task's task.failed line, so shipped with it or soon after.
        shown('failed-tasks').some((row) => row.keys['by-event-action'] === 'task.dead_lettered') &&
        shown('execution-by-type').length >= 3;
      return ready ? current : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 2_000 },
  );
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (esUrl) await deleteIndicesWithPrefix(esUrl, prefix);
});

describe('the panels on lines the real stack wrote', () => {
  it('measure nginx and API latency', () => {
    const nginx = panel('nginx-latency').rows[0];
    const api = panel('api-latency').rows[0];
    expect(nginx?.docCount).toBeGreaterThanOrEqual(6);
    expect(api?.docCount).toBeGreaterThanOrEqual(6);
    expect(nginx?.values.p95).toBeGreaterThan(0);
    expect(api?.values.p95).toBeGreaterThan(0);
    expect(panel('slowest-requests').rows.length).toBeGreaterThan(0);
  });

  it('measure queue wait per queue and execution per task type', () => {
    expect(keys('queue-wait-by-queue', 'by-task-queue')).toEqual(expect.arrayContaining(['high', 'medium', 'low']));
    expect(keys('execution-by-type', 'by-task-type')).toEqual(
      expect.arrayContaining(['calculate_var', 'stress_test', 'monte_carlo_pricing']),
    );
    for (const row of panel('execution-by-type').rows) expect(row.values.p50).toBeGreaterThan(0);
  });

  it('count a poison task as failed, with its error code as the reason', () => {
    const failed = panel('failed-tasks').rows.filter((row) => row.keys['by-event-action'] === 'task.failed');
    expect(failed.map((row) => row.keys['by-task-type'])).toEqual(['stress_test']);
    expect(String(failed[0]?.keys['by-error-code'])).toMatch(/^DTQ_ERR_[A-Z_]+$/);
    expect(failed[0]?.values.count).toBe(1);
  });

  it('count the poison task as one dead letter, with the same reason', () => {
    // Its line once named task.queue twice and Elasticsearch refused it, so this panel showed 0.
    expect(panel('dead-lettered-total').rows[0]?.values.count).toBe(1);
    const dead = panel('failed-tasks').rows.filter((row) => row.keys['by-event-action'] === 'task.dead_lettered');
    expect(dead.map((row) => [row.keys['by-task-type'], row.values.count])).toEqual([['stress_test', 1]]);
    const failed = panel('failed-tasks').rows.find((row) => row.keys['by-event-action'] === 'task.failed');
    expect(dead[0]?.keys['by-error-code']).toBe(failed?.keys['by-error-code']);
  });

  it('count the idempotent replay under its key and its original', () => {
    expect(countOf('duplicates-by-kind', 'by-event-action', 'idempotency.replayed')).toBe(1);
    expect(countOf('top-idempotency-keys', 'by-idempotency-key', key)).toBe(1);
    expect(countOf('top-originals', 'by-original-correlation-id', originalId)).toBe(1);
  });

  it('see every process in the error-rate table', () => {
    const instances = panel('error-rate-by-instance').rows.map((row) => row.keys['by-service-instance']);
    expect(instances).toEqual(expect.arrayContaining(['nginx', 'api-1', 'api-2', 'worker-1']));
  });
});
