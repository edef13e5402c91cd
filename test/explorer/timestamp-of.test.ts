import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIsoMs, timestampOf } from '../../explorer/model/fields.ts';

/** Two digits, zero-padded. */
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('reading @timestamp', () => {
  it('reads the canonical form as Date.parse does, for any date and time', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1000-01-01T00:00:00.000Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (date) => {
          const text = date.toISOString();
          expect(timestampOf({ '@timestamp': text })).toBe(Date.parse(text));
        },
      ),
    );
  });

  it('agrees with Date.parse on near-canonical text: out-of-range fields, stray characters, other lengths', () => {
    const field = (width: number) =>
      fc.oneof(
        fc.integer({ min: 0, max: 10 ** width - 1 }).map((n) => pad(n, width)),
        fc.string({ minLength: width, maxLength: width }),
      );
    const text = fc
      .tuple(
        field(4),
        field(2),
        field(2),
        field(2),
        field(2),
        field(2),
        field(3),
        fc.constantFrom('T', 't', ' '),
        fc.constantFrom('Z', 'z', '+00:00', ''),
      )
      .map(([y, mo, d, h, mi, s, ms, t, z]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}.${ms}${z}`);
    fc.assert(
      fc.property(text, (value) => {
        const parsed = Date.parse(value);
        expect(timestampOf({ '@timestamp': value })).toBe(Number.isNaN(parsed) ? undefined : parsed);
        const fast = canonicalIsoMs(value);
        if (fast !== undefined) expect(fast).toBe(parsed);
      }),
      { numRuns: 5000 },
    );
  });

  it('leaves to Date.parse the days that could overflow a month and the hour 24', () => {
    for (const value of [
      '2026-02-29T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-12-04T24:00:00.000Z',
      '0099-01-01T00:00:00.000Z',
    ]) {
      expect(canonicalIsoMs(value)).toBeUndefined();
      const parsed = Date.parse(value);
      expect(timestampOf({ '@timestamp': value })).toBe(Number.isNaN(parsed) ? undefined : parsed);
    }
  });
});
