/**
 * Each panel's query, expressed as an Elasticsearch aggregation from the same definition Kibana
 * draws, run against the real test Elasticsearch with our index template and a known data set:
 * the numbers the dashboards would show are the numbers the data set was built to produce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { panelById } from '../../dashboards/definitions.ts';
import {
  type PanelRow,
  type PanelSearchOptions,
  panelRows,
  panelSearch,
  ratioValue,
} from '../../dashboards/es-query.ts';
import { collectStats, renderStats } from '../../dashboards/stats.ts';
import { EsClient } from '../../elk/client.ts';
import { plainConnection } from '../../elk/connection.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { BASE, knownLines } from './known-data.ts';

let url = '';
const prefix = uniqueIndexPrefix();
const lines = knownLines();

async function rowsOf(panelId: string, options: PanelSearchOptions = { totals: true }): Promise<PanelRow[]> {
  const panel = panelById(panelId);
  const client = new EsClient(plainConnection(url));
  try {
    const response = await client.request('POST', `/${indexPattern(prefix)}/_search`, {
      body: panelSearch(panel, options),
    });
    return panelRows(panel, response, options);
  } finally {
    client.close();
  }
}

const ms = (value: number | null | undefined) => (value ?? Number.NaN) / NS_PER_MS;
const byKey = (rows: PanelRow[], bucket: string) =>
  Object.fromEntries(rows.map((row) => [String(row.keys[bucket]), row]));

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  await runSetup({ url, prefix, steps: CORE_STEPS });
  const client = new EsClient(plainConnection(url));
  try {
    const body = lines
      .flatMap((line) => [{ index: { _index: indexForTimestamp(String(line[F.TIMESTAMP]), prefix) } }, line])
      .map((entry) => `${JSON.stringify(entry)}\n`)
      .join('');
    const result = await client.request<{ errors: boolean }>('POST', '/_bulk?refresh=true', {
      body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(result?.errors).toBe(false);
  } finally {
    client.close();
  }
});

afterAll(async () => {
  if (url) await deleteIndicesWithPrefix(url, prefix);
});

describe('Latency panels on real Elasticsearch', () => {
  it('nginx request time: p50 10 ms, p95 and p99 500 ms', async () => {
    const [row] = await rowsOf('nginx-latency');
    expect(row?.docCount).toBe(100);
    expect(ms(row?.values.p50)).toBe(10);
    expect(ms(row?.values.p95)).toBe(500);
    expect(ms(row?.values.p99)).toBe(500);
  });

  it('API handling time: p95 of 1..100 ms (plus one 2 s outlier) is about 95 ms', async () => {
    const [row] = await rowsOf('api-latency');
    // 102 completions, one without a duration: 101 measured values.
    expect(row?.docCount).toBe(102);
    expect(ms(row?.values.p50)).toBeGreaterThanOrEqual(50);
    expect(ms(row?.values.p50)).toBeLessThanOrEqual(52);
    expect(ms(row?.values.p95)).toBeGreaterThanOrEqual(95);
    expect(ms(row?.values.p95)).toBeLessThanOrEqual(97);
  });

  it('queue wait per queue, slowest queue first', async () => {
    const rows = await rowsOf('queue-wait-by-queue');
    expect(rows.map((row) => row.keys['by-task-queue'])).toEqual(['low', 'medium', 'high']);
    expect(rows.map((row) => [ms(row.values.p50), ms(row.values.p95), ms(row.values.p99), row.values.count])).toEqual([
      [200, 200, 200, 10],
      [50, 50, 50, 10],
      [5, 5, 5, 10],
    ]);
  });

  it('execution time per task type', async () => {
    const rows = byKey(await rowsOf('execution-by-type'), 'by-task-type');
    expect(ms(rows.stress_test?.values.p95)).toBe(1000);
    expect(rows.stress_test?.values.count).toBe(5);
    expect(ms(rows.calculate_var?.values.p99)).toBe(100);
    expect(rows.calculate_var?.values.count).toBe(10);
  });

  it('slowest requests: the 2 s outlier first, then the 500 ms ones', async () => {
    const rows = await rowsOf('slowest-requests');
    expect(rows).toHaveLength(20);
    expect(rows[0]?.keys['by-correlation-id']).toBe('c-999');
    expect(ms(rows[0]?.values.slowest)).toBe(2000);
    const rest = rows.slice(1);
    expect(rest.every((row) => ms(row.values.slowest) === 500)).toBe(true);
    expect(rest.map((row) => row.keys['by-correlation-id'])).toEqual(
      Array.from({ length: 19 }, (_, i) => `c-${String(81 + i).padStart(3, '0')}`),
    );
  });

  it('throughput per priority, per minute', async () => {
    const rows = await rowsOf('throughput-by-priority', { interval: '1m' });
    const perMinute = (minute: number) =>
      Object.fromEntries(
        rows
          .filter((row) => row.keys.time === BASE + minute * 60_000)
          .map((row) => [row.keys['by-task-priority'], row.values.count]),
      );
    // i % 3 over i = 0..9 puts 4, 3 and 3 tasks of each priority into minutes 0, 1, 2.
    expect(perMinute(0)).toEqual({ high: 4, medium: 4, low: 4 });
    expect(perMinute(1)).toEqual({ high: 3, medium: 3, low: 3 });
    expect(perMinute(2)).toEqual({ high: 3, medium: 3, low: 3 });
  });
});

describe('Errors panels on real Elasticsearch', () => {
  it('error rate per service and instance', async () => {
    const rows = await rowsOf('error-rate-by-instance');
    const errors = Object.fromEntries(
      rows.map((row) => [`${row.keys['by-service-name']}/${row.keys['by-service-instance']}`, row.values.errors]),
    );
    expect(errors).toMatchObject({
      'worker/worker-1': 3,
      'api/api-1': 2,
      'worker/worker-2': 1,
      'worker/worker-3': 0,
      'shipper/shipper': 0,
    });
    const lineCount = (instance: string) => lines.filter((line) => line[F.SERVICE_INSTANCE] === instance).length;
    const worker1 = rows.find((row) => row.keys['by-service-instance'] === 'worker-1') as PanelRow;
    expect(worker1.values.count).toBe(lineCount('worker-1'));
    expect(ratioValue(worker1, 'errors', 'count')).toBeCloseTo(3 / lineCount('worker-1'), 10);
  });

  it('nginx 4xx and 5xx', async () => {
    const [row] = await rowsOf('nginx-status');
    expect(row?.values).toEqual({ 'status-4xx': 10, 'status-5xx': 5 });
  });

  it('failed and dead-lettered tasks per type and reason', async () => {
    const rows = await rowsOf('failed-tasks');
    expect(
      rows.map((row) => [
        row.keys['by-event-action'],
        row.keys['by-task-type'],
        row.keys['by-error-code'],
        row.values.count,
      ]),
    ).toEqual([
      ['task.failed', 'calculate_var', 'DTQ_ERR_TASK_TRANSIENT', 4],
      ['task.failed', 'stress_test', 'DTQ_ERR_TASK_POISON', 1],
      ['task.dead_lettered', 'stress_test', 'DTQ_ERR_TASK_POISON', 1],
    ]);
  });

  it('retries, dead letters, breaker openings and outages', async () => {
    expect((await rowsOf('retries-total'))[0]?.values.count).toBe(4);
    expect((await rowsOf('dead-lettered-total'))[0]?.values.count).toBe(1);
    expect((await rowsOf('circuit-openings-total'))[0]?.values.count).toBe(2);
    const outages = await rowsOf('outages-by-instance');
    expect(
      outages.map((row) => [row.keys['by-dependency-name'], row.keys['by-service-instance'], row.values.count]),
    ).toEqual([
      ['redis', 'api-1', 1],
      ['redis', 'worker-1', 1],
      ['redis', 'worker-2', 1],
      ['elasticsearch', 'shipper', 1],
    ]);
  });
});

describe('Duplicates panels on real Elasticsearch', () => {
  it('duplicates per kind', async () => {
    const rows = await rowsOf('duplicates-by-kind');
    expect(rows.map((row) => [row.keys['by-event-action'], row.values.count])).toEqual([
      ['result.cache_hit', 6],
      ['idempotency.replayed', 5],
      ['lock.contended', 4],
      ['idempotency.in_flight_conflict', 2],
      ['idempotency.payload_mismatch', 1],
    ]);
  });

  it('top idempotency keys, originals, locks and cached results', async () => {
    const pairs = async (panel: string, bucket: string) =>
      (await rowsOf(panel)).map((row) => [row.keys[bucket], row.values.count]);
    expect(await pairs('top-idempotency-keys', 'by-idempotency-key')).toEqual([
      ['k-1', 5],
      ['k-2', 2],
      ['k-3', 1],
    ]);
    expect(await pairs('top-originals', 'by-original-correlation-id')).toEqual([
      ['c-001', 5],
      ['c-002', 2],
      ['c-003', 1],
    ]);
    expect(await pairs('top-contended-locks', 'by-lock-resource')).toEqual([
      ['portfolio:P1', 3],
      ['portfolio:P2', 1],
    ]);
    expect(await pairs('top-cache-hits', 'by-result-key')).toEqual([['r-1', 6]]);
  });
});

describe('dtq-explore --stats on real Elasticsearch', () => {
  it('renders the same numbers as text', async () => {
    const text = await renderStats({ esUrl: url, indexPattern: indexPattern(prefix) });
    expect(text).toContain('== Latency by stage ==');
    expect(text).toMatch(/nginx request time[^\n]*\n\s+p50\s+p95\s+p99\n\s+10\.0 ms\s+500\.0 ms\s+500\.0 ms/);
    expect(text).toMatch(/low\s+200\.0 ms\s+200\.0 ms\s+200\.0 ms\s+10/);
    expect(text).toContain('dtq-explore c-999');
    expect(text).toMatch(/worker\s+worker-1\s+\d+\s+3\s+\d+\.\d%/);
    expect(text).toMatch(/result_cache_hit\s+6/);
  });

  it('counts nothing before the time window', async () => {
    const report = await collectStats({
      esUrl: url,
      indexPattern: indexPattern(prefix),
      since: new Date(BASE + 3_600_000),
    });
    const nginx = report.sections[0]?.panels[0];
    expect(nginx?.rows[0]?.docCount).toBe(0);
    const kinds = report.sections[2]?.panels[0];
    expect(kinds?.rows).toEqual([]);
  });

  it('says Elasticsearch is unreachable, with what to do', async () => {
    await expect(renderStats({ esUrl: 'http://127.0.0.1:9', indexPattern: 'x-*' })).rejects.toThrow(
      expect.objectContaining({ code: 'DTQ_ERR_ES_UNREACHABLE' }),
    );
  });
});
