/**
 * A real Elasticsearch cluster on loopback for the one test that needs several nodes: `size`
 * nodes of the same distribution as `npm run es`, each with its own directory, ports and a
 * small heap, discovering each other through their transport ports and electing a master
 * among all of them. Started together (no node is ready before a master is elected).
 */
import { randomUUID } from 'node:crypto';
import { startTestElasticsearchNode, type TestEsNode } from './elasticsearch-node.ts';
import { freePort } from './free-port.ts';

/** A running test cluster. */
export interface TestEsCluster {
  readonly nodes: readonly TestEsNode[];
  /** Every node's URL, comma-separated, as DTQ_ES_URL takes them. */
  readonly url: string;
  /** Stop every node and remove its directory. */
  close(): Promise<void>;
}

/** Start a cluster of `size` nodes with `heap` each and wait until all of them serve requests. */
export async function startTestElasticsearchCluster(size = 3, heap = '256m'): Promise<TestEsCluster> {
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({ http: await freePort(), transport: await freePort() })),
  );
  const names = ports.map((_, i) => `dtq-test-${i + 1}`);
  const clusterName = `dtq-test-${randomUUID().slice(0, 8)}`;
  const started = await Promise.allSettled(
    ports.map((port, i) =>
      startTestElasticsearchNode({
        heap,
        port: port.http,
        transportPort: port.transport,
        readyTimeoutMs: 300_000,
        settings: {
          'cluster.name': clusterName,
          'node.name': names[i] as string,
          'discovery.type': 'multi-node',
          'discovery.seed_hosts': ports.map((p) => `127.0.0.1:${p.transport}`).join(','),
          'cluster.initial_master_nodes': names.join(','),
        },
      }),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(nodes.map((node) => node.close()));
    throw failed.reason;
  }
  return {
    nodes,
    url: nodes.map((node) => node.url).join(','),
    close: async () => {
      await Promise.all(nodes.map((node) => node.close()));
    },
  };
}
