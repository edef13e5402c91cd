import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtqError } from '../../contract/dtq-error.ts';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { loadTrace, loadTraceProgressively, type TraceTarget } from '../../explorer/load-trace.ts';
import { polledTaskId } from '../../explorer/model/join.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import type { Row, Trace } from '../../explorer/model/types.ts';
import { traceToJson } from '../../explorer/output/json.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import type { LogSource } from '../../explorer/sources/source.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { deadLettered, happyPath, LogWriter, longPolled, T0 } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';
import { bulkLoad } from './load-es.ts';

const NOW = () => T0 + 600_000;
let url: string;
let prefix: string;
let dir: string;

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
  const w = new LogWriter();
  longPolled(w, 'long-polled', 300, 40);
  // Long enough for the rest to be read in parallel slices (see ElasticsearchSource).
  longPolled(w, 'very-long', 1000, 10);
  happyPath(w);
  deadLettered(w);
  await bulkLoad(url, w.hits(), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
  dir = writeLogDir(w);
});

afterAll(async () => {
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
  if (dir) removeDir(dir);
});

function sources(): [string, LogSource][] {
  return [
    ['Elasticsearch', new ElasticsearchSource({ url, index: indexPattern(prefix) })],
    // Small pages: the rest goes through a point in time, inside each slice too.
    ['Elasticsearch, small pages', new ElasticsearchSource({ url, index: indexPattern(prefix), pageSize: 250 })],
    ['files', new FileSource(dir)],
  ];
}

function json(trace: Trace): unknown {
  return traceToJson(trace, { kind: 'x', description: 'x' });
}

/** Rows with their log lines named by source (a line's id is its position in its own trace). */
function rowsOf(trace: Trace): (Omit<Row, 'lineIds'> & { lines: string[] })[] {
  return traceToRows(trace).map(({ lineIds, ...row }) => ({
    ...row,
    lines: lineIds.map((id) => trace.lines[id]?.source ?? '?'),
  }));
}

describe('loading a long-polled trace in two steps', () => {
  it('ends on the same trace as loading it in one go, from Elasticsearch and from the files', async () => {
    for (const [name, source] of sources()) {
      for (const target of [
        { correlationId: 'long-polled' },
        { correlationId: 'very-long' },
        { taskId: 'very-long-task' },
      ]) {
        const progressive = loadTraceProgressively(source, target, NOW, 100);
        const complete = (await progressive.complete).trace;
        const reference = (await loadTrace(source, target, NOW)).trace;
        expect(json(complete), `${name} ${JSON.stringify(target)}`).toEqual(json(reference));
        expect(complete.pending).toBeUndefined();
      }
    }
  });

  it('first gives a trace whose rows are all final, then says how many polls are still loading (also for --task)', async () => {
    for (const [sourceName, source] of sources()) {
      for (const target of [{ correlationId: 'very-long' }, { taskId: 'very-long-task' }]) {
        const name = `${sourceName} ${JSON.stringify(target)}`;
        const progressive = loadTraceProgressively(source, target, NOW, 100);
        const first = (await progressive.first).trace;
        const complete = (await progressive.complete).trace;
        expect(first.pending?.polls, name).toBeGreaterThan(0);
        const rows = rowsOf(first);
        const final = rowsOf(complete);
        const loadingAt = rows.findIndex((row) => row.kind === 'pending');
        expect(loadingAt, name).toBeGreaterThan(10);
        expect(final.slice(0, loadingAt), name).toEqual(rows.slice(0, loadingAt));
        const finalByKey = new Map(final.map((row) => [row.key, row]));
        for (const row of rows.filter((r) => r.kind !== 'pending')) expect(finalByKey.get(row.key), name).toEqual(row);
        const polls = complete.tasks[0]?.polls.length ?? 0;
        const shown = first.tasks[0]?.polls.length ?? 0;
        expect(first.pending?.byTask['very-long-task'], name).toBe(polls - shown);
        expect([first.startedAt, first.endedAt], name).toEqual([complete.startedAt, complete.endedAt]);
      }
    }
  });

  it('gives a short trace in one step', async () => {
    for (const [name, source] of sources()) {
      const progressive = loadTraceProgressively(source, { correlationId: 'req-happy-1' }, NOW);
      const first = (await progressive.first).trace;
      expect(first.pending, name).toBeUndefined();
      expect(json(first), name).toEqual(json((await loadTrace(source, { correlationId: 'req-happy-1' }, NOW)).trace));
      expect((await progressive.complete).trace).toBe(first);
    }
  });

  it('still names the nearest ids for an unknown one', async () => {
    for (const [, source] of sources()) {
      const progressive = loadTraceProgressively(source, { correlationId: 'long-pollde' }, NOW);
      const error = await progressive.first.catch((e: DtqError) => e);
      expect((error as DtqError).code).toBe('DTQ_ERR_EXPLORE_NOT_FOUND');
      expect((error as DtqError).message).toContain('long-polled');
      await expect(progressive.complete).rejects.toBe(error);
    }
  });
});

describe('status polls as the sources split them off', () => {
  it('are exactly the lines the model reads as status polls', async () => {
    const lookups = [
      { kind: 'correlation', correlationIds: ['long-polled'] },
      { kind: 'related', taskIds: ['long-polled-task'], correlationId: 'long-polled' },
    ] as const;
    for (const [name, source] of sources()) {
      for (const lookup of lookups) {
        const all =
          lookup.kind === 'correlation'
            ? await source.byCorrelationIds(lookup.correlationIds)
            : await source.related(lookup.taskIds, lookup.correlationId);
        const withoutPolls =
          lookup.kind === 'correlation'
            ? await source.byCorrelationIds(lookup.correlationIds, 'exclude')
            : await source.related(lookup.taskIds, lookup.correlationId, 'exclude');
        const pages = await source.statusPolls(lookup, 50);
        const polls = [...pages.first, ...(await pages.rest())];
        const expected = all.filter((hit) => polledTaskId(hit.record) !== undefined).map((hit) => hit.source);
        const label = `${name} ${lookup.kind}`;
        expect(new Set(polls.map((hit) => hit.source)), label).toEqual(new Set(expected));
        expect(polls.length, label).toBe(expected.length);
        expect(withoutPolls.map((hit) => hit.source).sort(), label).toEqual(
          all
            .filter((hit) => polledTaskId(hit.record) === undefined)
            .map((hit) => hit.source)
            .sort(),
        );
        // Pages come in time order, and the summary counts every poll line.
        const times = polls.map((hit) => hit.at ?? 0);
        expect(times, label).toEqual([...times].sort((a, b) => a - b));
        expect(pages.summary.lines, label).toBe(expected.length);
      }
    }
  });

  it('come with a summary that names every polled task and each process’s newest line', async () => {
    const target: TraceTarget = { correlationId: 'long-polled' };
    for (const [name, source] of sources()) {
      const pages = await source.statusPolls({ kind: 'correlation', correlationIds: [target.correlationId] }, 10);
      expect(pages.more, name).toBe(true);
      expect(pages.summary.taskIds, name).toEqual(['long-polled-task']);
      expect(pages.summary.polls, name).toBe(300);
      expect(pages.summary.pollsByTask.get('long-polled-task'), name).toBe(300);
      const all = [...pages.first, ...(await pages.rest())];
      for (const [instance, newest] of pages.summary.newestByInstance) {
        const times = all.filter((hit) => hit.record[F.SERVICE_INSTANCE] === instance).map((hit) => hit.at ?? 0);
        expect(newest, `${name} ${instance}`).toBe(Math.max(...times));
      }
    }
  });
});
