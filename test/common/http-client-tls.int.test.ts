/**
 * The shared client over https against local TLS servers with certificates openssl made for the
 * run: a CA file is trusted, a pinned fingerprint is checked against the chain the server
 * shows, and a chain that merely carries the pinned CA certificate above a certificate that CA
 * never signed is refused, before any byte of the request (or its credentials) is sent.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERT_PIN_MISMATCH, HttpClient, HttpRequestError } from '../../contract/http-client.ts';
import { makeTestCerts, type TestCerts } from '../utils/test-certs.ts';

let certs: TestCerts;
const servers: Server[] = [];
/** Authorization headers servers received: a refused connection must add none. */
const received: string[] = [];

async function serve(chainFile: string): Promise<string> {
  const server = createServer(
    { key: readFileSync(certs.serverKey), cert: readFileSync(chainFile) },
    (request, response) => {
      received.push(request.headers.authorization ?? '');
      response.end('{"ok":true}');
    },
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function outcome(url: string, tls: ConstructorParameters<typeof HttpClient>[1]): Promise<string> {
  const client = new HttpClient(url, { ...tls, headers: { authorization: 'Basic c2VjcmV0' } });
  try {
    return String((await client.send('GET', '/')).status);
  } catch (error) {
    return error instanceof HttpRequestError ? `${error.code}: ${error.message}` : String(error);
  } finally {
    client.close();
  }
}

beforeAll(() => {
  certs = makeTestCerts();
});

afterAll(() => {
  for (const server of servers) server.close();
  certs?.remove();
});

describe('http client over TLS', () => {
  it('trusts a server signed by the CA file, and refuses it without one', async () => {
    const url = await serve(certs.serverChain);
    expect(await outcome(url, { tls: { ca: readFileSync(certs.caFile) } })).toBe('200');
    expect(await outcome(url, { tls: { ca: readFileSync(certs.otherCaFile) } })).toMatch(
      /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/,
    );
    expect(await outcome(url, {})).toMatch(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
  });

  it('accepts the pinned CA fingerprint in any notation and refuses another, sending nothing to it', async () => {
    const url = await serve(certs.serverChain);
    const colons = certs.caFingerprint.toUpperCase().match(/../g)?.join(':') as string;
    expect(await outcome(url, { tls: { caFingerprint: certs.caFingerprint } })).toBe('200');
    expect(await outcome(url, { tls: { caFingerprint: colons } })).toBe('200');
    const before = received.length;
    expect(await outcome(url, { tls: { caFingerprint: certs.otherCaFingerprint } })).toMatch(
      new RegExp(`^${CERT_PIN_MISMATCH}: .*no certificate in the server's chain`),
    );
    expect(received.length).toBe(before);
  });

  it('refuses a chain that carries the pinned CA above a certificate the CA did not sign', async () => {
    const url = await serve(certs.forgedChain);
    const before = received.length;
    expect(await outcome(url, { tls: { caFingerprint: certs.caFingerprint } })).toMatch(
      new RegExp(`^${CERT_PIN_MISMATCH}: .*no CA links up to the server's certificate`),
    );
    expect(received.length).toBe(before);
  });
});
