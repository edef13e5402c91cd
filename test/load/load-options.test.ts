import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../workload/load/options.ts';

const now = new Date('2026-11-22T10:00:00.000Z');

describe('parseLoadArgs', () => {
  it('reads --rps and --duration in both spellings and keeps the defaults otherwise', () => {
    const options = parseLoadArgs(['--rps', '40', '--duration=15'], {}, now);
    expect(options).toMatchObject({ rps: 40, durationS: 15, url: 'http://127.0.0.1:8080', duplicates: false });
    expect(options !== 'help' && options.out).toBe('var/load/ground-truth-2026-11-22T10-00-00-000Z.jsonl');
  });

  it('targets DTQ_HTTP_PORT by default', () => {
    expect(parseLoadArgs([], { DTQ_HTTP_PORT: '9090' }, now)).toMatchObject({ url: 'http://127.0.0.1:9090' });
  });

  it('names the bad argument and what was expected', () => {
    expect(() => parseLoadArgs(['--rps', 'fast'], {}, now)).toThrow(/--rps fast: expected a number above 0/);
    expect(() => parseLoadArgs(['--bogus'], {}, now)).toThrow(/--bogus: is not a known option/);
    expect(() => parseLoadArgs(['--kill-worker'], {}, now)).toThrow(/needs --stack/);
  });

  it('answers help for --help', () => {
    expect(parseLoadArgs(['--help'], {}, now)).toBe('help');
  });
});
