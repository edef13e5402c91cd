/**
 * The real dtq-explore binary reading Elasticsearch after `GET /api/v1/tasks/%c0%ae` and a path
 * with terminal escape sequences were indexed (as the shipper indexes nginx's bytes: invalid
 * UTF-8 as U+FFFD). The trace, the list and every output still work, and --plain writes no
 * control character.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexForTimestamp } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { ensureBuilt, runExplore } from './binary.ts';
import { controls, hostileLogs } from './hostile-fixtures.ts';
import { bulkLoad } from './load-es.ts';

let url: string;
let prefix: string;
const explore = (args: readonly string[]) => runExplore([...args, '--es', url], { DTQ_ES_INDEX_PREFIX: prefix });

beforeAll(async () => {
  ensureBuilt();
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
  const hits = hostileLogs('\ufffd\ufffd').hits();
  await bulkLoad(url, hits, (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
});

afterAll(async () => {
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
});

describe('dtq-explore on Elasticsearch with hostile paths indexed', () => {
  it('shows the %c0%ae poll in --json and --plain, paired with its nginx line', async () => {
    const json = await explore(['req-bad', '--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { requests: { path: string; nginx: unknown }[]; gaps: { kind: string }[] };
    expect(doc.requests).toHaveLength(1);
    expect(doc.requests[0]?.path).toBe('/api/v1/tasks/%c0%ae');
    expect(doc.requests[0]?.nginx).not.toBeNull();
    expect(doc.gaps.filter((g) => g.kind !== 'shipper_lag')).toEqual([]);
    const plain = await explore(['req-bad', '--plain']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('GET /api/v1/tasks/%c0%ae → 400');
  });

  it('lists recent requests in --plain and --json, with no control character in --plain', async () => {
    const plain = await explore(['--since', '3650d', '--plain']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('req-happy-1');
    expect(plain.stdout).toContain('req-inject-api');
    expect(controls(plain.stdout)).toEqual([]);
    const json = await explore(['--since', '3650d', '--json']);
    expect(json.code).toBe(0);
    expect(controls(json.stdout)).toEqual([]);
  });

  it('shows a trace whose path holds escape sequences without writing one', async () => {
    const { code, stdout } = await explore(['req-inject', '--plain']);
    expect(code).toBe(0);
    expect(stdout).toContain('GET /api/v1/tasks/x\\x1b]0;owned\\x07');
    expect(controls(stdout)).toEqual([]);
  });
});
