import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pythonEnvFingerprint } from '../../workload/stack/python-env.ts';
import { resolveStackOptions } from '../../workload/stack/stack.ts';
import { celerySystem, nodeSystem } from '../../workload/stack/systems.ts';

describe('reference systems', () => {
  it('runs dtq’s own workload unless told otherwise, and the Celery one from DTQ_STACK_SYSTEM', () => {
    expect(resolveStackOptions({}, { DTQ_VAR_DIR: '/tmp/v' })).toMatchObject({
      system: 'node',
      celeryConcurrency: 2,
      pythonEnvDir: '/tmp/v/venv-celery',
    });
    expect(
      resolveStackOptions(
        {},
        { DTQ_STACK_SYSTEM: 'celery', DTQ_CELERY_CONCURRENCY: '4', DTQ_PYTHON_ENV_DIR: '/opt/venv' },
      ),
    ).toMatchObject({ system: 'celery', celeryConcurrency: 4, pythonEnvDir: '/opt/venv' });
  });

  it('refuses an unknown system naming the variable and the choices', () => {
    expect(() => resolveStackOptions({}, { DTQ_STACK_SYSTEM: 'rq' })).toThrow(/DTQ_STACK_SYSTEM[\s\S]*celery/);
  });

  it('starts Celery workers on high, medium and low in that order, each under its instance name', () => {
    const launch = celerySystem('/v/bin/python', 3).worker('worker-2');
    expect(launch.command).toBe('/v/bin/python');
    const args = launch.args.join(' ');
    expect(args).toContain('-m celery --quiet -A celery_workload.worker.main worker');
    expect(args).toContain('--queues high,medium,low');
    expect(args).toContain('--hostname worker-2@%h');
    expect(args).toContain('--concurrency 3');
    expect(existsSync(launch.entry)).toBe(true);
    expect(existsSync(celerySystem('/v/bin/python', 1).api().entry)).toBe(true);
  });

  it('keeps the Node commands the compose file runs', () => {
    expect(nodeSystem().api().args).toEqual(['workload/api/main.ts']);
    expect(nodeSystem().worker('worker-1').args).toEqual(['workload/worker/main.ts']);
  });

  it('fingerprints the Python environment by the lock and the package sources, the same on every call', () => {
    expect(pythonEnvFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(pythonEnvFingerprint()).toBe(pythonEnvFingerprint());
  });
});
