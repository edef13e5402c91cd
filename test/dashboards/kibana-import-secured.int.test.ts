/**
 * The dashboards import (`dtq-dashboards`, dashboards/import-cli.ts) against a secured endpoint:
 * the real command, through the real TLS-terminating, authenticating proxy of the secured
 * Elasticsearch tests (test/utils/auth-proxy.ts, certificates made by openssl for this run).
 *
 * Kibana cannot run on this machine, so behind the proxy stands a minimal HTTP server in its
 * place: it implements only what the import calls, `GET /api/status` (the version check before
 * the import) and `POST /api/saved_objects/_import` with Kibana 8's answer shape
 * (`{success, successCount, successResults}`), and records what reached it. What is proven here
 * is the client side: the configured credentials and CA are sent and used, and each wrong one is
 * named. Kibana's own checks of those credentials against Elasticsearch are not.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savedObjects } from '../../dashboards/kibana/saved-objects.ts';
import { parseNdjson } from '../../dashboards/kibana/validate.ts';
import { type AuthProxy, startAuthProxy } from '../utils/auth-proxy.ts';
import { runToExit } from '../utils/processes.ts';
import { makeTestCerts, type TestCerts } from '../utils/test-certs.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PASSWORD = 'K1bana-admin-pw';
const READER_PASSWORD = 'K1bana-viewer-pw';
const WRONG_PASSWORD = 'Wr0ng-kibana-pw';
const API_KEY = Buffer.from('kibana-key-id:K1bana-ap1-s3cret').toString('base64');
const SECRETS = [PASSWORD, READER_PASSWORD, WRONG_PASSWORD, API_KEY, 'K1bana-ap1-s3cret'];
const PREFIX = 'secured-logs';

/** One import as the stand-in received it. */
interface ReceivedImport {
  headers: IncomingHttpHeaders;
  query: string;
  objects: number;
}

let certs: TestCerts;
let proxy: AuthProxy;
let standIn: Server;
const imports: ReceivedImport[] = [];
/** Everything any command printed, for the final check that no secret is in it. */
const printed: string[] = [];

/** The stand-in for Kibana: the status and import answers of Kibana 8.19, nothing more. */
function startStandIn(): Promise<Server> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const [path, query = ''] = (request.url ?? '/').split('?');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && path === '/api/status') {
      return reply(200, {
        name: 'kibana-stand-in',
        version: { number: '8.19.9', build_snapshot: false },
        status: { overall: { level: 'available', summary: 'All services are available' } },
      });
    }
    if (request.method === 'POST' && path === '/api/saved_objects/_import') {
      const form = await new Response(Buffer.concat(chunks), {
        headers: { 'content-type': String(request.headers['content-type']) },
      }).formData();
      const file = form.get('file');
      if (!(file instanceof File)) return reply(400, { statusCode: 400, error: 'Bad Request', message: 'no file' });
      const objects = parseNdjson(await file.text()) as { type: string; id: string }[];
      imports.push({ headers: request.headers, query, objects: objects.length });
      return reply(200, {
        success: true,
        successCount: objects.length,
        successResults: objects.map((o) => ({ type: o.type, id: o.id, meta: {} })),
      });
    }
    reply(404, { statusCode: 404, error: 'Not Found', message: 'Not Found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function importWith(env: NodeJS.ProcessEnv) {
  const { DTQ_ES_USERNAME, DTQ_ES_PASSWORD, DTQ_ES_API_KEY, DTQ_ES_CA, DTQ_KIBANA_CA, ...inherited } = process.env;
  const result = await runToExit(process.execPath, [join(ROOT, 'dashboards', 'import-cli.ts')], {
    cwd: ROOT,
    env: { ...inherited, DTQ_KIBANA_URL: proxy.url, DTQ_ES_INDEX_PREFIX: PREFIX, ...env },
  });
  printed.push(result.output);
  return result;
}

beforeAll(async () => {
  certs = makeTestCerts();
  standIn = await startStandIn();
  proxy = await startAuthProxy({
    target: `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`,
    key: readFileSync(certs.serverKey),
    cert: readFileSync(certs.serverChain),
    principals: {
      users: { elastic: { password: PASSWORD, role: 'all' }, viewer: { password: READER_PASSWORD, role: 'read' } },
      apiKeys: { [API_KEY]: 'all' },
    },
  });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => standIn?.close(resolve));
  certs?.remove();
});

