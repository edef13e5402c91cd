import { describe, expect, it } from 'vitest';
import { parseMonitorLine } from './redis-monitor.ts';

describe('parseMonitorLine', () => {
  it('reads the source and the quoted arguments, escapes included', () => {
    expect(parseMonitorLine('+1796407033.564148 [0 127.0.0.1:37062] "EXISTS" "test:release:1"')).toEqual({
      args: ['exists', 'test:release:1'],
      source: '127.0.0.1:37062',
    });
    expect(parseMonitorLine('+1.5 [0 lua] "HMGET" "k" "a\\"b" "c\\\\d" "\\x00\\n"')).toEqual({
      args: ['hmget', 'k', 'a"b', 'c\\d', '\u0000\n'],
      source: 'lua',
    });
  });

  it('ignores what is not a command line', () => {
    expect(parseMonitorLine('+OK')).toBeUndefined();
    expect(parseMonitorLine('-ERR nope')).toBeUndefined();
  });
});
