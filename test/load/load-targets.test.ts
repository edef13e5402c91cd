import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../contract/cli-args.ts';
import { LOAD_CLI, loadOptions } from '../../workload/load/options.ts';
import { planRequests } from '../../workload/load/plan.ts';
import { createdTaskId } from '../../workload/load/runner.ts';
import { CELERY_STATE_WORDS, celeryVarBody, loadTarget } from '../../workload/load/targets.ts';
import { REPO_ROOT } from '../../workload/stack/options.ts';

/** The keyword parameters `tasks.calculate_var` declares, read from its source. */
function celeryTaskParameters(): string[] {
  const source = readFileSync(join(REPO_ROOT, 'python/celery_workload/worker/tasks.py'), 'utf8');
  const signature = /def calculate_var\(([^)]*)\)/s.exec(source)?.[1];
  if (signature === undefined) throw new Error('tasks.py declares no calculate_var');
  return signature
    .split(',')
    .map((part) => part.trim().split(/[:=\s]/)[0] ?? '')
    .filter((name) => name !== '' && name !== 'self');
}

/** The states services/task_service.py maps to the contract's words. */
function celeryStatusWords(): Record<string, string> {
  const source = readFileSync(join(REPO_ROOT, 'python/celery_workload/services/task_service.py'), 'utf8');
  const block = /STATUS_WORDS = \{([^}]*)\}/s.exec(source)?.[1] ?? '';
  return Object.fromEntries([...block.matchAll(/"(\w+)": "(\w+)"/g)].map((m) => [m[1], m[2]]));
}

const base = { rps: 50, durationS: 20, seed: 7, runId: 'r1', duplicates: false, slowTasks: true, faults: true };

describe('load targets', () => {
  it('plans only calculate_var bodies whose data keys are keyword arguments of the Celery task', () => {
    const parameters = new Set(celeryTaskParameters());
    const plan = planRequests({ ...base, sharedIds: true, target: loadTarget('celery') });
    expect(new Set(plan.map((r) => r.body.task_type))).toEqual(new Set(['calculate_var']));
    for (const request of plan)
      for (const key of Object.keys(request.body.data)) expect(parameters, `data.${key}`).toContain(key);
    expect(plan.some((r) => r.fault?.fail_attempts !== undefined)).toBe(true);
    expect(plan.some((r) => r.fault?.sleep_ms !== undefined)).toBe(true);
  });

  it("keeps dtq's own plan as it was when no target is named", () => {
    expect(planRequests(base)).toEqual(planRequests({ ...base, target: loadTarget('node') }));
  });

  it('reads Celery states in the words the FastAPI app itself uses', () => {
    expect(CELERY_STATE_WORDS).toEqual(celeryStatusWords());
    const celery = loadTarget('celery');
    expect(celery.statusWord('SUCCESS')).toBe('succeeded');
    expect(celery.statusWord('FAILURE')).toBe('failed');
    expect(loadTarget('node').statusWord('succeeded')).toBe('succeeded');
  });

  it('sizes a Celery body by its num_simulations and carries the fault in data', () => {
    const body = celeryVarBody('high', 3, { poison: true }, 100_000);
    expect(body).toMatchObject({ task_type: 'calculate_var', priority: 'high' });
    expect(body.data).toMatchObject({ num_simulations: 100_000, fault: { poison: true } });
  });

  it('takes the created task id from the body, else from the Location header', () => {
    expect(createdTaskId({ task_id: 'abc' }, '/api/v1/tasks/other')).toBe('abc');
    expect(createdTaskId({ status: 'PENDING' }, '/api/v1/tasks/a%2Fb')).toBe('a/b');
    expect(createdTaskId(null, '/elsewhere/x')).toBeNull();
    expect(createdTaskId(undefined, undefined)).toBeNull();
  });
});

describe('npm run load --system', () => {
  const parse = (argv: string[]) => {
    const parsed = parseCli(LOAD_CLI, argv);
    if (parsed.action !== 'run') throw new Error(parsed.stderr);
    return loadOptions(parsed.values, {});
  };

  it('defaults to node and accepts celery with the options Celery can serve', () => {
    expect(parse([]).system).toBe('node');
    expect(parse(['--system', 'celery', '--stack', '--faults', '--kill-worker', '--shared-ids'])).toMatchObject({
      system: 'celery',
      killWorker: true,
      sharedIds: true,
    });
  });

  it('refuses, with the reason, the options the Celery system cannot serve', () => {
    expect(() => parse(['--system', 'celery', '--duplicates'])).toThrow(
      /--duplicates cannot run with --system celery: .*no Idempotency-Key handling.*leave it out/,
    );
    expect(() => parse(['--system', 'celery', '--stack', '--freeze-worker'])).toThrow(/--freeze-worker cannot run/);
    expect(() => parse(['--system', 'celery', '--stack', '--takeovers'])).toThrow(/--takeovers cannot run/);
    expect(() => parse(['--system', 'celery', '--stack', '--restart-redis'])).toThrow(/--restart-redis cannot run/);
    expect(parseCli(LOAD_CLI, ['--system', 'rabbit'])).toMatchObject({ action: 'exit', code: 2 });
  });
});
