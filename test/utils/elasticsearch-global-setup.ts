/**
 * vitest globalSetup: one shared Elasticsearch for the whole test run, started lazily. It costs
 * nothing to runs that never ask for it: test files call testElasticsearch(), which asks this
 * broker (a loopback HTTP endpoint in the vitest main process) for the URL, and only the first
 * request starts the node. Teardown stops it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startTestElasticsearchNode, type TestEsNode } from './elasticsearch-node.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the broker that hands out the shared test Elasticsearch. */
    dtqEsBroker: string;
  }
}

let shared: Promise<TestEsNode> | undefined;

/** Start the broker and tell test workers where it is. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createServer((request, response) => {
    if (request.url !== '/elasticsearch') {
      response.writeHead(404).end();
      return;
    }
    shared ??= startTestElasticsearchNode();
    shared.then(
      (node) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: node.url })),
      (error: unknown) =>
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(error instanceof Error ? error.message : String(error)),
    );
  });
  // Starting Elasticsearch on a loaded machine can take a minute; do not cut the request off.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  project.provide('dtqEsBroker', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return async () => {
    server.close();
    const node = await shared?.catch(() => undefined);
    await node?.close();
  };
}
