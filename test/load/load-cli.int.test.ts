/**
 * `npm run load -- --stack …` as helper scripts and the fidelity check run it: starts its own
 * stack, kills a worker half-way, and leaves a complete ground-truth file behind.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseGroundTruth } from '../../workload/load/ground-truth.ts';
import { runToExit } from '../utils/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'dtq-load-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs with its own stack, kills and restarts a worker, and writes run, request, event, final and summary lines', async () => {
  const out = join(dir, 'truth.jsonl');
  const { code, output } = await runToExit(
    process.execPath,
    [
      'workload/load/main.ts',
      '--stack',
      '--rps',
      '8',
      '--duration',
      '4',
      '--duplicates',
      '--faults',
      '--kill-worker',
      '--out',
      out,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, DTQ_VAR_DIR: dir, DTQ_LOG_DIR: join(dir, 'logs'), DTQ_HTTP_PORT: '0' },
    },
  );
  expect(code, output).toBe(0);
  expect(output).toMatch(/latency p50 [\d.]+ ms, p99 [\d.]+ ms/);
  expect(output).toContain(`ground truth: ${out}`);

  const records = parseGroundTruth(readFileSync(out, 'utf8'));
  expect(records[0]).toMatchObject({ record: 'run', version: 1, log_dir: join(dir, 'logs') });
  expect(records.filter((r) => r.record === 'request').length).toBeGreaterThanOrEqual(32);
  expect(records.filter((r) => r.record === 'event').map((r) => r.record === 'event' && r.action)).toEqual([
    'worker_killed',
    'worker_restarted',
  ]);
  // The kill watched worker-1's log, so the jobs that died with it are on record.
  const killed = records.find((r) => r.record === 'event' && r.action === 'worker_killed');
  expect(killed?.record === 'event' && Array.isArray(killed.held_task_ids)).toBe(true);
  const finals = records.filter((r) => r.record === 'final');
  expect(finals.length).toBeGreaterThan(0);
  for (const final of finals) expect(final.record === 'final' && final.settled, JSON.stringify(final)).toBe(true);
  expect(records.at(-1)?.record).toBe('summary');
}, 300_000);
