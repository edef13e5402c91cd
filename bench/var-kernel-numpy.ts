/**
 * The numpy baseline of bench/var-kernel.bench.ts: a pinned Python environment made on first
 * use (var/venv-bench, numpy and threadpoolctl installed with `pip --require-hashes` from
 * bench/numpy/requirements.lock) and one long-lived `bench/numpy/var_kernel.py` process that
 * runs the same VaR computation on request, on one BLAS thread.
 *
 * When Python, its venv module or the packages cannot be had, {@link startNumpy} says exactly
 * what is missing and what to install instead of throwing, so the bench reports the row as
 * skipped with the reason.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '..');
/** Where the environment is made (var/ is ignored by git). */
const VENV = join(ROOT, 'var', 'venv-bench');
const LOCK = join(import.meta.dirname, 'numpy', 'requirements.lock');
const SCRIPT = join(import.meta.dirname, 'numpy', 'var_kernel.py');
/** Hash of the lock file the environment was made from, to remake it when the lock changes. */
const STAMP = join(VENV, '.requirements-lock.sha256');

/** What the numpy process reports about itself. */
export interface NumpyInfo {
  python: string;
  numpy: string;
  blas: { internal_api: string; version: string; num_threads: number; architecture: string }[];
}

/** One request: the same inputs as the TypeScript kernel's. */
export interface NumpyRequest {
  positions: number;
  runs: number;
  simulations: number;
  block_size: number;
  rho: number;
  exposure: number;
  vol_base: number;
  vol_step: number;
  horizon_days: number;
  confidence: number;
  seed: number;
}

/** One answer: mean thread CPU ms of a run, wall ms of each run, and the run's VaR and ES. */
export interface NumpyResult {
  cpu_ms: number;
  wall_ms: number[];
  var: number;
  es: number;
}

/** A running baseline process. */
export interface NumpyBaseline {
  info: NumpyInfo;
  run(request: NumpyRequest): Promise<NumpyResult>;
  close(): void;
}

/** Why the baseline could not start: what is missing and how to get it. */
export interface NumpyUnavailable {
  missing: string;
}

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim();
  return { ok: result.status === 0, output };
}

const tail = (text: string) => text.split('\n').slice(-3).join(' / ');

/** Make var/venv-bench if it is missing or was made from another lock; returns what is missing, if anything. */
function ensureVenv(log: (line: string) => void): NumpyUnavailable | null {
  const lockHash = createHash('sha256').update(readFileSync(LOCK)).digest('hex');
  const python = join(VENV, 'bin', 'python');
  if (existsSync(python) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === lockHash) return null;

  const version = run('python3', ['--version']);
  if (!version.ok) {
    return {
      missing: `python3 is not on PATH (${tail(version.output)}): install Python 3.11–3.13 (Debian: apt-get install python3 python3-venv)`,
    };
  }
  log(
    `var-kernel: making the numpy baseline's environment ${VENV} (${version.output}, bench/numpy/requirements.lock)…`,
  );
  const venv = run('python3', ['-m', 'venv', '--clear', VENV]);
  if (!venv.ok) {
    return {
      missing: `python3 -m venv failed (${tail(venv.output)}): the venv module or ensurepip is missing (Debian: apt-get install python3-venv)`,
    };
  }
  const pip = run(join(VENV, 'bin', 'pip'), [
    'install',
    '--disable-pip-version-check',
    '--require-hashes',
    '--only-binary=:all:',
    '-r',
    LOCK,
  ]);
  if (!pip.ok) {
    return {
      missing: `pip could not install bench/numpy/requirements.lock into ${VENV} (${tail(pip.output)}): the lock pins numpy wheels for CPython 3.11–3.13 on x86-64 Linux; use one of those, or add the hash of your platform's wheel to the lock`,
    };
  }
  writeFileSync(STAMP, `${lockHash}\n`);
  log('var-kernel: numpy baseline environment ready');
  return null;
}

/**
 * Start the baseline: numpy single-threaded (OPENBLAS/OMP/MKL_NUM_THREADS=1) and without the
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides some machines set for old OpenBLAS builds,
 * which would slow a current one and flatter the comparison.
 */
export async function startNumpy(log: (line: string) => void): Promise<NumpyBaseline | NumpyUnavailable> {
  const missing = ensureVenv(log);
  if (missing !== null) return missing;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    PYTHONUNBUFFERED: '1',
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const child: ChildProcessWithoutNullStreams = spawn(join(VENV, 'bin', 'python'), [SCRIPT], { env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines: Interface = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await iterator.next();
    if (done) throw new Error(`bench/numpy/var_kernel.py exited (${child.exitCode}): ${stderr.trim()}`);
    return value;
  };
  let info: NumpyInfo;
  try {
    info = JSON.parse(await next()) as NumpyInfo;
  } catch (error) {
    child.kill();
    return { missing: `the numpy baseline did not start: ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    info,
    async run(request) {
      child.stdin.write(`${JSON.stringify(request)}\n`);
      return JSON.parse(await next()) as NumpyResult;
    },
    close() {
      child.stdin.end();
      lines.close();
    },
  };
}
