import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPLORE_ERRORS } from '../../explorer/errors.ts';
import { ensureBuilt, ROOT, runExplore } from './binary.ts';
import { deadLettered, duplicatesScenario, happyPath } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  dir = writeLogDir(w);
});
afterAll(() => removeDir(dir));

describe('dtq-explore on the command line', () => {
  it('prints the documented JSON with the task ids, ordered events, duplicates, outcome and warnings', async () => {
    const { code, stdout } = await runExplore(['replay-req', '--logs', dir, '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    expect(doc.schema).toBe('dtq-explore/trace@1');
    expect(doc.correlation_id).toBe('replay-req');
    expect(doc.task_ids).toEqual([]);
    expect(doc.duplicates).toEqual([
      expect.objectContaining({
        kind: 'idempotency_replay',
        original_task_id: 'orig-task',
        original_correlation_id: 'orig-req',
        direction: 'blocked',
      }),
    ]);
    expect(doc.outcome).toEqual(expect.objectContaining({ status: 'duplicate' }));
    expect(Array.isArray(doc.warnings)).toBe(true);
    const events = doc.events as { at: string; action: string }[];
    expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort());
    expect(events[0]?.action).toBe('http.request.received');
  });

  it('documents every top-level field of the JSON in docs/explorer-json.md', async () => {
    const { stdout } = await runExplore(['req-dlq-1', '--logs', dir, '--json']);
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    const markdown = readFileSync(join(ROOT, 'docs', 'explorer-json.md'), 'utf8');
    for (const key of Object.keys(doc)) expect(markdown, `field ${key}`).toContain(`\`${key}\``);
    const attempt = (doc.tasks as { attempts: Record<string, unknown>[] }[])[0]?.attempts[0] ?? {};
    for (const key of Object.keys(attempt)) expect(markdown, `attempt field ${key}`).toContain(key);
    const duplicate =
      (
        JSON.parse((await runExplore(['orig-req', '--logs', dir, '--json'])).stdout) as {
          duplicates: Record<string, unknown>[];
        }
      ).duplicates[0] ?? {};
    for (const key of Object.keys(duplicate)) expect(markdown, `duplicate field ${key}`).toContain(`\`${key}\``);
  });

  it('prints plain text when stdout is not a terminal, with the divergence stated', async () => {
    const { code, stdout } = await runExplore(['req-dlq-1', '--logs', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'DIVERGENCE:     202 at 10:15:23.017, job was dead-lettered 3 attempts later at 10:15:26.241',
    );
    expect(stdout).toContain('attempt 3 · worker-2');
  });

  it('lists recent requests without an id, filtered by --status', async () => {
    const { code, stdout } = await runExplore(['--logs', dir, '--since', '3650d', '--status', 'failed', '--json']);
    expect(code).toBe(0);
    const list = JSON.parse(stdout) as { requests: { correlation_id: string }[] };
    expect(list.requests.map((r) => r.correlation_id)).toEqual(['req-dlq-1']);
  });

  it('filters and sorts the list by task columns, and rejects a bad --min-duration or --sort', async () => {
    const { code, stdout } = await runExplore([
      '--logs',
      dir,
      '--since',
      '3650d',
      '--worker',
      'worker-3',
      '--min-duration',
      '1s',
      '--plain',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/202 dead-lettered +3 .* req-dlq-1 +✗/);
    expect(stdout).not.toContain('req-happy-1');
    const sorted = await runExplore([
      '--logs',
      dir,
      '--since',
      '3650d',
      '--sort',
      'duration',
      '--limit',
      '1',
      '--json',
    ]);
    expect((JSON.parse(sorted.stdout) as { requests: { correlation_id: string }[] }).requests).toEqual([
      expect.objectContaining({ correlation_id: 'req-dlq-1', state: 'dead-lettered', attempts: 3 }),
    ]);
    const badDuration = await runExplore(['--logs', dir, '--min-duration', 'soon']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--min-duration soon is not a duration: write 250ms, 2s, 1.5m or 1h');
    const badSort = await runExplore(['--logs', dir, '--sort', 'colour']);
    expect(badSort.code).toBe(2);
    expect(badSort.stderr).toContain('--sort colour names no column');
  });

  it('prints --stats from the log files, without Elasticsearch', async () => {
    const { code, stdout } = await runExplore(['--stats', '--logs', dir, '--since', '3650d']);
    expect(code).toBe(0);
    expect(stdout).toContain('requests      7 ·');
    expect(stdout).toContain('tasks         4: succeeded 3 · dead-lettered 1 · duplicate 3');
    expect(stdout).toContain('error share   14.3%');
    expect(stdout).toMatch(/run time +\d/);
    const json = await runExplore(['--stats', '--json', '--logs', dir, '--since', '3650d']);
    expect(JSON.parse(json.stdout)).toMatchObject({ schema: 'dtq-explore/overview@1', requests: 7, tasks: 4 });
  });

  it('exits non-zero with an actionable message for an unknown id', async () => {
    const { code, stderr } = await runExplore(['req-happy', '--logs', dir]);
    expect(code).toBe(EXPLORE_ERRORS.NOT_FOUND.exitCode);
    expect(stderr).toContain('DTQ_ERR_EXPLORE_NOT_FOUND');
    expect(stderr).toContain('Nearest correlation ids: req-happy-1');
  });

  it('exits non-zero when the logs directory is missing or Elasticsearch is unreachable', async () => {
    const noDir = await runExplore(['x', '--logs', join(dir, 'nope')]);
    expect(noDir.code).toBe(EXPLORE_ERRORS.NO_LOGS_DIR.exitCode);
    expect(noDir.stderr).toContain('DTQ_ERR_EXPLORE_NO_LOGS_DIR');
    const noEs = await runExplore(['x', '--es', 'http://127.0.0.1:9']);
    expect(noEs.code).toBe(EXPLORE_ERRORS.ES_UNREACHABLE.exitCode);
    expect(noEs.stderr).toContain('Elasticsearch at http://127.0.0.1:9 is unreachable');
  });

  it('rejects bad options with the usage code', async () => {
    const since = await runExplore(['--logs', dir, '--since', 'yesterday-ish']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('DTQ_ERR_EXPLORE_BAD_SINCE');
    const both = await runExplore(['a', '--task', 'b', '--logs', dir]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give a correlation id or --task, not both');
    // The trace and --stats read Elasticsearch alike: both refuse a node that is not a URL.
    for (const args of [['x'], ['--stats']]) {
      const notUrl = await runExplore([...args, '--es', 'localhost:9200']);
      expect(notUrl.code, args.join(' ')).toBe(2);
      expect(notUrl.stderr).toContain('--es localhost:9200 is not an http(s) URL');
    }
    // A glob that cannot be read (a reversed range) is a usage error, not a crash.
    const badGlob = await runExplore(['--logs', `${dir}/[z-a].log`, '--plain']);
    expect(badGlob.code).toBe(2);
    expect(badGlob.stderr).not.toContain('    at ');
  });

  it('never loads Ink or React for --json and --plain', () => {
    const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'meta.json'), 'utf8')) as {
      outputs: Record<string, { imports: { path: string; kind: string }[]; inputs: Record<string, unknown> }>;
    };
    const entry = Object.keys(meta.outputs).find((path) => path.endsWith('dist/dtq-explore.js'));
    expect(entry).toBeDefined();
    // Everything reachable from the entry by static imports: what every run loads.
    const eager = new Set<string>();
    const visit = (path: string): void => {
      if (eager.has(path)) return;
      eager.add(path);
      for (const imported of meta.outputs[path]?.imports ?? [])
        if (imported.kind === 'import-statement') visit(imported.path);
    };
    visit(entry as string);
    const inputs = [...eager].flatMap((path) => Object.keys(meta.outputs[path]?.inputs ?? {}));
    expect(inputs.some((input) => input.includes('explorer/model/build-trace.ts'))).toBe(true);
    expect(inputs.filter((input) => /node_modules\/(ink|react|yoga-layout)\//.test(input))).toEqual([]);
    // And the TUI chunk does hold Ink: the split is real.
    const all = Object.values(meta.outputs).flatMap((output) => Object.keys(output.inputs));
    expect(all.some((input) => input.includes('node_modules/ink/'))).toBe(true);
  });
});
