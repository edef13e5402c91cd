/**
 * A real three-node Elasticsearch cluster on loopback (256 MB heap each; the only test that
 * starts one). The shipper is given all three nodes and a backlog; the node holding the
 * primary of the day's index is killed with SIGKILL while the backlog is being shipped. Every
 * line arrives exactly once, and the explorer, given the dead node first, answers during the
 * outage.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../contract/http-client.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { ensureBuilt, runExplore } from '../explorer/binary.ts';
import { accountFor, logLine, markerCounts, startShipper } from '../shipper/fixtures.ts';
import { uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { startTestElasticsearchCluster, type TestEsCluster } from '../utils/elasticsearch-cluster.ts';
import { waitFor } from '../utils/wait.ts';

const LINES = 150_000;
const FILES = ['api-1', 'worker-1', 'worker-2'] as const;

let cluster: TestEsCluster | undefined;
const prefix = uniqueIndexPrefix();
const logDir = mkdtempSync(join(tmpdir(), 'dtq-cluster-'));

async function get<T>(url: string, path: string): Promise<T> {
  const client = new HttpClient(url, { maxSockets: 1 });
  try {
    const response = await client.send('GET', path, { timeoutMs: 30_000 });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${response.text.slice(0, 300)}`);
    return JSON.parse(response.text) as T;
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  ensureBuilt();
  cluster = await startTestElasticsearchCluster(3, '256m');
  await runSetup({ url: cluster.url, prefix, steps: CORE_STEPS });
}, 600_000);

afterAll(async () => {
  await cluster?.close();
  rmSync(logDir, { recursive: true, force: true });
});

describe('an Elasticsearch cluster losing a node', () => {
  it('ships a backlog with 0 lines lost and 0 doubled while a node is killed, and the explorer answers meanwhile', async () => {
    if (cluster === undefined) throw new Error('no cluster');
    const [first, second, third] = cluster.nodes;
    if (first === undefined || second === undefined || third === undefined) throw new Error('three nodes expected');
    const health = await get<{ number_of_nodes: number; status: string }>(first.url, '/_cluster/health');
    expect(health.number_of_nodes).toBe(3);

    const markers = Array.from({ length: LINES }, (_, i) => `m-${i}`);
    const perFile: string[][] = FILES.map(() => []);
    for (const [i, marker] of markers.entries())
      perFile[i % FILES.length]?.push(logLine(i % 3 === 0 ? 'api' : 'worker', marker, i));
    for (const [k, name] of FILES.entries())
      writeFileSync(join(logDir, `${name}.ndjson`), `${perFile[k]?.join('\n')}\n`);

    const shipper = startShipper({
      logDir,
      esUrl: cluster.url,
      prefix,
      args: ['--once'],
      env: {
        DTQ_SHIPPER_MAX_BATCH_LINES: '500',
        DTQ_SHIPPER_BACKOFF_MAX_MS: '2000',
        DTQ_SHIPPER_SETUP: '0',
      },
    });
    try {
      // Mid-backlog: the first lines are searchable, the shipper is still running.
      await waitFor('the first lines in the cluster', async () => (await markerCounts(first.url, prefix)).has('m-0'), {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      // The replica is started (a copy of every line acknowledged so far is on a second node).
      await get(first.url, `/_cluster/health/${prefix}-*?wait_for_status=green&timeout=60s`);
      const shards = await get<{ index: string; prirep: string; state: string; node: string }[]>(
        first.url,
        `/_cat/shards/${prefix}-*?format=json&h=index,prirep,state,node`,
      );
      // One primary and one replica (auto_expand_replicas 0-1 on three nodes), on two nodes.
      expect(shards.map((shard) => `${shard.prirep} ${shard.state}`).sort()).toEqual(['p STARTED', 'r STARTED']);
      const primaryNode = shards.find((shard) => shard.prirep === 'p')?.node;
      const victim = cluster.nodes.find((_, i) => `dtq-test-${i + 1}` === primaryNode);
      if (victim === undefined) throw new Error(`no node named ${primaryNode}`);
      const shippedBefore = [...(await markerCounts(first.url, prefix)).keys()].length;
      expect(shipper.child.exitCode).toBeNull();
      expect(shippedBefore).toBeLessThan(LINES);
      await victim.stop({ hard: true });

      // The explorer, with the dead node listed first, answers from the others.
      const living = cluster.nodes.filter((node) => node !== victim);
      const explored = await runExplore(['req-m-0', '--json'], {
        DTQ_ES_URL: [victim, ...living].map((node) => node.url).join(','),
        DTQ_ES_INDEX_PREFIX: prefix,
      });
      expect(explored.stderr).toBe('');
      expect(explored.code).toBe(0);
      expect(JSON.parse(explored.stdout)).toMatchObject({ correlation_id: 'req-m-0' });

      const exit = await Promise.race([
        shipper.exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`shipper still running:\n${shipper.output().slice(-2000)}`)), 300_000),
        ),
      ]);
      expect(exit.code).toBe(0);
      expect(shipper.output()).toMatch(/node http:\/\/127\.0\.0\.1:\d+ failed .*sending to the next node/);
      const survivor = living[0]?.url as string;
      const { lost, doubled, unexpected } = await accountFor(survivor, prefix, markers, 120_000);
      expect({ lost: lost.length, doubled: doubled.length, unexpected }).toEqual({
        lost: 0,
        doubled: 0,
        unexpected: [],
      });
      console.log(
        `cluster test: ${shippedBefore} of ${LINES} lines were searchable when ${primaryNode} (primary) was killed`,
      );
    } finally {
      if (shipper.child.exitCode === null) shipper.child.kill('SIGKILL');
    }
  }, 900_000);
});
