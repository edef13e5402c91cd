/**
 * Reading the Elasticsearch connection from the environment and flags: node lists, each kind
 * of credentials as the header Elasticsearch expects, the trust, and settings that do not fit
 * together, each refused with an error that names them and never the secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpRequestError } from '../../contract/http-client.ts';
import { authProblem, transportProblem } from '../../elk/client.ts';
import { apiKeyHeader, esConnection, parseEsNodes } from '../../elk/connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'dtq-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const FINGERPRINT = 'a1'.repeat(32);

function failure(run: () => unknown): { code?: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

describe('Elasticsearch connection settings', () => {
  it('reads a comma-separated node list, trimming spaces and trailing slashes', () => {
    expect(parseEsNodes(' http://a:9200/ , https://b:9243,')).toEqual(['http://a:9200', 'https://b:9243']);
    expect(esConnection({}).nodes).toEqual(['http://127.0.0.1:9200']);
    expect(failure(() => parseEsNodes('http://a:9200,ftp://b')).code).toBe('DTQ_ERR_ES_BAD_URL');
    expect(failure(() => parseEsNodes(' , ')).code).toBe('DTQ_ERR_ES_BAD_URL');
  });

  it('sends each kind of credentials as Elasticsearch expects them', () => {
    expect(esConnection({ DTQ_ES_USERNAME: 'elastic', DTQ_ES_PASSWORD: 'pw' })).toMatchObject({
      auth: 'basic',
      authSetting: 'DTQ_ES_USERNAME/DTQ_ES_PASSWORD',
      headers: { authorization: `Basic ${Buffer.from('elastic:pw').toString('base64')}` },
    });
    expect(esConnection({ DTQ_ES_API_KEY: 'ZW5jb2RlZA==' }).headers).toEqual({ authorization: 'ApiKey ZW5jb2RlZA==' });
    expect(apiKeyHeader('id:key')).toBe(`ApiKey ${Buffer.from('id:key').toString('base64')}`);
    expect(esConnection({ DTQ_ES_BEARER_TOKEN: 'tok' }).headers).toEqual({ authorization: 'Bearer tok' });
    expect(esConnection({ DTQ_ES_URL: 'http://u:p@a:9200' }).auth).toBe('url');
    expect(esConnection({}).auth).toBe('none');
  });

  it('takes flags over the environment, secrets only from the files they name', () => {
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'from-file\n');
    const connection = esConnection(
      { DTQ_ES_URL: 'http://env:9200' },
      { es: 'https://flag-1:9200,https://flag-2:9200', 'es-api-key-file': keyFile },
    );
    expect(connection).toMatchObject({
      nodes: ['https://flag-1:9200', 'https://flag-2:9200'],
      headers: { authorization: 'ApiKey from-file' },
      authSetting: '--es-api-key-file',
    });
    const missing = failure(() => esConnection({}, { 'es-password-file': join(dir, 'none'), 'es-username': 'u' }));
    expect(missing.code).toBe('DTQ_ERR_ES_BAD_CONNECTION_SETTINGS');
    expect(missing.message).toContain('--es-password-file');
  });

  it('refuses settings that do not fit together, naming them and not the secret', () => {
    const two = failure(() => esConnection({ DTQ_ES_API_KEY: 's3cret', DTQ_ES_BEARER_TOKEN: 't0ken' }));
    expect(two.message).toContain('DTQ_ES_API_KEY and DTQ_ES_BEARER_TOKEN are both set');
    expect(two.message).not.toMatch(/s3cret|t0ken/);
    expect(failure(() => esConnection({ DTQ_ES_USERNAME: 'u' })).message).toContain('without a password');
    expect(failure(() => esConnection({ DTQ_ES_PASSWORD: 'pw' })).message).toContain('without a user name');
    expect(failure(() => esConnection({ DTQ_ES_CA_FINGERPRINT: 'abc' })).message).toContain('not a SHA-256');
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, PEM);
    expect(failure(() => esConnection({ DTQ_ES_CA: caFile, DTQ_ES_CA_FINGERPRINT: FINGERPRINT })).message).toContain(
      'both set',
    );
  });

  it('reads the CA file or the fingerprint, and says which setting a TLS error is about', () => {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, PEM);
    const withCa = esConnection({ DTQ_ES_CA: caFile });
    expect(withCa.trustSetting).toBe(`DTQ_ES_CA (${caFile})`);
    expect(String(withCa.tls?.ca)).toBe(PEM);
    const pinned = esConnection({ DTQ_ES_CA_FINGERPRINT: FINGERPRINT.toUpperCase().match(/../g)?.join(':') });
    expect(pinned.tls?.caFingerprint).toBe(FINGERPRINT.toUpperCase().match(/../g)?.join(':'));
    expect(failure(() => esConnection({ DTQ_ES_CA: join(dir, 'missing.pem') })).code).toBe('DTQ_ERR_ES_CA_UNREADABLE');
    writeFileSync(join(dir, 'not-pem'), 'hello');
    expect(failure(() => esConnection({ DTQ_ES_CA: join(dir, 'not-pem') })).message).toContain('no PEM certificate');
    const tls = transportProblem(withCa, new HttpRequestError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'x'));
    expect(tls.message).toContain(`Check DTQ_ES_CA (${caFile})`);
    const plain = transportProblem(esConnection({}), new HttpRequestError('SELF_SIGNED_CERT_IN_CHAIN', 'x'));
    expect(plain.message).toContain("set DTQ_ES_CA to the CA's PEM file");
    expect(transportProblem(esConnection({}), new HttpRequestError('ECONNREFUSED', 'x'))).toMatchObject({
      code: 'DTQ_ERR_ES_UNREACHABLE',
    });
  });

  it('tells 401 from 403 and names the credential setting in both', () => {
    const connection = esConnection({ DTQ_ES_API_KEY: 'k3y' });
    const body = (reason: string) => JSON.stringify({ error: { type: 'security_exception', reason }, status: 401 });
    const unauthorized = authProblem(connection, { status: 401, text: body('unable to authenticate') }, 'GET /');
    expect(unauthorized).toMatchObject({ code: 'DTQ_ERR_ES_UNAUTHORIZED' });
    expect(unauthorized?.message).toContain('Check DTQ_ES_API_KEY');
    const forbidden = authProblem(connection, { status: 403, text: body('action denied') }, 'POST /_bulk');
    expect(forbidden).toMatchObject({ code: 'DTQ_ERR_ES_FORBIDDEN' });
    expect(forbidden?.message).toContain('refuses POST /_bulk (403: action denied)');
    expect(authProblem(connection, { status: 404, text: '' }, 'GET /')).toBeUndefined();
    for (const error of [unauthorized, forbidden]) expect(error?.message).not.toContain('k3y');
  });
});
