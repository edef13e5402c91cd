import { describe, expect, it } from 'vitest';
import { zeroCounters } from '../../shipper/metrics.ts';
import { Progress, progressLine } from '../../shipper/progress.ts';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  return { stream: { isTTY, write: (chunk: string) => written.push(chunk) } as unknown as NodeJS.WriteStream, written };
}

describe('backlog progress', () => {
  it('shows one updating line on a terminal while a large backlog drains, then ends it', () => {
    const { stream, written } = fakeStream(true);
    const progress = new Progress(stream);
    progress.update({ ...zeroCounters(), lagBytes: 8 * 1024 * 1024, lagSeconds: 3 }, 0);
    progress.update({ ...zeroCounters(), linesShipped: 5000, lagBytes: 2 * 1024 * 1024, lagSeconds: 1 }, 1000);
    progress.update({ ...zeroCounters(), linesShipped: 9000, lagBytes: 0, lagSeconds: 0 }, 2000);
    expect(written[0]?.startsWith('\r\x1b[2Kshipping backlog   0% | 0 lines shipped')).toBe(true);
    expect(written[1]).toMatch(/ 75% \| 5000 lines shipped \| 5000 lines\/s \| 2\.0 MB to go/);
    expect(written.at(-1)).toBe('\n');
  });

  it('stays silent off a terminal and for a small backlog', () => {
    const off = fakeStream(false);
    new Progress(off.stream).update({ ...zeroCounters(), lagBytes: 8 * 1024 * 1024, lagSeconds: 3 });
    const small = fakeStream(true);
    new Progress(small.stream).update({ ...zeroCounters(), lagBytes: 1000, lagSeconds: 3 });
    expect([...off.written, ...small.written]).toEqual([]);
    expect(progressLine({ ...zeroCounters(), lagBytes: 0, lagSeconds: 0 }, 0, 0)).toContain('100%');
  });
});
