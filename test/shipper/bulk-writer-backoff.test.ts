/**
 * How the bulk writer spaces its retries, against a transport double that answers in memory:
 * each batch backs off by its own failures (never by those of other batches in flight), while
 * an outage is still reported once, across batches; Retry-After sets a floor, capped.
 */
import { describe, expect, it } from 'vitest';
import type { HttpResponse, RequestOptions } from '../../contract/http-client.ts';
import { type BulkDocs, type BulkTransport, BulkWriter } from '../../shipper/bulk-writer.ts';
import { bulkDocs } from '../utils/bulk-docs.ts';

interface Answer {
  status: number;
  headers?: Record<string, string>;
}

/** A transport that answers each distinct body with `script(body, nth)` and then 201s. */
function scriptedTransport(script: (body: string, nth: number) => Answer | undefined): BulkTransport {
  const seen = new Map<string, number>();
  return {
    async send(_method: string, _path: string, options: RequestOptions): Promise<HttpResponse> {
      const body = Buffer.from(options.body as Uint8Array).toString('utf8');
      const nth = (seen.get(body) ?? 0) + 1;
      seen.set(body, nth);
      const documents = body.split('\n').filter((line) => line !== '').length / 2;
      const answer = script(body, nth) ?? { status: 200 };
      const text =
        answer.status === 200
          ? JSON.stringify({
              errors: false,
              items: Array.from({ length: documents }, () => ({ create: { status: 201 } })),
            })
          : `{"error":"busy","status":${answer.status}}`;
      return { status: answer.status, headers: answer.headers ?? {}, text, ms: 0, json: () => JSON.parse(text) };
    },
    close() {},
  };
}

function docsOf(name: string, count = 2): BulkDocs {
  return bulkDocs(
    Array.from({ length: count }, (_, i) =>
      Buffer.from(`{"create":{"_index":"t","_id":"${name}-${i}"}}\n{"n":${i}}\n`),
    ),
  );
}

interface Retry {
  failuresInARow: number;
  delayMs: number;
}

function writer(transport: BulkTransport, retries: Retry[], recoveries: number[], backoffMaxMs = 1_000) {
  return new BulkWriter({
    url: 'http://unused.invalid',
    exportTimeoutMs: 1_000,
    backoffInitialMs: 8,
    backoffMaxMs,
    // The top of the jitter range: every delay is its ceiling, so the exponent shows.
    random: () => 1,
    transport,
    onRetry: (_reason, failuresInARow, delayMs) => retries.push({ failuresInARow, delayMs }),
    onRecovered: (failures) => recoveries.push(failures),
  });
}

describe('bulk writer backoff', () => {
  it('backs each of four failing batches off by its own first failure, not by the four together', async () => {
    const retries: Retry[] = [];
    const recoveries: number[] = [];
    const bulk = writer(
      scriptedTransport((_body, nth) => (nth === 1 ? { status: 503 } : undefined)),
      retries,
      recoveries,
    );
    const signal = new AbortController().signal;
    const outcomes = await Promise.all(['a', 'b', 'c', 'd'].map((name) => bulk.write(docsOf(name), signal)));
    expect(outcomes.flat().every((outcome) => outcome.status === 'created')).toBe(true);
    expect(retries.map((retry) => retry.delayMs)).toEqual([8, 8, 8, 8]);
    // The outage itself is still one outage: four failures in a row, one recovery.
    expect(retries.map((retry) => retry.failuresInARow)).toEqual([1, 2, 3, 4]);
    expect(recoveries).toEqual([4]);
  });

  it('doubles the delay of a batch that keeps failing, up to the ceiling', async () => {
    const retries: Retry[] = [];
    const bulk = writer(
      scriptedTransport((_body, nth) => (nth <= 5 ? { status: 502 } : undefined)),
      retries,
      [],
      50,
    );
    await bulk.write(docsOf('a'), new AbortController().signal);
    expect(retries.map((retry) => retry.delayMs)).toEqual([8, 16, 32, 50, 50]);
  });

  it('counts documents answered 429 inside a 200 as a failed round of that batch', async () => {
    const retries: Retry[] = [];
    let calls = 0;
    const transport: BulkTransport = {
      async send(_m, _p, options) {
        calls++;
        const documents =
          Buffer.from(options.body as Uint8Array)
            .toString()
            .split('\n').length / 2;
        const status = calls <= 3 ? 429 : 201;
        const text = JSON.stringify({
          errors: status !== 201,
          items: Array.from({ length: Math.floor(documents) }, () => ({ create: { status } })),
        });
        return { status: 200, headers: {}, text, ms: 0, json: () => JSON.parse(text) };
      },
      close() {},
    };
    await writer(transport, retries, []).write(docsOf('a'), new AbortController().signal);
    expect(retries.map((retry) => retry.delayMs)).toEqual([8, 16, 32]);
  });

  it('waits at least what Retry-After asks on 429 and 503, capped at the ceiling, and ignores it on other statuses', async () => {
    const cases: [Answer, number][] = [
      [{ status: 429, headers: { 'retry-after': '0' } }, 8],
      [{ status: 503, headers: { 'retry-after': '1' } }, 300],
      [{ status: 429, headers: { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() } }, 300],
      [{ status: 500, headers: { 'retry-after': '1' } }, 8],
    ];
    for (const [answer, expected] of cases) {
      const retries: Retry[] = [];
      const bulk = writer(
        scriptedTransport((_body, nth) => (nth === 1 ? answer : undefined)),
        retries,
        [],
        300,
      );
      await bulk.write(docsOf('a'), new AbortController().signal);
      expect({ answer, delays: retries.map((retry) => retry.delayMs) }).toEqual({ answer, delays: [expected] });
    }
  });

  it('takes an answer without errors as every document created only when it has one item per document', async () => {
    const retries: Retry[] = [];
    const answers = [
      // One item short: not an answer for this request, so it is sent again.
      { errors: false, items: [{ create: { status: 201 } }] },
      { errors: false, items: [{ create: { status: 201 } }, { create: { status: 200 } }] },
    ];
    const transport: BulkTransport = {
      async send() {
        const text = JSON.stringify(answers.shift());
        return { status: 200, headers: {}, text, ms: 0, json: () => JSON.parse(text) };
      },
      close() {},
    };
    const outcomes = await writer(transport, retries, []).write(docsOf('a'), new AbortController().signal);
    expect(outcomes).toEqual([{ status: 'created' }, { status: 'created' }]);
    expect(retries).toHaveLength(1);
    expect(answers).toHaveLength(0);
  });
});
