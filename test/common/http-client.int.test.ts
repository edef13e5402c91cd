/**
 * The shared keep-alive client's failure modes, against a local server that misbehaves on
 * purpose: the whole request is bounded (not only the socket's idle time), an abort rejects
 * with its reason at once, and a refused connection says so with its code.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, HttpRequestError } from '../../contract/http-client.ts';
import { freePort } from '../utils/free-port.ts';

let server: Server | undefined;
let client: HttpClient | undefined;

afterEach(() => {
  client?.close();
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A server that answers one byte every `everyMs`, forever. */
async function trickling(everyMs: number): Promise<string> {
  server = createServer((_request, response) => {
    response.writeHead(200);
    const timer = setInterval(() => response.write('.'), everyMs);
    response.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('http client', () => {
  it('gives up on the whole request after timeoutMs, even while bytes keep arriving', async () => {
    client = new HttpClient(await trickling(50));
    const error = await client.send('GET', '/', { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as HttpRequestError).code).toBe('ETIMEDOUT');
    expect((error as Error).message).toMatch(/no answer within 400 ms/);
  });

  it('rejects with the abort reason when its signal fires, and sends bytes bodies as they are', async () => {
    client = new HttpClient(await trickling(50));
    const controller = new AbortController();
    const pending = client.send('POST', '/', { body: new Uint8Array([1, 2, 3]), signal: controller.signal });
    controller.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });

  it('names the code of a refused connection', async () => {
    client = new HttpClient(`http://127.0.0.1:${await freePort()}/`);
    const error = await client.send('GET', '/', { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as HttpRequestError).code).toBe('ECONNREFUSED');
  });

  it('keeps credentials in the URL out of its error messages', async () => {
    const port = await freePort();
    client = new HttpClient(`http://elastic:s3cret-pw@127.0.0.1:${port}/`);
    const refused = await client.send('GET', '/_bulk').catch((e: unknown) => e);
    expect((refused as Error).message).toContain(`GET http://***:***@127.0.0.1:${port}/_bulk`);
    client.close();
    client = new HttpClient((await trickling(50)).replace('http://', 'http://elastic:s3cret-pw@'));
    const timedOut = await client.send('GET', '/', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect((timedOut as HttpRequestError).code).toBe('ETIMEDOUT');
    for (const error of [refused, timedOut]) expect((error as Error).message).not.toContain('s3cret-pw');
  });
});
