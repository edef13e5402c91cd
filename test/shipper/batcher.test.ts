import { describe, expect, it } from 'vitest';
import { dailyIndexNamer } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { Batch, BodyPool } from '../../shipper/batcher.ts';
import { batchBytesLimit, DEFAULT_LIMITS } from '../../shipper/config.ts';
import { prepareLine, type SourceLine } from '../../shipper/line.ts';

const indexFor = dailyIndexNamer('b');

function lineOf(bytes: Buffer, offset: number): SourceLine {
  return {
    fingerprint: 'a'.repeat(32),
    path: '/x',
    offset,
    end: offset + bytes.length + 1,
    text: bytes.toString(),
    bytes,
  };
}

describe('a batch body', () => {
  it('holds each document as its create action and the line read, in order', () => {
    const batch = new Batch(0, new BodyPool({ buffers: 2, bufferBytes: 1 << 20 }));
    const texts = [1, 2, 3].map((n) => JSON.stringify({ [F.TIMESTAMP]: '2026-03-01T10:00:00.000Z', n, é: 'ü' }));
    const ids: string[] = [];
    let offset = 0;
    for (const text of texts) {
      const line = lineOf(Buffer.from(text), offset);
      const prepared = prepareLine(line, indexFor);
      if (prepared.kind === 'doc') ids.push(prepared.id);
      batch.add(line, prepared);
      // The tailer's view is not kept past add().
      expect(line.bytes).toBeUndefined();
      offset = line.end;
    }
    expect([0, 1, 2].map((i) => Buffer.from(batch.body(i, i + 1)).toString())).toEqual(
      texts.map((text, i) => `{"create":{"_index":"b-2026.03.01","_id":"${ids[i]}"}}\n${text}\n`),
    );
  });

  it('sends bytes that are not UTF-8 as the decoded text, which Elasticsearch accepts', () => {
    const batch = new Batch();
    const raw = Buffer.concat([
      Buffer.from(`{"${F.TIMESTAMP}":"2026-03-01T10:00:00.000Z","m":"`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const line = lineOf(raw, 0);
    batch.add(line, prepareLine(line, indexFor));
    const source = Buffer.from(batch.body(0, 1)).toString().split('\n')[1] as string;
    expect(JSON.parse(source)).toEqual({ [F.TIMESTAMP]: '2026-03-01T10:00:00.000Z', m: '\ufffd\ufffd' });
  });

  it('grows its buffer no further than the pool says a full batch needs, and gives it back', () => {
    const pool = new BodyPool({ buffers: 1, bufferBytes: 100_000 });
    const batch = new Batch(0, pool);
    let offset = 0;
    // Lines until the batch is full, as the shipper adds them.
    while (!batch.full(10_000, 90_000)) {
      const line = lineOf(
        Buffer.from(JSON.stringify({ [F.TIMESTAMP]: '2026-03-01T10:00:00.000Z', pad: 'x'.repeat(200) })),
        offset,
      );
      batch.add(line, prepareLine(line, indexFor));
      offset = line.end;
    }
    const body = batch.body(0, batch.count);
    expect(body.buffer.byteLength).toBeLessThanOrEqual(100_000);
    batch.release();
    // The same buffer serves the next batch.
    expect(pool.take().body.buffer).toBe(body.buffer);
  });
});

describe('a batch and its memory', () => {
  it('rebuilds a document line for its dead letter from the body, with its file, offset and length', () => {
    const batch = new Batch();
    const text = JSON.stringify({ [F.TIMESTAMP]: '2026-03-01T10:00:00.000Z', m: 'é' });
    const first = lineOf(Buffer.from(text), 0);
    batch.add(first, prepareLine(first, indexFor));
    const second = { ...lineOf(Buffer.from(text), 0), fingerprint: 'b'.repeat(32), path: '/y' };
    batch.add(second, prepareLine(second, indexFor));
    expect(batch.count).toBe(2);
    expect(batch.origin(1)).toEqual({
      fingerprint: 'b'.repeat(32),
      path: '/y',
      offset: 0,
      end: Buffer.byteLength(text) + 1,
      text,
    });
    expect(batch.origin(0).path).toBe('/x');
  });

  it('keeps the numbers of more documents than it first has room for, and hands out neighbours as one view', () => {
    const pool = new BodyPool({ buffers: 1, bufferBytes: 1 << 20 });
    const batch = new Batch(0, pool);
    const texts: string[] = [];
    let offset = 0;
    for (let n = 0; n < 3_000; n++) {
      const text = JSON.stringify({ [F.TIMESTAMP]: '2026-03-01T10:00:00.000Z', n });
      const line = lineOf(Buffer.from(text), offset);
      batch.add(line, prepareLine(line, indexFor));
      texts.push(text);
      offset = line.end;
    }
    expect(batch.count).toBe(3_000);
    const all = Buffer.from(batch.body(0, 3_000)).toString().split('\n');
    expect(all.filter((_, i) => i % 2 === 1).slice(0, 3_000)).toEqual(texts);
    const some = Buffer.from(batch.body(2_000, 2_002)).toString().split('\n');
    expect([some[1], some[3]]).toEqual([texts[2_000], texts[2_001]]);
    expect(batch.origin(2_999)).toMatchObject({ text: texts[2_999], end: offset });
    expect(batch.origin(2_999).offset).toBe(offset - Buffer.byteLength(texts[2_999] as string) - 1);
  });

  it('closes batches at their share of the buffer budget when it is below maxBatchBytes', () => {
    // One queued, four in flight, four answered behind a slower one and the one filling: ten shares.
    const limits = { ...DEFAULT_LIMITS, maxQueuedBatches: 1, maxConcurrentExports: 4, maxBatchBytes: 16 << 20 };
    expect(batchBytesLimit({ ...limits, maxBufferBytes: 40 << 20 })).toBe(4 << 20);
    expect(batchBytesLimit({ ...limits, maxBufferBytes: 1 << 30 })).toBe(16 << 20);
  });
});
