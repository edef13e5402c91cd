import { describe, expect, it } from 'vitest';
import { documentId, prepareLine, REJECT_REASONS, type SourceLine } from '../../shipper/line.ts';
import { F } from '../../workload/log/vocabulary.ts';

const at = (text: string, offset = 0): SourceLine => ({
  fingerprint: 'fp',
  path: '/x.ndjson',
  offset,
  end: offset + text.length + 1,
  text,
});

describe('preparing a line', () => {
  it('derives the same _id from the same file and offset, and different ids otherwise', () => {
    expect(documentId('fp', 10)).toBe(documentId('fp', 10));
    expect(documentId('fp', 10)).not.toBe(documentId('fp', 11));
    expect(documentId('fp', 10)).not.toBe(documentId('other', 10));
    expect(documentId('0123456789abcdef0123', 36)).toBe('0123456789abcdef-0000000010');
    // Ids of one file sort in offset order.
    expect(documentId('ab', 35) < documentId('ab', 36 ** 3)).toBe(true);
  });

  it('indexes a line by its own @timestamp day and sends it byte for byte', () => {
    const text = JSON.stringify({ [F.TIMESTAMP]: '2026-02-03T23:59:59.999Z', [F.MESSAGE]: 'hi' });
    const prepared = prepareLine(at(text), 'p');
    expect(prepared).toMatchObject({ kind: 'doc', index: 'p-2026.02.03', source: text });
  });

  it('normalises nginx lines before indexing', () => {
    const text = JSON.stringify({
      [F.SERVICE_NAME]: 'nginx',
      [F.NGINX_MSEC]: '1767225600.123',
      [F.NGINX_REQUEST_TIME]: '0.010',
      [F.HTTP_STATUS]: '200',
    });
    const prepared = prepareLine(at(text), 'p');
    expect(prepared.kind).toBe('doc');
    const source = JSON.parse((prepared as { source: string }).source) as Record<string, unknown>;
    expect(source[F.TIMESTAMP]).toBe('2026-01-01T00:00:00.123Z');
    expect(source[F.EVENT_DURATION]).toBe(10_000_000);
    expect(source[F.HTTP_STATUS]).toBe(200);
  });

  it('rejects what cannot be indexed deterministically, with the reason', () => {
    expect(prepareLine(at('nope'), 'p')).toMatchObject({ kind: 'reject', reason: REJECT_REASONS.NOT_JSON });
    expect(prepareLine(at('[1,2]'), 'p')).toMatchObject({ kind: 'reject', reason: REJECT_REASONS.NOT_AN_OBJECT });
    expect(prepareLine(at('{"message":"no time"}'), 'p')).toMatchObject({
      kind: 'reject',
      reason: REJECT_REASONS.BAD_TIMESTAMP,
    });
    expect(prepareLine({ ...at('{"a'), truncatedFrom: 2_000_000 }, 'p')).toMatchObject({
      kind: 'reject',
      reason: REJECT_REASONS.LINE_TOO_LONG,
    });
    expect(prepareLine(at('   '), 'p')).toEqual({ kind: 'skip' });
  });
});
