/**
 * The Python environment the Python tests run in: the same var/venv-celery that
 * `npm run workload -- --system celery` makes, built from python/requirements.lock on first use
 * (ensurePythonEnv locks it, so test files starting together install once).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensurePythonEnv, type PythonEnv, REPO_ROOT } from '../../workload/stack/python-env.ts';

/** The shared environment's directory. */
export const TEST_PYTHON_ENV_DIR = join(REPO_ROOT, 'var', 'venv-celery');

/** The environment, made or refreshed first when needed. */
export function testPythonEnv(): Promise<PythonEnv> {
  return ensurePythonEnv({ dir: TEST_PYTHON_ENV_DIR, say: () => {} });
}

/** Output and exit code of a finished command. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command to its end (the integration lane may start processes). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Finished> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', (error) => resolveRun({ code: 127, stdout, stderr: `${stderr}${error.message}` }));
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}
