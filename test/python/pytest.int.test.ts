/**
 * The Python tests (pytest) of python/dtq_instrumentation and python/celery_workload, run from
 * `npm test` in the environment the workload uses; and the instrumentation package installed
 * with `pip install` into an empty environment, where it imports with nothing else installed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { INSTRUMENTATION_PACKAGE, PYTHON_ROOT, type PythonEnv } from '../../workload/stack/python-env.ts';
import { run, testPythonEnv } from './python-env.ts';

let env: PythonEnv;
const scratch = mkdtempSync(join(tmpdir(), 'dtq-pip-'));

beforeAll(async () => {
  env = await testPythonEnv();
}, 900_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

it('passes every pytest test of the instrumentation and the Celery workload', async () => {
  const result = await run(
    env.python,
    ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'dtq_instrumentation/tests', 'celery_workload/tests'],
    { cwd: PYTHON_ROOT },
  );
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  const summary = /(\d+) passed/.exec(result.stdout);
  expect(Number(summary?.[1])).toBeGreaterThanOrEqual(30);
  expect(result.stdout).not.toMatch(/\d+ (failed|error)/);
}, 120_000);

it('installs with pip into an empty environment and imports its Starlette and Celery hooks without either installed', async () => {
  const wheels = join(scratch, 'wheels');
  const built = await run(env.python, [
    ...['-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', wheels],
    INSTRUMENTATION_PACKAGE,
  ]);
  expect(built.code, built.stderr).toBe(0);
  const [wheel] = readdirSync(wheels).filter((name) => name.endsWith('.whl'));
  expect(wheel).toMatch(/^dtq_instrumentation-.+-py3-none-any\.whl$/);

  const empty = join(scratch, 'venv');
  expect((await run(env.python, ['-m', 'venv', empty])).code).toBe(0);
  const python = join(empty, 'bin', 'python');
  const installed = await run(python, ['-m', 'pip', 'install', '-q', '--no-index', join(wheels, wheel as string)]);
  expect(installed.code, installed.stderr).toBe(0);
  // The hook modules import; Starlette and Celery are needed only when their hooks are used.
  const probe = await run(python, [
    '-c',
    [
      'import importlib.util, io, json',
      'import dtq_instrumentation.starlette, dtq_instrumentation.celery',
      'from dtq_instrumentation import configure_logging, EVENTS',
      'assert importlib.util.find_spec("starlette") is None and importlib.util.find_spec("celery") is None',
      's = io.StringIO(); configure_logging("api", "api-1", stream=s).event(EVENTS.SERVICE_STARTED, "up")',
      'print(json.loads(s.getvalue())["event.action"])',
    ].join('\n'),
  ]);
  expect(probe.code, probe.stderr).toBe(0);
  expect(probe.stdout.trim()).toBe('service.started');
}, 300_000);
