import { describe, expect, it } from 'vitest';
import { dailyIndexNamer } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import {
  documentId,
  fastTimestampMs,
  hostIdTag,
  prepareLine,
  REJECT_REASONS,
  type SourceLine,
} from '../../shipper/line.ts';

const at = (text: string, offset = 0): SourceLine => ({
  fingerprint: 'fp',
  path: '/x.ndjson',
  offset,
  end: offset + text.length + 1,
  text,
});

const p = dailyIndexNamer('p');

describe('preparing a line', () => {
  it('derives the same _id from the same file and offset, and different ids otherwise', () => {
    expect(documentId('fp', 10)).toBe(documentId('fp', 10));
    expect(documentId('fp', 10)).not.toBe(documentId('fp', 11));
    expect(documentId('fp', 10)).not.toBe(documentId('other', 10));
    expect(documentId('0123456789abcdef0123', 36)).toBe('0123456789abcdef-0000000010');
    // Ids of one file sort in offset order.
    expect(documentId('ab', 35) < documentId('ab', 36 ** 3)).toBe(true);
  });

  it('gives the same file and offset on two hosts two ids, and on one host always the same id', () => {
    const web3 = hostIdTag('web-3');
    const web4 = hostIdTag('web-4');
    expect(web3).toMatch(/^[0-9a-f]{8}$/);
    expect(web3).toBe(hostIdTag('web-3'));
    expect(documentId('fp', 10, web3)).not.toBe(documentId('fp', 10, web4));
    expect(documentId('fp', 10, web3)).toBe(documentId('fp', 10, web3));
    expect(documentId('0123456789abcdef0123', 36, web3)).toBe(`0123456789abcdef${web3}-0000000010`);
    const text = JSON.stringify({ [F.TIMESTAMP]: '2026-02-03T23:59:59.999Z', [F.MESSAGE]: 'hi' });
    expect(prepareLine(at(text), p, undefined, web3)).toMatchObject({ id: documentId('fp', 0, web3) });
    // The parsed path (nginx lines) names the same id.
    const nginx = JSON.stringify({ [F.TIMESTAMP]: '2026-02-03T23:59:59+00:00', [F.SERVICE_NAME]: 'nginx' });
    expect(prepareLine(at(nginx), p, undefined, web4)).toMatchObject({ id: documentId('fp', 0, web4) });
  });

  it('indexes a line by its own @timestamp day and sends it byte for byte', () => {
    const text = JSON.stringify({ [F.TIMESTAMP]: '2026-02-03T23:59:59.999Z', [F.MESSAGE]: 'hi' });
    const prepared = prepareLine(at(text), p);
    expect(prepared).toMatchObject({ kind: 'doc', index: 'p-2026.02.03', source: text });
  });

  it('normalises nginx lines before indexing', () => {
    const text = JSON.stringify({
      [F.SERVICE_NAME]: 'nginx',
      [F.NGINX_MSEC]: '1767225600.123',
      [F.NGINX_REQUEST_TIME]: '0.010',
      [F.HTTP_STATUS]: '200',
    });
    const prepared = prepareLine(at(text), p);
    expect(prepared.kind).toBe('doc');
    const source = JSON.parse((prepared as { source: string }).source) as Record<string, unknown>;
    expect(source[F.TIMESTAMP]).toBe('2026-01-01T00:00:00.123Z');
    expect(source[F.EVENT_DURATION]).toBe(10_000_000);
    expect(source[F.HTTP_STATUS]).toBe(200);
  });

  it('rejects what cannot be indexed deterministically, with the reason', () => {
    expect(prepareLine(at('nope'), p)).toMatchObject({ kind: 'reject', reason: REJECT_REASONS.NOT_JSON });
    expect(prepareLine(at('[1,2]'), p)).toMatchObject({ kind: 'reject', reason: REJECT_REASONS.NOT_AN_OBJECT });
    expect(prepareLine(at('{"message":"no time"}'), p)).toMatchObject({
      kind: 'reject',
      reason: REJECT_REASONS.BAD_TIMESTAMP,
    });
    expect(prepareLine({ ...at('{"a'), truncatedFrom: 2_000_000 }, p)).toMatchObject({
      kind: 'reject',
      reason: REJECT_REASONS.LINE_TOO_LONG,
    });
    expect(prepareLine(at('   '), p)).toEqual({ kind: 'skip' });
  });

  it('names daily indices by UTC day, also across midnight', () => {
    const namer = dailyIndexNamer('q');
    expect(namer(Date.parse('2026-02-03T23:59:59.999Z'))).toBe('q-2026.02.03');
    expect(namer(Date.parse('2026-02-04T00:00:00.000Z'))).toBe('q-2026.02.04');
    expect(namer(Date.parse('2026-02-03T00:00:00.000Z'))).toBe('q-2026.02.03');
  });
});

