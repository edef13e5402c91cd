/**
 * The streaming file source read through a mapping: nested, gzipped and piped foreign logs
 * give the flat directory's trace, `sample` and `mentions` stop reading once they have their
 * answer, and mapped lines kept between lookups never outlive the bytes they were read from,
 * and hold a long trace's lines, so its lookups map each line once.
 */
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { chattyRequest, toOtlpLines } from '../../bench/foreign-formats.ts';
import { fleetFeed, fleetRows } from '../../explorer/fleet-feed.ts';
import { loadTrace } from '../../explorer/load-trace.ts';
import { PROFILES, parseMappingSpec } from '../../explorer/mapping/load.ts';
import { compileMapping, type Mapping } from '../../explorer/mapping/mapping.ts';
import { RequestLedger } from '../../explorer/model/request-list.ts';
import type { Trace } from '../../explorer/model/types.ts';
import { traceToJson } from '../../explorer/output/json.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { T0 } from './fixtures.ts';
import { removeDir } from './helpers.ts';

const FOREIGN = join(dirname(fileURLToPath(import.meta.url)), 'foreign');
const NOW = () => Date.parse('2026-12-01T12:00:00Z');
const ECS_TRACE = '0af7651916cd43dd8448eb211c80319c';
const OTEL_TRACE = '5b8efff798038103d269b633813fc60c';

function profile(name: 'ecs' | 'otel'): Mapping {
  return compileMapping(PROFILES[name] as NonNullable<(typeof PROFILES)['ecs']>);
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-mapped-'));
  dirs.push(dir);
  return dir;
}

async function traceOf(source: FileSource, correlationId: string): Promise<Trace> {
  return (await loadTrace(source, { correlationId }, NOW)).trace;
}

/** A trace as JSON without where its lines came from, to compare layouts of the same lines. */
function withoutSources(trace: Trace): unknown {
  const json = traceToJson(trace, { kind: 'files', description: 'x' }) as unknown as Record<string, unknown>;
  const events = json.events as { source: string }[];
  return { ...json, source: undefined, events: events.map((e) => ({ ...e, source: undefined })) };
}

/** `lines` many times over, gzipped, with the gzip's last bytes cut: reading to its end fails. */
function truncatedGzip(lines: string, times: number): Buffer {
  const whole = gzipSync(Buffer.from(lines.repeat(times)));
  return whole.subarray(0, whole.length - 16);
}

