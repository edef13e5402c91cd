/**
 * Reading the X-Request-ID out of the raw bytes of a request Node's parser refused: the valid and
 * invalid cases, and inputs built to make a backtracking regex run for minutes (this file would
 * time out on such a reader).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { correlationIdOfRaw, rawCorrelationHeader, rawHeader } from '../../workload/api/client-error.ts';

const raw = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('rawCorrelationHeader', () => {
  it.each([
    ['GET / HTTP/1.1\r\nX-Request-ID: abc-1\r\nHost: a\r\n', 'abc-1'],
    ['GET / HTTP/1.1\r\nx-request-id:abc-2\r\n', 'abc-2'],
    ['GET / HTTP/1.1\r\nX-REQUEST-ID: \t abc-3 \t \r\n', 'abc-3'],
    ['GET / HTTP/1.1\r\nX-Request-ID: \r\n', ''],
    ['GET / HTTP/1.1\r\nX-Request-ID: abc-4', undefined],
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\n', undefined],
    ['GET / HTTP/1.1\r\nX-Request-IDs: abc\r\n', undefined],
  ])('reads %j as %j', (text, expected) => {
    expect(rawCorrelationHeader(raw(text))).toBe(expected);
  });

  it('looks only at the first 8 KiB', () => {
    const padded = `GET / HTTP/1.1\r\nX-Pad: ${'p'.repeat(9000)}\r\nX-Request-ID: late\r\n`;
    expect(rawCorrelationHeader(raw(padded))).toBeUndefined();
  });

  it('returns on 64 KiB built to make a backtracking regex explode', { timeout: 5_000 }, () => {
    const spaces = ' '.repeat(64 * 1024 - 40);
    expect(rawCorrelationHeader(raw(`GET / HTTP/1.1\r\nX-Request-ID:${spaces}x\u0001`))).toBeUndefined();
    const terminated = raw(`GET / HTTP/1.1\r\nX-Request-ID:${' '.repeat(4000)}x\u0001${' '.repeat(4000)}\r\n`);
    expect(rawCorrelationHeader(terminated)).toBe('x\u0001');
  });

  it('is a plain scan: the module has no regular expression to backtrack', () => {
    const source = readFileSync(new URL('../../workload/api/client-error.ts', import.meta.url), 'utf8');
    const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code).not.toMatch(/new RegExp|\.exec\(|\.match\(|\.replace\(\//);
  });
});

describe('correlationIdOfRaw', () => {
  it('keeps a valid id and replaces an invalid or missing one', () => {
    expect(correlationIdOfRaw(raw('GET / HTTP/1.1\r\nX-Request-ID: nginx-id.7\r\n'))).toBe('nginx-id.7');
    expect(correlationIdOfRaw(raw('GET / HTTP/1.1\r\nX-Request-ID: bad id\u0001\r\n'))).toMatch(CORRELATION_ID_PATTERN);
    expect(correlationIdOfRaw(raw('GET / HTTP/1.1\r\nX-Request-ID: bad id\r\n'))).not.toBe('bad id');
    expect(correlationIdOfRaw('not a buffer')).toMatch(CORRELATION_ID_PATTERN);
  });
});

describe('rawHeader', () => {
  it('reads the traceparent nginx sent before the bytes the parser refused', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const packet = raw(`GET / HTTP/1.1\r\nX-Request-ID: a\r\nTraceparent:  ${tp} \r\nBad\u0001: x\r\n`);
    expect(rawHeader(packet, 'traceparent')).toBe(tp);
    expect(rawHeader(packet, 'tracestate')).toBeUndefined();
  });
});