describe('reading @timestamp without parsing the line', () => {
  const ts = '2026-02-03T10:00:00.123Z';
  const full = (text: string): number | undefined => {
    const record = JSON.parse(text) as Record<string, unknown>;
    return typeof record[F.TIMESTAMP] === 'string' ? Date.parse(record[F.TIMESTAMP] as string) : undefined;
  };

  it('agrees with a full parse on the lines the workload writes', () => {
    const lines = [
      JSON.stringify({ [F.LOG_LEVEL]: 'info', [F.TIMESTAMP]: ts, [F.MESSAGE]: 'a "quoted" {brace} [x]' }),
      JSON.stringify({ [F.TIMESTAMP]: ts, nested: { deep: [1, { a: '}' }] }, [F.MESSAGE]: 'back\\slash' }),
      JSON.stringify({ [F.MESSAGE]: 'x\\', [F.TIMESTAMP]: ts }),
      JSON.stringify({ list: ['{', '"@timestamp":'], [F.TIMESTAMP]: ts }),
    ];
    for (const line of lines) {
      expect(fastTimestampMs(line)).toBe(full(line));
      expect(fastTimestampMs(line)).toBe(Date.parse(ts));
    }
  });

  it('leaves every doubtful line to the full parse', () => {
    const doubtful = [
      // Only a nested object has the key: a full parse finds no top-level @timestamp.
      JSON.stringify({ inner: { [F.TIMESTAMP]: ts }, [F.MESSAGE]: 'm' }),
      // The key twice: which one wins is the parser's business.
      `{"${F.TIMESTAMP}":"${ts}","${F.TIMESTAMP}":"${ts}"}`,
      // A string that merely contains the key, escaped.
      JSON.stringify({ [F.MESSAGE]: `"${F.TIMESTAMP}":"${ts}"` }),
      // nginx lines are rewritten (numbers, msec timestamp), so they are always parsed.
      JSON.stringify({ [F.TIMESTAMP]: ts, [F.SERVICE_NAME]: 'nginx' }),
      // Not a date, an escaped value, a numeric one, not an object, surrounding blanks.
      JSON.stringify({ [F.TIMESTAMP]: 'yesterday' }),
      `{"${F.TIMESTAMP}":"2026-02-03T10:00:00\\u002e123Z"}`,
      JSON.stringify({ [F.TIMESTAMP]: Date.parse(ts) }),
      `[{"${F.TIMESTAMP}":"${ts}"}]`,
      ` {"${F.TIMESTAMP}":"${ts}"}`,
      // An escaped service name or key could hide an nginx line or a second timestamp.
      `{"${F.SERVICE_NAME}":"ngin\\u0078","${F.TIMESTAMP}":"${ts}"}`,
      `{"${F.TIMESTAMP}":"${ts}","@time\\u0073tamp":"${ts}"}`,
      // Elasticsearch's parser accepts comments, JSON does not: left to the full parse, which rejects it.
      `{"${F.TIMESTAMP}":"${ts}","a":1 /* c */}`,
    ];
    for (const line of doubtful) expect(fastTimestampMs(line), line).toBeUndefined();
    // A slash inside a string is just a character.
    expect(fastTimestampMs(JSON.stringify({ [F.TIMESTAMP]: ts, [F.URL_PATH]: '/api/v1/tasks' }))).toBe(Date.parse(ts));
  });

  it('still dead-letters what the slow path rejects and ships the rest byte for byte', () => {
    const nested = JSON.stringify({ inner: { [F.TIMESTAMP]: ts } });
    expect(prepareLine(at(nested), p)).toMatchObject({ kind: 'reject', reason: REJECT_REASONS.BAD_TIMESTAMP });
    const numeric = JSON.stringify({ [F.TIMESTAMP]: Date.parse(ts) });
    expect(prepareLine(at(numeric), p)).toMatchObject({ kind: 'doc', index: 'p-2026.02.03', source: numeric });
  });
});

describe('reading ISO timestamps digit by digit', () => {
  it('gives exactly what Date.parse gives, and defers to it at month ends and on odd forms', () => {
    const samples = [
      '2026-02-03T10:00:00.123Z',
      '1999-12-31T23:59:59.999Z',
      '2024-02-29T12:00:00.000Z',
      '2026-02-30T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '2026-01-01T10:00:00Z',
      '2026-01-01T10:00:00.000+02:00',
      '2026-0a-01T10:00:00.000Z',
      '20x4-01-01T00:00:00.000Z',
      '0050-06-01T00:00:00.000Z',
    ];
    for (const value of samples) {
      const line = `{"${F.TIMESTAMP}":"${value}"}`;
      const parsed = Date.parse(value);
      expect(fastTimestampMs(line), value).toBe(Number.isNaN(parsed) ? undefined : parsed);
    }
  });
});
