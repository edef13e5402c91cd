import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runExplore } from './binary.ts';
import { tempLogDirs } from './helpers.ts';

beforeAll(() => {
  ensureBuilt();
}, 120_000);

const { fixtureDir } = tempLogDirs();

const NOBODY = 65534;

describe('dtq-explore --logs through the real binary', () => {
  it('reads the logs piped into --logs -, gzipped too', async () => {
    const dir = fixtureDir();
    const text = readdirSync(dir)
      .sort()
      .map((name) => readFileSync(join(dir, name), 'utf8'))
      .join('');
    for (const input of [text, gzipSync(text)]) {
      const { code, stdout, stderr } = await runExplore(['req-dlq-1', '--logs', '-', '--json'], {}, { input });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const json = JSON.parse(stdout) as { source: { description: string }; correlation_id: string };
      expect(json.source.description).toBe('standard input');
      expect(json.correlation_id).toBe('req-dlq-1');
    }
  });

  it('says so in one line when standard input cannot be spooled to TMPDIR', async () => {
    // A TMPDIR that is a file: nothing can be made under it (a missing one, Node's compile cache would create).
    const tmp = join(fixtureDir(), 'api-1.ndjson');
    const { code, stderr } = await runExplore(['x', '--logs', '-'], { TMPDIR: tmp }, { input: '{}\n' });
    expect(code).toBe(3);
    expect(stderr).toContain(`standard input could not be copied to ${tmp} (ENOTDIR; set TMPDIR`);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('reads a single file given as --logs FILE', async () => {
    const dir = fixtureDir();
    const { code, stdout } = await runExplore(['req-happy-1', '--logs', join(dir, 'api-1.ndjson'), '--plain']);
    expect(code).toBe(0);
    expect(stdout).toContain('req-happy-1');
  });

  it('answers a FIFO or a symlink loop alone with one line and exit 3, not a hang or a stack trace', async () => {
    const dir = fixtureDir();
    const fifo = join(dir, 'pipe.ndjson');
    execFileSync('mkfifo', [fifo]);
    const loop = join(dir, 'loop.ndjson');
    symlinkSync(loop, loop);
    for (const [path, why] of [
      [fifo, 'a FIFO, skipped (pipe logs with --logs - instead)'],
      [loop, 'symlink loop, skipped'],
    ] as const) {
      const { code, stderr } = await runExplore(['req-dlq-1', '--logs', path]);
      expect(code).toBe(3);
      expect(stderr).toContain(why);
      expect(stderr).toContain('(DTQ_ERR_EXPLORE_NO_LOG_FILES)');
      expect(stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('skips a file it may not read with a warning in the trace', async () => {
    const dir = fixtureDir();
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'secret.ndjson'), '{"correlation_id":"req-dlq-1"}\n');
    chmodSync(join(dir, 'secret.ndjson'), 0o000);
    // root reads any file: the test drops to nobody, as a user without the right would run it.
    const uid = process.getuid?.() === 0 ? NOBODY : undefined;
    const { code, stdout, stderr } = await runExplore(['req-dlq-1', '--logs', dir, '--plain'], {}, { uid });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('! secret.ndjson: permission denied, skipped');
  });
});
