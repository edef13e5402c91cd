/**
 * Real Elasticsearch for tests. `testElasticsearch()` gives the node shared by the whole test
 * run (started on first use by the globalSetup broker, stopped at the end); tests isolate
 * themselves with `uniqueIndexPrefix()` and delete their indices afterwards. Tests that stop or
 * kill Elasticsearch must not do it to the shared node: they use `startTestElasticsearchNode()`.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { startTestElasticsearchNode, type TestEsNode } from './elasticsearch-node.ts';

export { startTestElasticsearchNode, type TestEsNode } from './elasticsearch-node.ts';

let local: Promise<TestEsNode> | undefined;

function brokerUrl(): string | undefined {
  try {
    return inject('dtqEsBroker');
  } catch {
    return undefined;
  }
}

/** The shared test Elasticsearch of this run. */
export async function testElasticsearch(): Promise<{ url: string }> {
  const broker = brokerUrl();
  if (broker === undefined) {
    // Outside the vitest config (a script, another runner): one node per process.
    local ??= startTestElasticsearchNode();
    const node = await local;
    return { url: node.url };
  }
  const response = await fetch(`${broker}/elasticsearch`, { signal: AbortSignal.timeout(300_000) });
  if (!response.ok) throw new Error(`test Elasticsearch did not start: ${await response.text()}`);
  return (await response.json()) as { url: string };
}

/** A fresh index prefix (`test-<uuid>`) so tests never see each other's documents. */
export function uniqueIndexPrefix(): string {
  return `test-${randomUUID()}`;
}

/** Delete every index, data stream and index template of a prefix (for afterEach/afterAll). */
export async function deleteIndicesWithPrefix(url: string, prefix: string): Promise<void> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(prefix))
    throw new Error(`refusing to delete with prefix ${JSON.stringify(prefix)}`);
  const call = (method: string, path: string) =>
    fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(30_000) }).then((r) => r.text());
  await call('DELETE', `/_data_stream/${prefix}*`);
  await call('DELETE', `/${prefix}*?expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true`);
  await call('DELETE', `/_index_template/${prefix}*`);
}
