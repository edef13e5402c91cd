import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { compareSource } from '../../explorer/model/lines.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import type { Hit } from '../../explorer/model/types.ts';
import { traceToJson } from '../../explorer/output/json.ts';
import { LogWriter, T0 } from './fixtures.ts';

/** A deterministic shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Polls whose lines tie: two API processes and nginx writing in the same milliseconds. */
function tiedPolls(): LogWriter {
  const w = new LogWriter();
  w.post({ ms: 0, cid: 'tied', taskId: 'tied-task' });
  w.attempt({ ms: 10, cid: 'tied', taskId: 'tied-task', worker: 'worker-1', attempt: 1, durationMs: 500 });
  for (let i = 0; i < 20; i++) {
    // Two polls at once on different APIs: their lines and nginx's lines share each millisecond.
    w.poll(20 + i * 10, 'tied', 'tied-task', 200, 'api-2');
    w.poll(20 + i * 10, 'tied', 'tied-task', i % 5 === 0 ? 503 : 200, 'api-3');
  }
  return w;
}

function view(hits: readonly Hit[]): unknown {
  const trace = buildTrace(hits, { correlationId: 'tied', now: T0 + 60_000, source: 'files' });
  return { json: traceToJson(trace, { kind: 'files', description: 'x' }), rows: traceToRows(trace) };
}

describe('the order of the hits', () => {
  it('does not change the trace, even where lines tie in time', () => {
    const hits = tiedPolls().hits();
    const reference = view(hits);
    for (const seed of [1, 2, 3, 42, 1234]) expect(view(shuffled(hits, seed))).toEqual(reference);
  });

  it('drops a line that two lookups both returned, wherever the repeat comes', () => {
    const hits = tiedPolls().hits();
    const repeated = shuffled([...hits, ...hits.slice(0, 30), ...hits.slice(-7)], 7);
    const trace = buildTrace(repeated, { correlationId: 'tied', now: T0 + 60_000, source: 'files' });
    expect(trace.lines).toHaveLength(hits.length);
    expect(view(repeated)).toEqual(view(hits));
  });
});

describe('lines written in the same millisecond without a sequence', () => {
  /** One record per source, all at one time on one instance: only the source can order them. */
  function sameMillisecond(sources: readonly string[]): Hit[] {
    return sources.map((source) => ({
      source,
      record: {
        '@timestamp': new Date(T0).toISOString(),
        'service.name': 'api',
        'service.instance': 'api-1',
        correlation_id: 'same-ms',
        'event.action': 'http.request.received',
        message: source,
      },
    }));
  }

  it('keep file order: an OTLP line tenth record after its second, line 10 after line 9', () => {
    const written = [
      'api.ndjson:9',
      'api.ndjson:10',
      'api.ndjson:100',
      ...Array.from({ length: 12 }, (_, k) => `otel.ndjson:1.${k + 1}`),
      'otel.ndjson:2',
    ];
    for (const seed of [1, 7, 99]) {
      const trace = buildTrace(shuffled(sameMillisecond(written), seed), {
        correlationId: 'same-ms',
        now: T0 + 60_000,
        source: 'files',
      });
      expect(trace.lines.map((line) => line.source)).toEqual(written);
    }
  });

  it('compares digit runs of any length as numbers, and equal numbers written apart as text', () => {
    expect(compareSource('a:2', 'a:10')).toBeLessThan(0);
    expect(compareSource('a:1.10', 'a:1.2')).toBeGreaterThan(0);
    expect(compareSource('a:99999999999999999999', 'a:100000000000000000000')).toBeLessThan(0);
    expect(compareSource('a:01', 'a:1')).not.toBe(0);
    expect(compareSource('a:01', 'a:1')).toBe(-compareSource('a:1', 'a:01'));
    expect(compareSource('a.ndjson:3', 'b.ndjson:1')).toBeLessThan(0);
    expect(compareSource('a:1', 'a:1')).toBe(0);
  });
});
