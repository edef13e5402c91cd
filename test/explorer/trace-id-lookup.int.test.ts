/**
 * `dtq-explore <trace id>`: an id that no line carries as a correlation id is looked up as a
 * W3C trace id (`trace.id`), in Elasticsearch (through the index template's keyword mapping:
 * unmapped fields are not searchable there) and in the files, and opens the request it names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtqError } from '../../contract/dtq-error.ts';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { EXPLORE_ERRORS } from '../../explorer/errors.ts';
import { loadTrace, loadTraceProgressively } from '../../explorer/load-trace.ts';
import { traceToJson } from '../../explorer/output/json.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import type { LogSource } from '../../explorer/sources/source.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { happyPath, T0 } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';
import { bulkLoad } from './load-es.ts';

const NOW = () => T0 + 60_000;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
let url: string;
let prefix: string;
let dir: string;

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
  const w = happyPath();
  happyPath(w, 'req-other', 'task-other', 5);
  // The request's lines and its job's carry its trace id; the other request has its own.
  for (const record of w.records) {
    if (record[F.CORRELATION_ID] === 'req-happy-1') record[F.TRACE_ID] = TRACE;
    if (record[F.CORRELATION_ID] === 'req-other') record[F.TRACE_ID] = OTHER_TRACE;
  }
  await bulkLoad(url, w.hits(), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
  dir = writeLogDir(w);
});

afterAll(async () => {
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
  if (dir) removeDir(dir);
});

const KINDS = ['elasticsearch', 'files'] as const;

function sourceOf(kind: (typeof KINDS)[number]): LogSource {
  return kind === 'elasticsearch' ? new ElasticsearchSource({ url, index: indexPattern(prefix) }) : new FileSource(dir);
}

function json(trace: Parameters<typeof traceToJson>[0]): unknown {
  return traceToJson(trace, { kind: 'x', description: 'x' });
}

describe('a trace opened by its W3C trace id', () => {
  it.each(KINDS)('opens the request a trace id names, the same trace as its correlation id (%s)', async (kind) => {
    const source = sourceOf(kind);
    const byTrace = (await loadTrace(source, { correlationId: TRACE }, NOW)).trace;
    const byCid = (await loadTrace(source, { correlationId: 'req-happy-1' }, NOW)).trace;
    expect(byTrace.correlationId).toBe('req-happy-1');
    expect(json(byTrace)).toEqual(json(byCid));
    expect(byTrace.requests[0]?.traceId).toBe(TRACE);
    const progressive = loadTraceProgressively(source, { correlationId: OTHER_TRACE }, NOW);
    expect((await progressive.complete).trace.correlationId).toBe('req-other');
  });

  it.each(KINDS)('still says not found for an id that is neither (%s)', async (kind) => {
    const source = sourceOf(kind);
    const error = await loadTrace(source, { correlationId: 'ffffffffffffffffffffffffffffffff' }, NOW).catch(
      (e: DtqError) => e,
    );
    expect((error as DtqError).code).toBe(EXPLORE_ERRORS.NOT_FOUND.code);
  });
});
