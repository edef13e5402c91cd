import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey, parseIdempotencyKeyValue } from '../../workload/idempotency/key.ts';

describe('parseIdempotencyKeyValue', () => {
  it('accepts a bare token and the same key as a Structured Field string', () => {
    expect(parseIdempotencyKeyValue('8e03978e-40d5-43e8-bc93-6894a57f9324')).toEqual({
      ok: true,
      key: '8e03978e-40d5-43e8-bc93-6894a57f9324',
    });
    expect(parseIdempotencyKeyValue('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toEqual({
      ok: true,
      key: '8e03978e-40d5-43e8-bc93-6894a57f9324',
    });
    expect(parseIdempotencyKeyValue('"a \\"quoted\\" \\\\ key"')).toEqual({ ok: true, key: 'a "quoted" \\ key' });
  });

  it('accepts exactly 255 characters and refuses 256', () => {
    expect(parseIdempotencyKeyValue('k'.repeat(255))).toEqual({ ok: true, key: 'k'.repeat(255) });
    const refused = parseIdempotencyKeyValue('k'.repeat(256));
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toContain('256 characters');
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['empty quoted string', '""'],
    ['unclosed quote', '"abc'],
    ['bad escape', '"a\\nb"'],
    ['inner unescaped quote', '"a"b"'],
    ['control character', 'abc\x01def'],
    ['DEL', 'abc\x7f'],
    ['UTF-8 bytes as Node decodes them (latin1)', Buffer.from('clé-ü', 'utf8').toString('latin1')],
    ['unicode', 'ключ-🔑'],
    ['tab inside', 'a\tb'],
  ])('refuses %s', (_name, value) => {
    const parsed = parseIdempotencyKeyValue(value);
    expect(parsed.ok).toBe(false);
  });

  it('never quotes the refused value in its reason (no log or response injection)', () => {
    const hostile = `x${'\x1b[31m'}<script>`;
    const parsed = parseIdempotencyKeyValue(hostile);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).not.toContain('<script>');
  });
});

describe('parseIdempotencyKey (raw header list)', () => {
  it('returns no key when the header is absent', () => {
    expect(parseIdempotencyKey(['Content-Type', 'application/json'])).toEqual({ ok: true, key: undefined });
  });

  it('finds the header case-insensitively', () => {
    expect(parseIdempotencyKey(['IDEMPOTENCY-KEY', 'k1'])).toEqual({ ok: true, key: 'k1' });
  });

  it('refuses a repeated header instead of joining the values', () => {
    const parsed = parseIdempotencyKey(['Idempotency-Key', 'a', 'idempotency-key', 'b']);
    expect(parsed).toEqual({ ok: false, reason: 'it was sent 2 times, send it once' });
  });
});
