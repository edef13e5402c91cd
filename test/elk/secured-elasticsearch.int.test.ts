/**
 * Secured Elasticsearch, end to end with the real commands: `dtq-setup`, `dtq-ship --once` and
 * `dtq-explore` reach the real test Elasticsearch through a TLS-terminating, authenticating
 * proxy (test/utils/auth-proxy.ts, answering 401/403 as Elasticsearch's security does) whose
 * certificates openssl made for this run. Each kind of credentials works, each wrong setting is
 * named in the error, and no secret appears in any output, log file or command line.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, runExplore } from '../explorer/binary.ts';
import { logLine, markerCounts } from '../shipper/fixtures.ts';
import { type AuthProxy, startAuthProxy } from '../utils/auth-proxy.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { freePort } from '../utils/free-port.ts';
import { runToExit } from '../utils/processes.ts';
import { makeTestCerts, type TestCerts } from '../utils/test-certs.ts';
import { waitFor } from '../utils/wait.ts';

const PASSWORD = 'Corr3ct-h0rse-pw';
const READER_PASSWORD = 'R3ader-only-pw';
const WRONG_PASSWORD = 'Wr0ng-guess-pw';
const API_KEY_ID = 'key-id-7';
const API_KEY_SECRET = 'Ap1-k3y-s3cret-part';
const API_KEY = Buffer.from(`${API_KEY_ID}:${API_KEY_SECRET}`).toString('base64');
const TOKEN = 'B3arer-t0ken-s3cret';
const SECRETS = [PASSWORD, READER_PASSWORD, WRONG_PASSWORD, API_KEY, API_KEY_SECRET, TOKEN];

let certs: TestCerts;
let proxy: AuthProxy;
let esUrl = '';
const prefix = uniqueIndexPrefix();
const work = mkdtempSync(join(tmpdir(), 'dtq-secured-'));
/** Everything any command printed, for the final check that no secret is in it. */
const printed: string[] = [];

async function run(script: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  const result = await runToExit(process.execPath, [join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, DTQ_LOG_STDOUT: '0', DTQ_ES_INDEX_PREFIX: prefix, ...env },
  });
  printed.push(result.output);
  return result;
}

async function explore(args: readonly string[], env: NodeJS.ProcessEnv) {
  const result = await runExplore(args, { DTQ_ES_INDEX_PREFIX: prefix, ...env });
  printed.push(result.stdout, result.stderr);
  return result;
}

/** A log directory with `count` lines of one request, marker-tagged. */
function logDirWith(name: string, marker: string, count: number): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const lines = Array.from({ length: count }, (_, i) => logLine(i % 2 === 0 ? 'api' : 'worker', `${marker}-${i}`, i));
  writeFileSync(join(dir, 'api-1.ndjson'), `${lines.join('\n')}\n`);
  return dir;
}

const basic = (password: string, user = 'elastic') => ({
  DTQ_ES_URL: proxy.url,
  DTQ_ES_USERNAME: user,
  DTQ_ES_PASSWORD: password,
  DTQ_ES_CA: certs.caFile,
});

beforeAll(async () => {
  certs = makeTestCerts();
  esUrl = (await testElasticsearch()).url;
  proxy = await startAuthProxy({
    target: esUrl,
    key: readFileSync(certs.serverKey),
    cert: readFileSync(certs.serverChain),
    principals: {
      users: { elastic: { password: PASSWORD, role: 'all' }, reader: { password: READER_PASSWORD, role: 'read' } },
      apiKeys: { [API_KEY]: 'all' },
      tokens: { [TOKEN]: 'read' },
    },
  });
  ensureBuilt();
});

afterAll(async () => {
  await proxy?.close();
  if (esUrl) await deleteIndicesWithPrefix(esUrl, prefix);
  certs?.remove();
  rmSync(work, { recursive: true, force: true });
});

