/**
 * `--once` and a last line without its newline (a writer may be mid-line): the run exits,
 * saying which line it left and where, ships everything before it, and a later run ships that
 * line exactly once after its newline is written.
 */
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import {
  accountFor,
  LineWriter,
  logLine,
  markerCounts,
  type ShipperProcess,
  startShipper,
  useShippingTestbed,
} from './fixtures.ts';

/** How long a `--once` run of a few lines may take before it counts as hanging. */
const ONCE_DEADLINE_MS = 90_000;

async function exitOf(shipper: ShipperProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      shipper.child.kill('SIGKILL');
      reject(new Error(`dtq-ship --once still running after ${ONCE_DEADLINE_MS} ms:\n${shipper.output()}`));
    }, ONCE_DEADLINE_MS);
  });
  try {
    return await Promise.race([shipper.exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('shipper --once and an unterminated last line', () => {
  const bed = useShippingTestbed('once-tail');
  const { prefix, logDir } = bed;

  it('exits naming the line it left, then ships it exactly once when its newline arrives', {
    timeout: 3 * ONCE_DEADLINE_MS,
  }, async () => {
    const api = new LineWriter(logDir, 'api-1', 'api');
    api.write(30);
    const apiTailOffset = statSync(api.path).size;
    appendFileSync(api.path, logLine('api', 'api-tail', 31));
    // A file whose only line is still being written has no identity yet (tailer.ts).
    const worker = join(logDir, 'worker-1.ndjson');
    appendFileSync(worker, logLine('worker', 'worker-tail', 1));

    const once = (): ShipperProcess =>
      startShipper({ logDir, esUrl: bed.url, prefix, args: ['--once'], env: { DTQ_SHIPPER_SCAN_INTERVAL_MS: '200' } });
    const first = once();
    expect(await exitOf(first)).toEqual({ code: 0, signal: null });
    expect(first.output()).toContain(
      `1 unterminated line left at ${api.path}:${apiTailOffset}, not shipped (no newline)`,
    );
    expect(first.output()).toContain(`1 unterminated line left at ${worker}:0, not shipped (no newline)`);
    const counts = await markerCounts(bed.url, prefix);
    for (const marker of api.markers) expect(counts.get(marker)).toBe(1);
    expect(counts.has('api-tail')).toBe(false);
    expect(counts.has('worker-tail')).toBe(false);
    // The registry points at the start of the line left, not past it.
    const registry = JSON.parse(readFileSync(join(logDir, '.shipper', 'registry.json'), 'utf8')) as {
      files: { path: string; offset: number }[];
    };
    expect(registry.files.find((entry) => entry.path === api.path)?.offset).toBe(apiTailOffset);
    // The warning is in the shipper's own log, for whoever reads it later.
    const warnings = readFileSync(join(logDir, 'shipper.ndjson'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"shipper.unterminated_line"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warnings.map((w) => [w[F.SHIPPER_SOURCE], w[F.SHIPPER_OFFSET]])).toEqual(
      expect.arrayContaining([
        [api.path, apiTailOffset],
        [worker, 0],
      ]),
    );

    appendFileSync(api.path, '\n');
    appendFileSync(worker, '\n');
    api.write(5);
    const second = once();
    expect(await exitOf(second)).toEqual({ code: 0, signal: null });
    expect(second.output()).not.toContain('unterminated line left at');
    const report = await accountFor(bed.url, prefix, [...api.markers, 'api-tail', 'worker-tail']);
    expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });
  });
});
