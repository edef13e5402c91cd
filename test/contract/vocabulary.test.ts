import { describe, expect, it } from 'vitest';
import { DUPLICATE_EVENTS, EVENTS, F, FIELD_SPECS, normalizeNginxLine } from '../../contract/vocabulary.ts';

describe('vocabulary', () => {
  it('spells every field name once', () => {
    const names = Object.values(FIELD_SPECS).map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('spells every event name once, and every duplicate event is an event', () => {
    const names = Object.values(EVENTS);
    expect(new Set(names).size).toBe(names.length);
    for (const name of Object.keys(DUPLICATE_EVENTS)) expect(names).toContain(name);
  });

  it('normalizes an nginx line: ms timestamp from msec, ns duration, numeric status', () => {
    const line = normalizeNginxLine({
      [F.SERVICE_NAME]: 'nginx',
      [F.TIMESTAMP]: '2026-11-21T10:15:23+00:00',
      [F.NGINX_MSEC]: '1795256123.012',
      [F.NGINX_REQUEST_TIME]: '0.005',
      [F.HTTP_STATUS]: '202',
      [F.HTTP_RESPONSE_BYTES]: '-',
    });
    expect(line[F.TIMESTAMP]).toBe('2026-11-21T10:15:23.012Z');
    expect(line[F.EVENT_DURATION]).toBe(5_000_000);
    expect(line[F.HTTP_STATUS]).toBe(202);
    expect(line).not.toHaveProperty(F.HTTP_RESPONSE_BYTES);
  });

  it('keeps every other field of an nginx line as it was, even one named __proto__', () => {
    const raw = JSON.parse(
      `{"${F.SERVICE_NAME}":"nginx","${F.NGINX_MSEC}":"1795256123.012","__proto__":{"x":1},"${F.URL_PATH}":"/p"}`,
    ) as Record<string, unknown>;
    const line = normalizeNginxLine(raw);
    expect(JSON.stringify(line)).toContain('"__proto__":{"x":1}');
    expect(line[F.URL_PATH]).toBe('/p');
    expect(Object.getPrototypeOf(line)).toBe(Object.prototype);
  });

  it('leaves other services alone', () => {
    const line = { [F.SERVICE_NAME]: 'api', [F.HTTP_STATUS]: '202' };
    expect(normalizeNginxLine(line)).toBe(line);
  });
});