describe('secured Elasticsearch behind TLS and authentication', () => {
  it('sets up over https with a user and password, trusting the CA file', async () => {
    const { code, output } = await run('elk/setup-cli.ts', [], basic(PASSWORD));
    expect(output).toMatch(/index-template\s+(created|updated|unchanged)/);
    expect(code).toBe(0);
    expect(proxy.requests.some((r) => r.scheme === 'Basic' && r.path.startsWith('/_index_template/'))).toBe(true);
  });

  it('ships every line with an API key read from --es-api-key-file', async () => {
    const logDir = logDirWith('api-key', 'apikey', 200);
    const keyFile = join(work, 'api-key.txt');
    writeFileSync(keyFile, `${API_KEY}\n`);
    const { code, output } = await run('shipper/cli.ts', ['--once', '--es', proxy.url, '--es-api-key-file', keyFile], {
      DTQ_LOG_DIR: logDir,
      DTQ_ES_CA: certs.caFile,
    });
    expect(output).not.toMatch(/DTQ_ERR/);
    expect(code).toBe(0);
    const counts = await markerCounts(esUrl, prefix);
    expect(Array.from({ length: 200 }, (_, i) => counts.get(`apikey-${i}`))).toEqual(Array(200).fill(1));
    expect(proxy.requests.some((r) => r.scheme === 'ApiKey' && r.path.startsWith('/_bulk') && r.status === 200)).toBe(
      true,
    );
  });

  it('reads a trace with a bearer token, the CA pinned by its fingerprint', async () => {
    const { code, stdout } = await explore(['req-apikey-0', '--json'], {
      DTQ_ES_URL: proxy.url,
      DTQ_ES_BEARER_TOKEN: TOKEN,
      DTQ_ES_CA_FINGERPRINT: certs.caFingerprint,
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ correlation_id: 'req-apikey-0' });
    expect(proxy.requests.some((r) => r.scheme === 'Bearer' && r.path.includes('_search') && r.status === 200)).toBe(
      true,
    );
  });

  it('names DTQ_ES_USERNAME/DTQ_ES_PASSWORD when the password is wrong (401), in every command', async () => {
    const logDir = logDirWith('wrong-password', 'wrongpw', 10);
    const setup = await run('elk/setup-cli.ts', [], basic(WRONG_PASSWORD));
    const ship = await run('shipper/cli.ts', ['--once'], { ...basic(WRONG_PASSWORD), DTQ_LOG_DIR: logDir });
    for (const { code, output } of [setup, ship]) {
      expect(output).toContain('DTQ_ERR_ES_UNAUTHORIZED');
      expect(output).toContain('DTQ_ES_USERNAME/DTQ_ES_PASSWORD');
      expect(code).toBe(1);
    }
    const read = await explore(['req-apikey-0', '--json'], basic(WRONG_PASSWORD));
    expect(read.stderr).toContain('DTQ_ERR_ES_UNAUTHORIZED');
    expect(read.stderr).toContain('DTQ_ES_USERNAME/DTQ_ES_PASSWORD');
    expect(read.code).toBe(4);
    const counts = await markerCounts(esUrl, prefix);
    expect(counts.has('wrongpw-0')).toBe(false);
  });

  it('says 403 apart from 401: a user who may only read cannot ship, and may read', async () => {
    const logDir = logDirWith('reader', 'reader', 10);
    const ship = await run('shipper/cli.ts', ['--once'], {
      ...basic(READER_PASSWORD, 'reader'),
      DTQ_LOG_DIR: logDir,
      DTQ_SHIPPER_SETUP: '0',
    });
    expect(ship.output).toContain('DTQ_ERR_ES_FORBIDDEN');
    expect(ship.output).toContain('POST /_bulk');
    expect(ship.output).not.toContain('DTQ_ERR_ES_UNAUTHORIZED');
    expect(ship.code).toBe(1);
    const read = await explore(['req-apikey-1', '--json'], basic(READER_PASSWORD, 'reader'));
    expect(read.code).toBe(0);
  });

  it('gives a TLS error naming DTQ_ES_CA when the CA is the wrong one, or none is set', async () => {
    const wrongCa = { ...basic(PASSWORD), DTQ_ES_CA: certs.otherCaFile };
    const setup = await run('elk/setup-cli.ts', [], wrongCa);
    expect(setup.output).toContain('DTQ_ERR_ES_TLS');
    expect(setup.output).toContain(`DTQ_ES_CA (${certs.otherCaFile})`);
    expect(setup.code).toBe(1);
    const read = await explore(['req-apikey-0', '--json'], wrongCa);
    expect(read.stderr).toContain('DTQ_ERR_ES_TLS');
    expect(read.code).toBe(4);
    const noCa = await run('elk/setup-cli.ts', [], { ...basic(PASSWORD), DTQ_ES_CA: '' });
    expect(noCa.output).toContain('DTQ_ERR_ES_TLS');
    expect(noCa.output).toMatch(/set DTQ_ES_CA to the CA's PEM file/);
    expect(noCa.code).toBe(1);
  });

  it('refuses a server whose chain does not hold the pinned fingerprint, before sending a byte of the request', async () => {
    const before = proxy.requests.length;
    const logDir = logDirWith('pinned', 'pinned', 10);
    const ship = await run('shipper/cli.ts', ['--once'], {
      ...basic(PASSWORD),
      DTQ_ES_CA: '',
      DTQ_ES_CA_FINGERPRINT: certs.otherCaFingerprint,
      DTQ_LOG_DIR: logDir,
    });
    expect(ship.output).toContain('DTQ_ERR_ES_TLS');
    expect(ship.output).toContain('CERT_PIN_MISMATCH');
    expect(ship.output).toContain('Check DTQ_ES_CA_FINGERPRINT');
    expect(ship.code).toBe(1);
    // The credentials never left: the proxy saw no request at all.
    expect(proxy.requests.length).toBe(before);
  });

  it('says at once that Elasticsearch is unreachable, then counts the retries; no secret in its command line', async () => {
    const logDir = logDirWith('unreachable', 'unreachable', 10);
    const passwordFile = join(work, 'password.txt');
    writeFileSync(passwordFile, PASSWORD);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'shipper/cli.ts'),
        '--once',
        '--es',
        `https://127.0.0.1:${port}`,
        '--es-username',
        'elastic',
        '--es-password-file',
        passwordFile,
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DTQ_LOG_DIR: logDir,
          DTQ_LOG_STDOUT: '0',
          DTQ_ES_INDEX_PREFIX: prefix,
          DTQ_ES_CA: certs.caFile,
          DTQ_SHIPPER_BACKOFF_MAX_MS: '500',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitFor('the first failure on stderr', () => output.includes('failed'), { timeoutMs: 15_000 });
      expect(child.exitCode).toBeNull();
      expect(output).toContain(`Elasticsearch at https://127.0.0.1:${port} failed`);
      expect(output).toContain('ECONNREFUSED');
      await waitFor('the third retry on stderr', () => output.includes('retry 3 '), { timeoutMs: 30_000 });
      const commandLine = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
      expect(commandLine).toContain('--es-password-file');
      for (const secret of SECRETS) expect(commandLine).not.toContain(secret);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      printed.push(output);
    }
  });

  it('printed no secret, and logged none into the shipped log files', () => {
    expect(printed.length).toBeGreaterThan(10);
    const logs = readdirSync(work, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ndjson'))
      .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
    expect(logs.some((text) => text.includes('shipper'))).toBe(true);
    for (const text of [...printed, ...logs]) for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});