describe('foreign logs through the streaming file source', () => {
  it('lists in the fleet view what a fold of every mapped line lists', async () => {
    for (const name of ['ecs', 'otel'] as const) {
      const source = new FileSource(join(FOREIGN, name), { mapping: profile(name) });
      const every = new RequestLedger().addAll(await source.recent(undefined, 1_000_000));
      expect(every.summaries().length).toBeGreaterThan(0);
      const filter = { limit: 200 };
      expect(await fleetFeed(source, filter, NOW).rows()).toEqual(fleetRows(every, filter, NOW()));
      await source.close();
    }
  });

  it('gives the flat directory trace for ECS lines kept in nested folders, one gzipped', async () => {
    const ecs = profile('ecs');
    const flat = await traceOf(new FileSource(join(FOREIGN, 'ecs'), { mapping: ecs }), ECS_TRACE);
    const root = tempDir();
    mkdirSync(join(root, 'api', 'current'), { recursive: true });
    mkdirSync(join(root, 'worker'));
    cpSync(join(FOREIGN, 'ecs', 'orders-api.ndjson'), join(root, 'api', 'current', 'orders-api.ndjson'));
    writeFileSync(
      join(root, 'worker', 'orders-worker.ndjson.1.gz'),
      gzipSync(readFileSync(join(FOREIGN, 'ecs', 'orders-worker.ndjson'))),
    );
    const source = new FileSource(root, { mapping: ecs });
    const nested = await traceOf(source, ECS_TRACE);
    expect(flat.outcome.status).toBe('succeeded');
    expect(withoutSources(nested)).toEqual(withoutSources(flat));
    expect(source.description).toBe(`files in ${root} (profile ecs)`);
  });

  it('reads OTLP exports piped to --logs -, each record its own line, after a sample stopped early', async () => {
    const otel = profile('otel');
    const dir = join(FOREIGN, 'otel');
    const fromFiles = await traceOf(new FileSource(dir, { mapping: otel }), OTEL_TRACE);
    const bytes = Buffer.concat([
      readFileSync(join(dir, 'orders-api.ndjson')),
      readFileSync(join(dir, 'orders-worker.ndjson')),
    ]);
    const source = new FileSource('-', { stdin: Readable.from([bytes]), mapping: otel, chunkBytes: 256 });
    try {
      // One line is all the sample reads (its records come with it); the spooled copy of
      // standard input must stay readable after the read stopped.
      const sample = await source.sample(undefined, 1);
      expect(sample.map((hit) => hit.source)).toEqual(['stdin:1.1', 'stdin:1.2', 'stdin:1.3']);
      const piped = await traceOf(source, OTEL_TRACE);
      expect(withoutSources(piped)).toEqual(withoutSources(fromFiles));
      expect(piped.lines.map((hit) => hit.source)).toContain('stdin:1.2');
      expect(await source.mentions(OTEL_TRACE)).toBe(true);
    } finally {
      await source.close();
    }
  });

  it('keeps a file whose status-route path holds a malformed escape, that poll in the trace', async () => {
    const dir = tempDir();
    const api = readFileSync(join(FOREIGN, 'ecs', 'orders-api.ndjson'), 'utf8');
    // `%E0%A4` is a cut UTF-8 sequence: decodeURIComponent throws on it, a reader must not.
    const poll = {
      '@timestamp': '2026-12-01T09:00:01.000Z',
      'service.name': 'orders-api',
      'trace.id': ECS_TRACE,
      'event.action': 'http.request.received',
      http: { request: { method: 'GET' } },
      url: { path: '/v2/jobs/%E0%A4' },
    };
    writeFileSync(join(dir, 'orders-api.ndjson'), `${api}${JSON.stringify(poll)}\n`);
    const mapping = compileMapping(parseMappingSpec({ extends: 'ecs', statusRoute: '/v2/jobs/:task_id' }, 'm.yaml'));
    const source = new FileSource(dir, { mapping });
    const trace = await traceOf(source, ECS_TRACE);
    expect(source.notices()).toEqual([]);
    const polled = trace.lines.find((hit) => hit.record['url.path'] === '/v2/jobs/%E0%A4');
    expect(polled?.record.task_id).toBe('\u{FFFD}');
  });

  it('samples at most its share of each file and stops reading there', async () => {
    const dir = tempDir();
    const api = readFileSync(join(FOREIGN, 'ecs', 'orders-api.ndjson'), 'utf8');
    // Thousands of lines whose end is corrupt: only a read to the end would hit the corruption.
    writeFileSync(join(dir, 'orders-api.ndjson.gz'), truncatedGzip(api, 2000));
    cpSync(join(FOREIGN, 'ecs', 'orders-worker.ndjson'), join(dir, 'orders-worker.ndjson'));
    const source = new FileSource(dir, { mapping: profile('ecs'), chunkBytes: 1024 });
    const sample = await source.sample(undefined, 6);
    expect(sample.map((hit) => hit.source)).toEqual([
      'orders-api.ndjson.gz:1',
      'orders-api.ndjson.gz:2',
      'orders-api.ndjson.gz:3',
      'orders-worker.ndjson:1',
      'orders-worker.ndjson:2',
      'orders-worker.ndjson:3',
    ]);
    expect(sample[0]?.record.correlation_id).toBe(ECS_TRACE);
    expect(source.notices()).toEqual([]);
    // A lookup that reads every line does reach the corruption, and says so.
    await source.recent(undefined, 10);
    expect(source.notices()).toEqual([expect.stringMatching(/^orders-api\.ndjson\.gz: /)]);
  });

  it('says whether a whole id is mentioned, stopping at the first line that holds it', async () => {
    const dir = tempDir();
    const api = readFileSync(join(FOREIGN, 'ecs', 'orders-api.ndjson'), 'utf8');
    writeFileSync(join(dir, 'orders-api.ndjson.gz'), truncatedGzip(api, 2000));
    const source = new FileSource(dir, { chunkBytes: 1024 });
    expect(await source.mentions(ECS_TRACE)).toBe(true);
    expect(source.notices()).toEqual([]);
    // A prefix of the id is not the id; finding that out reads the whole file.
    expect(await source.mentions(ECS_TRACE.slice(0, 12))).toBe(false);
    expect(source.notices()).toHaveLength(1);
  });

  it("maps each line of a 10,000-line OTLP trace once, however many of the trace's lookups read it", async () => {
    const dir = tempDir();
    const cid = 'otlp-long-polled';
    const writer = chattyRequest(T0, cid);
    const lines = toOtlpLines(writer.records);
    writeFileSync(join(dir, 'all.ndjson'), lines.map((line) => `${line}\n`).join(''));
    const otel = profile('otel');
    let mapped = 0;
    const counted: Mapping = {
      ...otel,
      map: (value) => {
        mapped++;
        return otel.map(value);
      },
    };
    const source = new FileSource(dir, { mapping: counted });
    expect(await source.byCorrelationIds([cid])).toHaveLength(writer.records.length);
    // The task's lookup reads every line again (each names the task): all of them are kept.
    await source.related([`${cid}-task`], cid);
    expect(mapped).toBe(lines.length);
  });

  it('maps a line again when its file was rewritten or renamed, never answering from the old bytes', async () => {
    const dir = tempDir();
    const apiPath = join(dir, 'orders-api.ndjson');
    cpSync(join(FOREIGN, 'ecs', 'orders-api.ndjson'), apiPath);
    cpSync(join(FOREIGN, 'ecs', 'orders-worker.ndjson'), join(dir, 'orders-worker.ndjson'));
    const source = new FileSource(dir, { mapping: profile('ecs') });
    const before = await traceOf(source, ECS_TRACE);
    expect(before.lines.some((hit) => hit.record.message === 'incoming request')).toBe(true);

    // Rewritten in place, shorter: same inode, same line numbers, other bytes.
    writeFileSync(apiPath, readFileSync(apiPath, 'utf8').replaceAll('"incoming request"', '"in"'));
    const rewritten = await traceOf(source, ECS_TRACE);
    expect(rewritten.lines.some((hit) => hit.record.message === 'in')).toBe(true);
    expect(rewritten.lines.some((hit) => hit.record.message === 'incoming request')).toBe(false);

    // Rotated by a rename: same inode and bytes, another name.
    renameSync(apiPath, `${apiPath}.1`);
    const rotated = await traceOf(source, ECS_TRACE);
    const apiSources = rotated.lines.map((hit) => hit.source).filter((s) => s.startsWith('orders-api'));
    expect(apiSources.length).toBeGreaterThan(0);
    expect(apiSources.every((s) => s.startsWith('orders-api.ndjson.1:'))).toBe(true);
  });

  it('answers a settled file from its kept lines until it changes, even rewritten at the same size and times', async () => {
    const dir = tempDir();
    const apiPath = join(dir, 'orders-api.ndjson');
    // Only the trace's own lines: its first lookup reads, and so keeps, every line of each file.
    for (const name of ['orders-api.ndjson', 'orders-worker.ndjson']) {
      const text = readFileSync(join(FOREIGN, 'ecs', name), 'utf8');
      const own = text.split('\n').filter((line) => line.includes(ECS_TRACE));
      writeFileSync(join(dir, name), own.map((line) => `${line}\n`).join(''));
      // Whole seconds: times a rewrite can set back exactly.
      utimesSync(join(dir, name), 1_700_000_000, 1_700_000_000);
    }
    // A clock a minute ahead: the files look long settled, so their stamps are trusted.
    const source = new FileSource(dir, { mapping: profile('ecs'), now: () => Date.now() + 60_000 });
    const fresh = async () => traceOf(new FileSource(dir, { mapping: profile('ecs') }), ECS_TRACE);
    const messages = (trace: Trace) => trace.lines.map((hit) => hit.record.message);
    const first = await traceOf(source, ECS_TRACE);
    expect(messages(first)).toContain('incoming request');
    expect(await traceOf(source, ECS_TRACE)).toEqual(first);
    expect(first).toEqual(await fresh());

    // Rewritten in place at the same size, its times set back: only its change time moved.
    // (A lookup not made before: --follow's own resumption takes a file that did not shrink
    // for one that was appended to.)
    const { size } = statSync(apiPath);
    writeFileSync(apiPath, readFileSync(apiPath, 'utf8').replaceAll('"incoming request"', '"incoming REQUEST"'));
    utimesSync(apiPath, 1_700_000_000, 1_700_000_000);
    expect(statSync(apiPath, { bigint: true })).toMatchObject({
      size: BigInt(size),
      mtimeNs: 1_700_000_000_000_000_000n,
    });
    const rewritten = await source.byCorrelationIds([ECS_TRACE], 'exclude');
    expect(rewritten.map((hit) => hit.record.message)).toContain('incoming REQUEST');
    expect(rewritten.map((hit) => hit.record.message)).not.toContain('incoming request');
    expect(rewritten).toEqual(
      await new FileSource(dir, { mapping: profile('ecs') }).byCorrelationIds([ECS_TRACE], 'exclude'),
    );

    // Appended to, then truncated to its first line.
    const lines = readFileSync(apiPath, 'utf8').split('\n').filter(Boolean);
    appendFileSync(apiPath, `${(lines[0] as string).replace('"incoming REQUEST"', '"appended"')}\n`);
    expect(messages(await traceOf(source, ECS_TRACE))).toContain('appended');
    writeFileSync(apiPath, `${lines[0]}\n`);
    const truncated = await traceOf(source, ECS_TRACE);
    expect(messages(truncated)).not.toContain('appended');
    expect(truncated).toEqual(await fresh());
  });
});
