/**
 * `--help`, `--version` and a bad flag of every command, run as real processes in a fresh copy
 * of the checkout, with every URL pointing at a TCP server of this test: each prints what it
 * should, exits with the documented code, connects to nothing and writes no file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changes, copyRepo, ROOT, snapshot } from '../package/repo-copy.ts';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

/** npm scripts that take arguments, and the name their usage shows. */
const SCRIPTS: Record<string, string> = {
  workload: 'npm run workload --',
  demo: 'npm run demo --',
  load: 'npm run load --',
  es: 'npm run es --',
  'elk:setup': 'dtq-setup',
  ship: 'dtq-ship',
  explore: 'dtq-explore',
  fidelity: 'npm run fidelity --',
  bench: 'npm run bench --',
  dashboards: 'dtq-dashboards-ndjson',
  'dashboards:import': 'dtq-dashboards',
};

interface Command {
  readonly label: string;
  readonly usageName: string;
  readonly argv: (args: string[]) => [string, string[]];
}

const COMMANDS: Command[] = [
  ...Object.entries(SCRIPTS).map(([script, usageName]) => ({
    label: `npm run ${script}`,
    usageName,
    argv: (args: string[]): [string, string[]] => ['npm', ['run', '-s', script, '--', ...args]],
  })),
  ...Object.entries(manifest.bin).map(([bin, path]) => ({
    label: bin,
    usageName: bin,
    argv: (args: string[]): [string, string[]] => [process.execPath, [path, ...args]],
  })),
];

const cliDoc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
let copy: string;
let server: Server;
const connections: string[] = [];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  copy = copyRepo('dtq-help-');
  // The bins load dist/, which is built, not copied; build it before the snapshots are taken.
  execFileSync('npm', ['run', '-s', 'build'], { cwd: copy, stdio: 'pipe' });
  server = createServer((socket) => {
    connections.push(`${socket.remoteAddress}:${socket.remotePort}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DTQ_ES_URL: `http://127.0.0.1:${port}`,
    DTQ_KIBANA_URL: `http://127.0.0.1:${port}`,
    DTQ_REDIS_URL: `redis://127.0.0.1:${port}`,
    DTQ_HTTP_PORT: String(port),
    DTQ_LOG_DIR: join(copy, 'var', 'logs'),
    DTQ_VAR_DIR: join(copy, 'var'),
  };
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** Run a command to its end (async, so the server keeps accepting while it runs). */
async function run(command: Command, args: string[], stopAtFirstConnection = false) {
  const [file, argv] = command.argv(args);
  const before = snapshot(copy);
  const seen = connections.length;
  const child = spawn(file, argv, { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  if (stopAtFirstConnection) {
    await Promise.race([once(server, 'connection'), exited]);
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }
  const [code] = await exited;
  // A connection accepted just before the exit is reported on the next turns of the loop.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout, stderr, written: changes(before, snapshot(copy)), connections: connections.slice(seen) };
}

describe.each(COMMANDS)('$label', (command) => {
  it('--help prints the usage and exits 0, connecting to nothing and writing nothing', async () => {
    const { code, stdout, stderr, written, connections } = await run(command, ['--help']);
    expect({ code, stderr, written, connections }).toEqual({ code: 0, stderr: '', written: [], connections: [] });
    expect(stdout).toContain(`\nUsage:\n  ${command.usageName} `);
    expect(stdout).toMatch(/\nExit codes: 0 ok · 1 [^·]+ · 2 usage error/);
    // docs/cli.md names every option the help lists.
    const options = stdout.slice(
      stdout.indexOf('\nOptions:\n'),
      stdout.indexOf('\n\n', stdout.indexOf('\nOptions:\n') + 1),
    );
    for (const [, option] of options.matchAll(/ --([a-z-]+)/g))
      if (!['help', 'version', 'completion'].includes(option as string)) expect(cliDoc).toContain(`\`--${option}`);
  });

  it("--version prints package.json's version", async () => {
    const { code, stdout, written, connections } = await run(command, ['--version']);
    const name = command.usageName.includes(' ') ? 'dtq' : command.usageName;
    expect({ code, stdout, written, connections }).toEqual({
      code: 0,
      stdout: `${name} ${manifest.version}\n`,
      written: [],
      connections: [],
    });
  });

  it('an unknown flag exits 2 with the usage, doing nothing else', async () => {
    const { code, stdout, stderr, written, connections } = await run(command, ['--no-such-flag']);
    expect({ code, stdout, written, connections }).toEqual({ code: 2, stdout: '', written: [], connections: [] });
    expect(stderr).toContain(`${command.usageName}: Unknown option '--no-such-flag'\nUsage:\n  ${command.usageName} `);
  });
});

describe('the harness', () => {
  it('sees a connection when a command does connect: dtq-dashboards without --help reaches for Kibana', async () => {
    const command = COMMANDS.find((c) => c.label === 'dtq-dashboards') as Command;
    const { connections } = await run(command, [], true);
    expect(connections.length).toBeGreaterThan(0);
  });
});
