/**
 * What the shipper prints to a terminal names files, and a file name is whatever a writer
 * chose: ESC, BEL and newlines in it must reach stderr as visible escapes (contract/
 * terminal-text.ts), never raw, so no name can retitle the window, clear the screen or forge a
 * line of output.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../utils/wait.ts';
import { logLine, type ShipperProcess, startShipper, stopShipper, useShippingTestbed } from './fixtures.ts';

const HOSTILE = 'api-\x1b]0;pwned\x07\x1b[2J\n14:40:00.000 INFO FAKE LINE';
const SHOWN = 'api-\\x1b]0;pwned\\x07\\x1b[2J\\x0a14:40:00.000 INFO FAKE LINE';

function expectNoRawControls(output: string): void {
  for (const line of output.split('\n')) {
    for (const char of line) {
      const code = char.charCodeAt(0);
      expect(code >= 0x20 && code !== 0x7f, `raw U+${code.toString(16)} in ${JSON.stringify(line)}`).toBe(true);
    }
  }
}

async function exited(shipper: ShipperProcess): Promise<number | null> {
  const timer = setTimeout(() => shipper.child.kill('SIGKILL'), 90_000);
  try {
    return (await shipper.exited).code;
  } finally {
    clearTimeout(timer);
  }
}

describe('shipper output on a terminal', () => {
  const bed = useShippingTestbed('stderr');
  const { prefix, logDir } = bed;

  it('shows control characters of a file name as escapes in the --once report', { timeout: 120_000 }, async () => {
    const path = join(logDir, `${HOSTILE}.ndjson`);
    appendFileSync(path, `${logLine('api', 'complete', 1)}\n${logLine('api', 'partial', 2)}`);
    const shipper = startShipper({ logDir, esUrl: bed.url, prefix, args: ['--once'] });
    expect(await exited(shipper)).toBe(0);
    expect(shipper.output()).toContain(`1 unterminated line left at ${join(logDir, SHOWN)}.ndjson:`);
    expectNoRawControls(shipper.output());
  });

  it('shows control characters of the log directory as escapes when it cannot be read', {
    timeout: 120_000,
  }, async () => {
    const parent = join(logDir, `${HOSTILE}-dir`);
    mkdirSync(parent);
    const notADirectory = join(parent, 'file');
    writeFileSync(notADirectory, '');
    const shipper = startShipper({ logDir: notADirectory, esUrl: bed.url, prefix, args: ['--once'] });
    expect(await exited(shipper)).toBe(1);
    expect(shipper.output()).toContain(SHOWN);
    expectNoRawControls(shipper.output());
  });

  it('shows control characters of the log directory as escapes when it cannot be read as SIGTERM stops the shipper', {
    timeout: 120_000,
  }, async () => {
    const dir = join(logDir, `${HOSTILE}-stopped`);
    mkdirSync(dir);
    const shipper = startShipper({
      logDir: dir,
      esUrl: bed.url,
      prefix,
      env: { DTQ_SHIPPER_SCAN_INTERVAL_MS: '600000', DTQ_SHIPPER_STATE_DIR: join(logDir, 'stopped-state') },
    });
    // Running, its signal handlers in place: its own line saying so is in the directory.
    await waitFor('the shipper started', () => started(dir), { timeoutMs: 60_000, intervalMs: 100 });
    // The stop's last look for new files is the scan that fails.
    rmSync(dir, { recursive: true, force: true });
    writeFileSync(dir, '');
    expect((await stopShipper(shipper)).code).toBe(1);
    expect(shipper.output()).toContain(SHOWN);
    expectNoRawControls(shipper.output());
  });
});

/** Whether a shipper writing its own lines to `dir` said it started shipping. */
function started(dir: string): boolean {
  try {
    return readdirSync(dir).some(
      (name) => name.endsWith('.ndjson') && readFileSync(join(dir, name), 'utf8').includes('"shipping '),
    );
  } catch {
    return false;
  }
}
