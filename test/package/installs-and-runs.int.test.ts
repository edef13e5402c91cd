/**
 * The package as a user gets it: `npm pack` (in a copy of the checkout), installed into an
 * empty directory, every bin run on the system's Node 20, the oldest line the package declares;
 * and installed beside Fastify, BullMQ and pino, its instrumentation subpaths imported, run and
 * type-checked as a service would.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { happyPath } from '../explorer/fixtures.ts';
import { removeDir, writeLogDir } from '../explorer/helpers.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { copyRepo, ROOT } from './repo-copy.ts';

/** The system's Node, older than the one the repository pins for its own scripts. */
const OLD_NODE = '/usr/bin/node';
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
  bin: Record<string, string>;
};
const BINS = Object.keys(manifest.bin);

let copy: string;
let consumer: string;
let service: string;
let logs: string;

/** The versions of the instrumented libraries the repository builds against. */
const repoManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const PEERS = ['fastify', 'bullmq', 'pino'].map((name) => `${name}@${repoManifest.dependencies[name]}`);

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(OLD_NODE, [join(consumer, 'node_modules', '.bin', bin), ...args], {
    cwd: consumer,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  copy = copyRepo('dtq-pack-src-');
  const packed = mkdtempSync(join(tmpdir(), 'dtq-pack-out-'));
  execFileSync('npm', ['pack', '--pack-destination', packed], { cwd: copy, stdio: 'pipe' });
  const [tarball] = readdirSync(packed).filter((name) => name.endsWith('.tgz'));
  consumer = mkdtempSync(join(tmpdir(), 'dtq-consumer-'));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packed, tarball as string)], {
    cwd: consumer,
    stdio: 'pipe',
  });
  // A service: the package with the libraries it instruments, which npm does not install by itself.
  service = mkdtempSync(join(tmpdir(), 'dtq-service-'));
  writeFileSync(join(service, 'package.json'), '{"name":"service","private":true,"type":"module"}\n');
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packed, tarball as string), ...PEERS],
    { cwd: service, stdio: 'pipe' },
  );
  rmSync(packed, { recursive: true, force: true });
  logs = writeLogDir(happyPath());
}, 240_000);

afterAll(() => {
  for (const dir of [copy, consumer, service]) if (dir) rmSync(dir, { recursive: true, force: true });
  if (logs) removeDir(logs);
});

