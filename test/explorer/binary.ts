/**
 * The real dtq-explore binary for tests: bin/dtq-explore.js loading dist/. The bundle is
 * rebuilt when its sources changed since the last build, under a lock, so parallel test files
 * neither rebuild twice nor run a half-written bundle.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The launcher users run. */
export const BIN = join(ROOT, 'bin', 'dtq-explore.js');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Folders whose code the explorer bundle holds. */
const BUNDLED = ['explorer', 'contract', 'elk', 'dashboards'];

/** Build dist/ unless it is newer than every source the bundle holds. */
export function ensureBuilt(): void {
  const script = `
    const fs = require('node:fs');
    const meta = ${JSON.stringify(join(ROOT, 'dist', 'meta.json'))};
    const built = fs.existsSync(meta) ? fs.statSync(meta).mtimeMs : 0;
    process.exit(built >= ${Math.max(...BUNDLED.map((dir) => newest(join(ROOT, dir))), statSync(join(ROOT, 'scripts', 'build-explorer.ts')).mtimeMs)} ? 0 : 1);`;
  const lock = join(tmpdir(), 'dtq-explore-build.lock');
  execFileSync(
    'flock',
    [
      lock,
      'sh',
      '-c',
      `"${process.execPath}" -e "$1" || "${process.execPath}" scripts/build-explorer.ts`,
      'sh',
      script,
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

/** Result of one run of the binary. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run the binary beyond its arguments. */
export interface RunOptions {
  /** Written to its standard input, which is closed after it (ignored when absent). */
  readonly input?: string | Buffer;
  /** Run as this user id (through setpriv; the tests run as root in CI containers). */
  readonly uid?: number;
}

/** Run the binary without a terminal, with args and extra environment. */
export function runExplore(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const command =
      options.uid === undefined
        ? [process.execPath, BIN, ...args]
        : [
            'setpriv',
            `--reuid=${options.uid}`,
            `--regid=${options.uid}`,
            '--clear-groups',
            process.execPath,
            BIN,
            ...args,
          ];
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: ROOT,
      env: { ...process.env, DTQ_ES_URL: '', NO_COLOR: '', ...env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
