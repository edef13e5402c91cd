/**
 * `npm run load -- --stack --system celery …`: the load generator starts the FastAPI + Celery
 * stack, sends bodies its API accepts, reads its 201 answers and Celery states, kills worker-1
 * (its main process and prefork pool) half-way, and records the ground truth the fidelity check
 * reads.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FinalRecord, parseGroundTruth, type RequestRecord } from '../../workload/load/ground-truth.ts';
import { TEST_PYTHON_ENV_DIR, testPythonEnv } from '../python/python-env.ts';
import { runToExit } from '../utils/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'dtq-load-celery-'));
beforeAll(() => testPythonEnv(), 900_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('drives the Celery stack with faults, shared ids and a killed worker, and every task settles as planned', async () => {
  const out = join(dir, 'truth.jsonl');
  const { code, output } = await runToExit(
    process.execPath,
    [
      ...['workload/load/main.ts', '--stack', '--system', 'celery', '--rps', '10', '--duration', '6'],
      ...['--faults', '--kill-worker', '--shared-ids', '--seed', '3', '--out', out],
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DTQ_VAR_DIR: dir,
        DTQ_LOG_DIR: join(dir, 'logs'),
        DTQ_HTTP_PORT: '0',
        DTQ_PYTHON_ENV_DIR: TEST_PYTHON_ENV_DIR,
      },
    },
  );
  expect(code, output).toBe(0);
  expect(output).toContain('starting a stack of its own (celery, faults enabled)');

  const records = parseGroundTruth(readFileSync(out, 'utf8'));
  expect(records[0]).toMatchObject({ record: 'run', options: { system: 'celery' } });
  const requests = records.filter((r): r is RequestRecord => r.record === 'request');
  expect(requests.length).toBeGreaterThanOrEqual(60);
  for (const request of requests) {
    if (request.kind === 'shared_invalid')
      expect(request, JSON.stringify(request)).toMatchObject({ status: 422, task_id: null });
    else {
      expect(request.status, JSON.stringify(request)).toBe(201);
      expect(request.task_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(request.task_type).toBe('calculate_var');
    }
  }
  const finals = new Map(
    records.filter((r): r is FinalRecord => r.record === 'final').map((f) => [f.task_id, f] as const),
  );
  expect(finals.size).toBe(requests.filter((r) => r.task_id !== null).length);
  for (const request of requests) {
    if (request.task_id === null) continue;
    const final = finals.get(request.task_id);
    // Celery's SUCCESS / FAILURE, read in the contract's words; poison and exhausted retries fail.
    const failing = request.fault?.poison === true || (request.fault?.fail_attempts ?? 0) > 3;
    expect(final, JSON.stringify(request)).toMatchObject({ settled: true, status: failing ? 'failed' : 'succeeded' });
  }
  const killed = records.find((r) => r.record === 'event' && r.action === 'worker_killed');
  // The kill watched worker-1's pool processes' logs: the jobs that died with it are on record.
  const held = killed?.record === 'event' ? killed.held_task_ids : null;
  expect(Array.isArray(held)).toBe(true);
  // Killed mid-job unless the run says it found none to kill it in; either way, only real tasks.
  if (!output.includes('killing it idle')) expect(held?.length, output).toBeGreaterThan(0);
  for (const taskId of held ?? []) expect(finals.has(taskId), taskId).toBe(true);
  expect(records.at(-1)).toMatchObject({ record: 'summary', network_errors: 0 });
}, 600_000);
