/**
 * The shared client on a list of nodes, against local servers: requests take turns, a node that
 * refuses connections is passed over and the same request goes to the next one at once, and it
 * is tried again once its time out is over; only when every node fails does a request fail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, HttpRequestError } from '../../contract/http-client.ts';
import { freePort } from '../utils/free-port.ts';

const servers: Server[] = [];
let client: HttpClient | undefined;

afterEach(() => {
  client?.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A server that answers with its own name, behind an optional path prefix. */
async function named(name: string, seen: string[] = []): Promise<string> {
  const server = createServer((request, response) => {
    seen.push(`${name} ${request.url}`);
    response.end(name);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('http client on several nodes', () => {
  it('sends requests to the nodes in turn, under each node URL path', async () => {
    const seen: string[] = [];
    client = new HttpClient([`${await named('a', seen)}/proxy/`, await named('b', seen)]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await client.send('GET', '/_search?q=1')).text);
    expect(answers).toEqual(['a', 'b', 'a', 'b']);
    expect(seen).toEqual(['a /proxy/_search?q=1', 'b /_search?q=1', 'a /proxy/_search?q=1', 'b /_search?q=1']);
  });

  it('moves a request from a dead node to the next at once, and passes the dead one over for a while', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const failovers: string[] = [];
    client = new HttpClient([dead, await named('b'), await named('c')], {
      deadNodeMs: 60_000,
      onFailover: (node, error) => failovers.push(`${node} ${error.code}`),
    });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push((await client.send('GET', '/')).text);
    expect(answers.every((answer) => answer === 'b' || answer === 'c')).toBe(true);
    expect(new Set(answers)).toEqual(new Set(['b', 'c']));
    expect(failovers).toEqual([`${dead} ECONNREFUSED`]);
  });

  it('tries a failed node again once its time is over, and fails only when every node failed', async () => {
    const port = await freePort();
    client = new HttpClient([`http://127.0.0.1:${port}`, `http://127.0.0.1:${await freePort()}`], { deadNodeMs: 1 });
    const error = await client.send('GET', '/', { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as HttpRequestError).code).toBe('ECONNREFUSED');
    const server = createServer((_request, response) => response.end('back'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const answers = new Set<string>();
    for (let i = 0; i < 2; i++) answers.add((await client.send('GET', '/')).text);
    expect(answers).toEqual(new Set(['back']));
  });

  it('moves on from a node answering a failover status, and returns the last node answer as it is', async () => {
    const answering = async (status: number): Promise<string> => {
      const server = createServer((_request, response) => {
        response.writeHead(status);
        response.end(String(status));
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    const gateway = await answering(502);
    const failovers: string[] = [];
    client = new HttpClient([gateway, await named('ok')], {
      failoverStatuses: [502, 503],
      onFailover: (node, error) => failovers.push(`${node} ${error.code}`),
    });
    expect((await client.send('GET', '/')).text).toBe('ok');
    expect(failovers).toEqual([`${gateway} HTTP 502`]);
    client.close();
    client = new HttpClient([await answering(503), await answering(503)], { failoverStatuses: [503] });
    expect((await client.send('GET', '/')).status).toBe(503);
  });
});
