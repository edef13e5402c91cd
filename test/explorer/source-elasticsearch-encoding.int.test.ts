import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtqError } from '../../contract/dtq-error.ts';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { loadTrace } from '../../explorer/load-trace.ts';
import { ElasticsearchSource, encodeIndexPattern } from '../../explorer/sources/elasticsearch.ts';
import { testElasticsearch } from '../utils/elasticsearch.ts';
import { happyPath, LogWriter, T0 } from './fixtures.ts';
import { bulkLoad } from './load-es.ts';

const NOW = () => T0 + 60_000;
let url: string;
/** A prefix whose `%25` a server would decode to `%` if it reached the URL unencoded, and a `+` it could read as a space. */
const prefix = `test-100%25+more-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  await runSetup({ url, prefix, steps: CORE_STEPS });
  const w = happyPath(new LogWriter(), 'req-enc-1', 'task-enc-1');
  for (let i = 0; i < 30; i++) w.poll(700 + i * 10, 'req-enc-1', 'task-enc-1');
  await bulkLoad(url, w.hits(), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
});

afterAll(async () => {
  if (!url) return;
  const pattern = encodeURIComponent(indexPattern(prefix));
  await fetch(`${url}/${pattern}?expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true`, {
    method: 'DELETE',
  });
  await fetch(`${url}/_index_template/${encodeURIComponent(prefix)}*`, { method: 'DELETE' });
});

describe('index patterns in Elasticsearch URLs', () => {
  it('percent-encodes the pattern but keeps the wildcards and commas of multi-target syntax', () => {
    expect(encodeIndexPattern('dtq-logs-*')).toBe('dtq-logs-*');
    expect(encodeIndexPattern('a-*,b-*')).toBe('a-*,b-*');
    expect(encodeIndexPattern('100%25+x&y/z-*')).toBe('100%2525%2Bx%26y%2Fz-*');
    expect(encodeIndexPattern('<logs-{now/d}>')).toBe('%3Clogs-%7Bnow%2Fd%7D%3E');
  });

  it('pages through a point in time (_pit) on an index prefix that needs encoding', async () => {
    const paged = new ElasticsearchSource({ url, index: indexPattern(prefix), pageSize: 10 });
    const { trace } = await loadTrace(paged, { correlationId: 'req-enc-1' }, NOW);
    // The POST (4 lines), one attempt (2), the API lines of the two polls under their own ids
    // (2 each: their nginx lines name no task) and 30 polls under this id (3 each).
    expect(trace.lines.length).toBe(4 + 2 + 2 * 2 + 30 * 3);
    expect(trace.tasks.map((t) => t.taskId)).toEqual(['task-enc-1']);
    const onePage = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const reference = (await loadTrace(onePage, { correlationId: 'req-enc-1' }, NOW)).trace;
    expect(trace.lines.map((l) => l.source)).toEqual(reference.lines.map((l) => l.source));
  });

  it('resolves the index (_resolve/index) to name the nearest ids on an index prefix that needs encoding', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const error = await loadTrace(es, { correlationId: 'req-enc-9' }, NOW).catch((e: DtqError) => e);
    expect((error as DtqError).code).toBe('DTQ_ERR_EXPLORE_NOT_FOUND');
    expect((error as DtqError).message).toContain('Nearest correlation ids: req-enc-1');
  });
});