describe('dtq-dashboards against a secured Kibana endpoint (TLS + authentication)', () => {
  it('imports with DTQ_ES_USERNAME/DTQ_ES_PASSWORD, trusting the CA of DTQ_KIBANA_CA', async () => {
    const before = imports.length;
    const { code, output } = await importWith({
      DTQ_ES_USERNAME: 'elastic',
      DTQ_ES_PASSWORD: PASSWORD,
      DTQ_KIBANA_CA: certs.caFile,
    });
    const expected = savedObjects(PREFIX).length;
    expect(output).toContain(`dashboards: imported ${expected} objects into Kibana 8.19.9`);
    expect(code).toBe(0);
    // Both calls carried the user's credentials, which the proxy accepted.
    expect(proxy.requests.slice(-2).map((r) => [r.method, r.path.split('?')[0], r.scheme, r.status])).toEqual([
      ['GET', '/api/status', 'Basic', 200],
      ['POST', '/api/saved_objects/_import', 'Basic', 200],
    ]);
    // What reached the stand-in: one import of every object, with Kibana's CSRF header.
    expect(imports.slice(before)).toHaveLength(1);
    expect(imports.at(-1)).toMatchObject({ query: 'overwrite=true', objects: expected });
    expect(imports.at(-1)?.headers['kbn-xsrf']).toBeDefined();
  });

  it('imports with DTQ_ES_API_KEY, trusting the CA of DTQ_ES_CA when DTQ_KIBANA_CA is unset', async () => {
    const { code, output } = await importWith({ DTQ_ES_API_KEY: API_KEY, DTQ_ES_CA: certs.caFile });
    expect(output).toContain('dashboards: imported');
    expect(code).toBe(0);
    expect(proxy.requests.at(-1)).toMatchObject({
      path: '/api/saved_objects/_import?overwrite=true',
      scheme: 'ApiKey',
    });
    expect(proxy.requests.at(-1)?.status).toBe(200);
  });

  it('names DTQ_ES_USERNAME/DTQ_ES_PASSWORD when Kibana answers 401 to a wrong password', async () => {
    const { code, output } = await importWith({
      DTQ_ES_USERNAME: 'elastic',
      DTQ_ES_PASSWORD: WRONG_PASSWORD,
      DTQ_KIBANA_CA: certs.caFile,
    });
    expect(output).toContain('DTQ_ERR_KIBANA_IMPORT_FAILED');
    expect(output).toContain('HTTP 401: Kibana did not accept the credentials of DTQ_ES_USERNAME/DTQ_ES_PASSWORD');
    expect(code).toBe(1);
    expect(proxy.requests.at(-1)).toMatchObject({ path: '/api/status', scheme: 'Basic', status: 401 });
  });

  it('says which settings to set when no credentials are sent (401)', async () => {
    const { code, output } = await importWith({ DTQ_KIBANA_CA: certs.caFile });
    expect(output).toContain('HTTP 401: Kibana wants credentials and none was sent: set DTQ_ES_API_KEY');
    expect(code).toBe(1);
    expect(proxy.requests.at(-1)).toMatchObject({ scheme: 'none', status: 401 });
  });

  it('names the setting of a user who may read but not import (403)', async () => {
    const before = imports.length;
    const { code, output } = await importWith({
      DTQ_ES_USERNAME: 'viewer',
      DTQ_ES_PASSWORD: READER_PASSWORD,
      DTQ_KIBANA_CA: certs.caFile,
    });
    expect(output).toContain(
      'HTTP 403: Kibana refuses the import to the user or key of DTQ_ES_USERNAME/DTQ_ES_PASSWORD (it needs the saved-objects management privilege)',
    );
    expect(code).toBe(1);
    expect(imports.length).toBe(before);
  });

  it('refuses a certificate the configured CA did not sign, naming DTQ_KIBANA_CA, before sending credentials', async () => {
    const sent = proxy.requests.length;
    const { code, output } = await importWith({
      DTQ_ES_USERNAME: 'elastic',
      DTQ_ES_PASSWORD: PASSWORD,
      DTQ_KIBANA_CA: certs.otherCaFile,
    });
    expect(output).toContain('DTQ_ERR_KIBANA_UNREACHABLE');
    expect(output).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
    expect(output).toContain("set DTQ_KIBANA_CA to the PEM file of the CA that signed Kibana's certificate");
    expect(code).toBe(1);
    // The TLS handshake failed, so no request (and no password) reached the proxy.
    expect(proxy.requests.length).toBe(sent);
  });

  it('never prints a secret', () => {
    const all = printed.join('\n');
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });
});
