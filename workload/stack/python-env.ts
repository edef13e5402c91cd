/**
 * The Python side of the Celery workload (`--system celery`): a virtual environment under
 * var/ with the packages of python/requirements.lock (pinned, with hashes, from PyPI) and the
 * repository's own dtq_instrumentation, installed on first use and again whenever the lock or
 * the instrumentation's source changes (a stamp file holds their hash).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dtqError } from '../../contract/dtq-error.ts';
import { findProgram, INSTALL_SCRIPT } from './binaries.ts';
import { STACK_ERRORS } from './errors.ts';

/** Repository root (options.ts says the same; not imported, to keep the options free of cycles). */
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
/** Where the Python code lives: the workload runs with this as its working directory. */
export const PYTHON_ROOT = join(REPO_ROOT, 'python');
/** The pinned requirements, with hashes. */
const REQUIREMENTS_LOCK = join(PYTHON_ROOT, 'requirements.lock');
/** The instrumentation package, installed into the environment with `pip install <path>`. */
export const INSTRUMENTATION_PACKAGE = join(PYTHON_ROOT, 'dtq_instrumentation');

const STAMP = '.dtq-installed';
/** A lock older than this was left by a process that died while installing. */
const LOCK_STALE_MS = 15 * 60_000;

/** A ready virtual environment. */
export interface PythonEnv {
  readonly dir: string;
  /** The environment's interpreter. */
  readonly python: string;
}

/** Hash of what the environment is built from: the lock and the instrumentation's sources. */
export function pythonEnvFingerprint(): string {
  const hash = createHash('sha256');
  // What gets installed: the package's own tests are not part of it.
  const files = [
    REQUIREMENTS_LOCK,
    join(INSTRUMENTATION_PACKAGE, 'pyproject.toml'),
    ...filesUnder(join(INSTRUMENTATION_PACKAGE, 'src')),
  ];
  for (const file of files) {
    hash.update(relative(REPO_ROOT, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === '__pycache__' || name.endsWith('.egg-info') || name === 'build' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Run one step; on failure throw DTQ_ERR_STACK_PYTHON_ENV_FAILED with its last output. */
function run(step: string, command: string, args: readonly string[], venv: string): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const keep = (chunk: Buffer): void => {
      output.push(...chunk.toString('utf8').split('\n'));
      if (output.length > 400) output.splice(0, output.length - 400);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => output.push(`spawn failed: ${error.message}`));
    child.once('close', (code, signal) => {
      if (code === 0) return resolveRun();
      const tail = output
        .filter((line) => line.trim() !== '')
        .slice(-15)
        .join('\n');
      reject(dtqError(STACK_ERRORS.PYTHON_ENV_FAILED, { step, exitCode: code ?? signal, venv, tail }));
    });
  });
}

/** Options of {@link ensurePythonEnv}. */
export interface PythonEnvOptions {
  /** The environment's directory (the stack uses `<varDir>/venv-celery`). */
  readonly dir: string;
  /** Where to say what is happening. */
  readonly say: (message: string) => void;
  /** Install Debian's python3-venv with apt-get when it is missing and we are root. */
  readonly installMissing?: boolean;
}

/**
 * The environment at `dir`, created and filled first when it is missing or stale. Creating it
 * needs python3 with its venv module (Debian: python3-venv; scripts/install-system-deps.sh).
 */
export async function ensurePythonEnv(options: PythonEnvOptions): Promise<PythonEnv> {
  const python = join(options.dir, 'bin', 'python');
  const fingerprint = pythonEnvFingerprint();
  if (isCurrent(options.dir, fingerprint)) return { dir: options.dir, python };
  // Two stacks (or test files) starting at once must not install into one directory together;
  // the lock sits beside the environment, so its parent (var/ of a fresh checkout) must exist.
  mkdirSync(dirname(resolve(options.dir)), { recursive: true });
  return withLock(`${options.dir}.lock`, async () => {
    if (!isCurrent(options.dir, fingerprint)) await install(options, fingerprint);
    return { dir: options.dir, python };
  });
}

function isCurrent(dir: string, fingerprint: string): boolean {
  const stampPath = join(dir, STAMP);
  return (
    existsSync(join(dir, 'bin', 'python')) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === fingerprint
  );
}

async function withLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let age = 0;
      try {
        age = Date.now() - statSync(lockDir).mtimeMs;
      } catch {
        continue; // released between the two calls
      }
      if (age > LOCK_STALE_MS) rmSync(lockDir, { recursive: true, force: true });
      else await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

async function install(options: PythonEnvOptions, fingerprint: string): Promise<void> {
  const { dir, say } = options;
  const python = join(dir, 'bin', 'python');
  const stampPath = join(dir, STAMP);
  if (!existsSync(python)) {
    const system = findProgram('python3');
    if (system === undefined || !(await succeeds(system, ['-c', 'import ensurepip, venv']))) {
      if (options.installMissing !== false && process.getuid?.() === 0) {
        say('python3-venv missing: installing it with apt-get (running as root)');
        await run('scripts/install-system-deps.sh --python', 'bash', [INSTALL_SCRIPT, '--python'], dir);
      }
    }
    const python3 = findProgram('python3') ?? 'python3';
    const shown = relative(REPO_ROOT, dir);
    say(`first use: creating the virtual environment ${shown.startsWith('..') || shown === '' ? dir : shown}`);
    await run(`${python3} -m venv`, python3, ['-m', 'venv', dir], dir);
  }
  say(
    'installing the pinned Python packages of python/requirements.lock from PyPI (with hashes) and python/dtq_instrumentation; this takes up to a minute',
  );
  const pip = [python, '-m', 'pip', '--disable-pip-version-check', '--no-input', '-q'];
  await run(
    'pip install --require-hashes -r python/requirements.lock',
    pip[0] as string,
    [...pip.slice(1), 'install', '--require-hashes', '-r', REQUIREMENTS_LOCK],
    dir,
  );
  // setuptools comes from the lock, so building the local package needs nothing else from PyPI.
  await run(
    'pip install python/dtq_instrumentation',
    pip[0] as string,
    [...pip.slice(1), 'install', '--no-deps', '--no-build-isolation', '--force-reinstall', INSTRUMENTATION_PACKAGE],
    dir,
  );
  writeFileSync(stampPath, fingerprint);
  say('Python environment ready');
}

function succeeds(command: string, args: readonly string[]): Promise<boolean> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', () => resolveRun(false));
    child.once('close', (code) => resolveRun(code === 0));
  });
}
