/**
 * `dtq-explore doctor` through the real binary: per service, the contract events and fields a
 * log directory holds; what the explorer can rebuild from them; what to add.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT, runExplore } from './binary.ts';
import { deadLettered, duplicatesScenario, happyPath } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';

const SEEDS = join(ROOT, 'test', 'explorer', 'foreign', 'seeds');
let conforming: string;

beforeAll(() => {
  ensureBuilt();
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  conforming = writeLogDir(w);
});
afterAll(() => removeDir(conforming));

interface DoctorJson {
  schema: string;
  lines: number;
  services: { service: string; instance: string; events: Record<string, number>; fields: Record<string, number> }[];
  parts: { part: string; ok: boolean; reason: string | null }[];
  fixes: string[];
}

async function doctor(args: string[]): Promise<DoctorJson> {
  const { code, stdout, stderr } = await runExplore(['doctor', ...args, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as DoctorJson;
}

const ok = (report: DoctorJson) => report.parts.filter((p) => p.ok).map((p) => p.part);

describe('dtq-explore doctor', () => {
  it('finds every part of the timeline in lines that meet the contract, and nothing to add', async () => {
    const report = await doctor(['--logs', conforming]);
    expect(report.schema).toBe('dtq-explore/doctor@1');
    expect(ok(report)).toEqual(
      expect.arrayContaining([
        'request',
        'nginx hop',
        'enqueue',
        'queue wait',
        'attempts',
        'result',
        'retries',
        'dead letters',
        'duplicates blocked',
      ]),
    );
    expect(report.fixes).toEqual([]);
    const worker = report.services.find((s) => s.instance === 'worker-1');
    expect(worker?.service).toBe('worker');
    expect(worker?.events['task.started']).toBeGreaterThan(0);
    expect(worker?.fields.task_id).toBeGreaterThan(0);
  });

  it('says what FastAPI + Celery lines lack, with the mapping lines to add', async () => {
    const report = await doctor(['--logs', SEEDS]);
    expect(report.lines).toBe(16);
    expect(ok(report)).toEqual([]);
    expect(report.parts.find((p) => p.part === 'attempts')?.reason).toBe(
      'no task.started / task.completed / task.failed lines',
    );
    expect(report.fixes).toEqual(
      expect.arrayContaining([
        '16 line(s) have no valid @timestamp but carry "timestamp": add to the mapping file   fields: { "@timestamp": timestamp }',
        expect.stringContaining('fields: { event.action: message }'),
        'lines without service.name carry "service": add   fields: { service.name: service }   and   services: { celery-worker-1: <nginx|api|worker|other>, fastapi: <nginx|api|worker|other> }',
      ]),
    );
  });

  it('reads the same lines through their mapping file, as the trace does', async () => {
    const report = await doctor(['--logs', SEEDS, '--mapping', join(SEEDS, 'mapping.yaml')]);
    expect(ok(report)).toEqual(['request', 'enqueue', 'queue wait', 'attempts', 'result', 'status polls']);
    expect(report.services.map((s) => `${s.service} ${s.instance}`)).toEqual(['api fastapi', 'worker celery-worker-1']);
  });

  it('prints the same report as text', async () => {
    const { code, stdout } = await runExplore(['doctor', '--logs', SEEDS]);
    expect(code).toBe(0);
    expect(stdout).toContain('sample: 16 line(s)');
    expect(stdout).toContain('  ✗ attempts: no task.started / task.completed / task.failed lines');
    expect(stdout).toContain('To add:\n  - 16 line(s) have no valid @timestamp');
  });
});