describe('the packed package', () => {
  it('runs its tests on a Node older than 22, so a Node 22+ API would fail here', () => {
    const major = Number(execFileSync(OLD_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }));
    expect(major).toBeLessThan(22);
  });

  it('installs with nothing but itself: no Node runtime, no dependency to download', () => {
    const installed = readdirSync(join(consumer, 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(installed).toEqual(['dtq']);
    expect(existsSync(join(consumer, 'node_modules', 'node'))).toBe(false);
    const shipped = JSON.parse(readFileSync(join(consumer, 'node_modules', 'dtq', 'package.json'), 'utf8'));
    expect(shipped.dependencies).toBeUndefined();
    expect(shipped.scripts).toBeUndefined();
    expect(shipped.engines).toEqual(manifest.engines);
    expect(Object.keys(shipped.peerDependencies).sort()).toEqual(['bullmq', 'fastify', 'pino']);
    for (const peer of Object.keys(shipped.peerDependencies))
      expect(shipped.peerDependenciesMeta[peer]).toEqual({ optional: true });
  });

  it('ships the bundles and bins, not the sources, tests or build metadata', () => {
    const root = join(consumer, 'node_modules', 'dtq');
    expect(readdirSync(root).sort()).toEqual(['README.md', 'bin', 'dist', 'docs', 'package.json']);
    for (const name of ['fastify', 'bullmq', 'logger']) {
      expect(existsSync(join(root, 'dist', 'instrumentation', `${name}.js`))).toBe(true);
      expect(existsSync(join(root, 'dist', 'types', 'instrumentation', `${name}.d.ts`))).toBe(true);
    }
    const dist = readdirSync(join(root, 'dist'));
    for (const bin of BINS) expect(dist).toContain(`${bin}.js`);
    expect(dist.filter((name) => name.endsWith('.map') || name === 'meta.json')).toEqual([]);
  });

  it.each(BINS)('%s --help prints its usage and exits 0', (bin) => {
    const { code, stdout, stderr } = run(bin, ['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(`Usage:\n  ${bin} `);
    expect(stdout).toMatch(/\nExit codes: 0 ok · 1 failure · 2 usage error/);
  });

  it.each(BINS)('%s --version prints the package version', (bin) => {
    expect(run(bin, ['--version'])).toEqual({ code: 0, stdout: `${bin} ${manifest.version}\n`, stderr: '' });
  });

  it.each(BINS)('%s rejects an unknown option with the usage and exit 2', (bin) => {
    const { code, stdout, stderr } = run(bin, ['--no-such-option']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(new RegExp(`^${bin}: Unknown option '--no-such-option'\nUsage:\n`));
  });

  it.each(BINS)('%s --completion bash prints a script bash accepts', (bin) => {
    const { code, stdout } = run(bin, ['--completion', 'bash']);
    expect(code).toBe(0);
    expect(stdout).toContain(`complete -F _${bin.replace(/-/g, '_')} ${bin}\n`);
    expect(spawnSync('bash', ['-n'], { input: stdout }).status).toBe(0);
  });

  it('dtq-explore --plain reads a log directory and prints the request and its list', () => {
    const trace = run('dtq-explore', ['req-happy-1', '--plain', '--logs', logs]);
    expect({ code: trace.code, stderr: trace.stderr }).toEqual({ code: 0, stderr: '' });
    expect(trace.stdout).toContain('req-happy-1');
    expect(trace.stdout).toContain('task-happy-1');
    const list = run('dtq-explore', ['--plain', '--logs', logs, '--since', '3650d']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('req-happy-1');
    const json = run('dtq-explore', ['req-happy-1', '--json', '--logs', logs]);
    expect(JSON.parse(json.stdout)).toMatchObject({ correlation_id: 'req-happy-1' });
  });

  it('dtq-explore opens a request from the list in a terminal (Enter) and quits with q', async () => {
    const socket = `dtq-pack-${process.pid}`;
    const tmux = (...args: string[]) =>
      execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    const bin = join(consumer, 'node_modules', '.bin', 'dtq-explore');
    tmux(
      'new-session',
      '-d',
      '-s',
      'tui',
      '-x',
      '100',
      '-y',
      '30',
      `cd '${consumer}' && NO_COLOR=1 ${OLD_NODE} '${bin}' --logs '${logs}' --since 3650d 2>&1; echo EXIT=$?; sleep 60`,
    );
    const waitFor = async (text: string): Promise<string> => {
      let screen = '';
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(50)) {
        screen = tmux('capture-pane', '-p', '-t', 'tui');
        if (screen.includes(text)) return screen;
      }
      throw new Error(`the screen never showed ${text}:\n${screen}`);
    };
    try {
      await waitFor('req-happy-1');
      tmux('send-keys', '-t', 'tui', 'Enter');
      expect(await waitFor('task-happy-1')).not.toContain('withResolvers');
      tmux('send-keys', '-t', 'tui', 'q');
      expect(await waitFor('EXIT=')).toContain('EXIT=0');
    } finally {
      tmux('kill-server');
    }
  });

  it('dtq-dashboards-ndjson prints the saved objects when installed', () => {
    const { code, stdout } = run('dtq-dashboards-ndjson', []);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('type');
  });

  it('says in one line which Node it needs when the running one is older than engines', () => {
    const installed = join(consumer, 'node_modules', 'dtq', 'package.json');
    const original = readFileSync(installed, 'utf8');
    const running = execFileSync(OLD_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    try {
      writeFileSync(installed, original.replace(manifest.engines.node, '>=99.1.0'));
      for (const bin of BINS)
        expect(run(bin, ['--help'])).toEqual({
          code: 1,
          stdout: '',
          stderr: `${bin} needs Node.js >= 99.1.0; this is ${running}\n`,
        });
    } finally {
      writeFileSync(installed, original);
    }
  });

  it('sets up Elasticsearch, ships a log directory to it and explores a request from it on Node 20', async () => {
    const { url } = await testElasticsearch();
    const prefix = uniqueIndexPrefix();
    const env = { DTQ_ES_URL: url, DTQ_ES_INDEX_PREFIX: prefix, DTQ_LOG_STDOUT: '0' };
    const shipped = mkdtempSync(join(tmpdir(), 'dtq-pack-ship-'));
    try {
      const setup = run('dtq-setup', [], env);
      expect(setup.code, setup.stderr).toBe(0);
      // The template comes from the YAML shipped beside the bundle; the dashboards' step is compiled in.
      expect(setup.stdout).toMatch(/^index-template +(created|updated|unchanged) /m);
      expect(setup.stdout).toMatch(/^kibana-dashboards +skipped +DTQ_KIBANA_URL is not set/m);
      writeLogDir(happyPath(), shipped);
      const ship = run('dtq-ship', ['--once'], { ...env, DTQ_LOG_DIR: shipped });
      expect(ship.code, ship.stderr).toBe(0);
      await fetch(`${url}/${prefix}*/_refresh`, { method: 'POST' });
      const explore = run('dtq-explore', ['req-happy-1', '--json'], env);
      expect(explore.code, explore.stderr).toBe(0);
      expect(JSON.parse(explore.stdout)).toMatchObject({
        correlation_id: 'req-happy-1',
        source: { kind: 'elasticsearch' },
      });
    } finally {
      removeDir(shipped);
      await deleteIndicesWithPrefix(url, prefix);
    }
  });

  it("its instrumentation subpaths log a request and a job through the service's own Fastify and pino on Node 20", () => {
    const logDir = join(service, 'logs');
    writeFileSync(join(service, 'service.mjs'), SERVICE_SCRIPT);
    const result = spawnSync(OLD_NODE, ['service.mjs'], {
      cwd: service,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DTQ_LOG_DIR: logDir },
      timeout: 60_000,
    });
    expect({ code: result.status, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ status: 200, echoed: 'req-pack-1' });
    const lines = readFileSync(join(logDir, 'svc-1.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const actions = lines.map((line) => line['event.action']);
    expect(actions).toEqual(['http.request.received', 'task.enqueued', 'http.request.completed', 'task.started']);
    for (const line of lines) {
      expect(line).toMatchObject({
        'service.name': 'api',
        correlation_id: 'req-pack-1',
        'trace.id': '0af7651916cd43dd8448eb211c80319c',
      });
    }
    // The API's span is the caller's child; the job's lines name it as their parent.
    const apiSpan = lines[0]['span.id'];
    expect(lines[0]['parent.id']).toBe('b7ad6b7169203331');
    expect(lines[3]).toMatchObject({ task_id: 'job-1', 'task.queue': 'q', 'parent.id': apiSpan, 'task.attempt': 1 });
    expect(lines[2]).toMatchObject({ 'http.response.status_code': 200, 'event.outcome': 'success' });
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it("its instrumentation subpaths come with types a service's TypeScript resolves, README's example compiling", () => {
    writeFileSync(
      join(service, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          // A service has @types/node; this one borrows the repository's.
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['typed.ts'],
      }),
    );
    writeFileSync(join(service, 'typed.ts'), readmeExample());
    const tsc = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', service], { encoding: 'utf8' });
    expect({ code: tsc.status, stdout: tsc.stdout }).toEqual({ code: 0, stdout: '' });
    // A wrong use is caught, so the check above looked at real declarations.
    writeFileSync(
      join(service, 'typed.ts'),
      `${readmeExample()}\nvoid addTracedJob(queue, 'x', {}, { log: logger, context: { correlationId: 1 } });\n`,
    );
    const wrong = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', service], { encoding: 'utf8' });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toMatch(/typed\.ts\(\d+,\d+\): error TS2322/);
  });
});

/** A service's code: a Fastify app instrumented by the package, a request that enqueues, a worker's first line. */
const SERVICE_SCRIPT = `
import Fastify from 'fastify';
import { correlationIdEcho, fastifyInstrumentation, requestLog, traceparentOf } from 'dtq/instrumentation/fastify';
import { jobLog, logTaskEnqueued, logTaskStarted, withTraceContext } from 'dtq/instrumentation/bullmq';
import { createLogger } from 'dtq/instrumentation/logger';

const logger = createLogger({ service: 'api', instance: 'svc-1', stdout: false });
const app = Fastify({ ...fastifyInstrumentation({ logger }) });
app.register(correlationIdEcho);
let data;
app.get('/work', async (request) => {
  data = withTraceContext({ n: 1 }, { correlationId: request.id, traceparent: traceparentOf(request) });
  logTaskEnqueued(requestLog(request), { taskId: 'job-1', taskType: 'work', queue: 'q', maxAttempts: 1 });
  return { ok: true };
});
const reply = await app.inject({
  url: '/work',
  headers: {
    'x-request-id': 'req-pack-1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    authorization: 'Bearer secret-token',
  },
});
const job = { id: 'job-1', name: 'work', queueName: 'q', data, opts: { attempts: 1 }, attemptsStarted: 1, attemptsMade: 0, stalledCounter: 0 };
logTaskStarted(jobLog(logger, job), job);
await app.close();
logger.flush();
console.log(JSON.stringify({ status: reply.statusCode, echoed: reply.headers['x-request-id'] }));
`;

/** README's example, typed as a service would compile it: what it leaves to the reader is declared here. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Instrumenting a Node service'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md has no ts example under "Instrumenting a Node service"');
  return `${block}\ndeclare const connection: { host: string; port: number };\ndeclare function render(data: unknown): Promise<string>;\n`;
}
