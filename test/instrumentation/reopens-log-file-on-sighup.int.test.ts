import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { logFilePath } from '../../instrumentation/logger.ts';
import { waitFor } from '../utils/wait.ts';

const FIXTURE = new URL('./fixtures/writes-lines.ts', import.meta.url).pathname;
const INSTANCE = 'writer-1';

/**
 * The event.sequence of every line of a file, in file order; throws on a line that is not JSON.
 * `tornEnd`: the file is a copy taken while a line was being written, whose last line may be
 * cut (dropped here); any other file must end with a whole line.
 */
function sequences(path: string, tornEnd = false): number[] {
  let text = readFileSync(path, 'utf8');
  if (tornEnd) text = text.slice(0, text.lastIndexOf('\n') + 1);
  if (text === '') return [];
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => (JSON.parse(line) as Record<string, number>)[F.EVENT_SEQUENCE] as number);
}

function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
}

/** 1..n in order: nothing lost, nothing doubled, nothing out of order. */
function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

describe('log files under rotation', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  function startWriter(): { file: string; written: Promise<number> } {
    dir = mkdtempSync(join(tmpdir(), 'dtq-rotate-'));
    child = spawn(process.execPath, [FIXTURE, INSTANCE], {
      env: { ...process.env, DTQ_LOG_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const written = new Promise<number>((resolve, reject) => {
      child?.once('exit', (code) =>
        code === 0 ? resolve((JSON.parse(out) as { written: number }).written) : reject(new Error(`exit ${code}`)),
      );
    });
    return { file: logFilePath(dir, INSTANCE), written };
  }

  /** Wait until `path` has gained `lines` more lines than it has now. */
  async function grows(path: string, lines = 200): Promise<void> {
    const from = lineCount(path);
    await waitFor(`${path} to grow by ${lines} lines`, () => lineCount(path) >= from + lines);
  }

  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no line when the file is renamed and the writer gets SIGHUP (logrotate create + postrotate)', {
    timeout: 60_000,
  }, async () => {
    const { file, written } = startWriter();
    await grows(file);

    // logrotate `create`: rename, create an empty file at the path, then postrotate's kill -HUP.
    renameSync(file, `${file}.1`);
    await grows(`${file}.1`); // the writer keeps writing to the renamed file until told
    writeFileSync(file, '');
    child?.kill('SIGHUP');
    await grows(file);

    // Without `create`: the writer makes the new file itself.
    renameSync(`${file}.1`, `${file}.2`);
    renameSync(file, `${file}.1`);
    await grows(`${file}.1`);
    child?.kill('SIGHUP');
    await grows(file);

    child?.kill('SIGTERM');
    const total = await written;
    const [oldest, older, current] = [`${file}.2`, `${file}.1`, file].map((path) => sequences(path));
    // Each rotation split the run at one line: every line is in exactly one file, in order.
    expect([...(oldest ?? []), ...(older ?? []), ...(current ?? [])]).toEqual(oneTo(total));
    expect(older?.length).toBeGreaterThan(200);
    expect(current?.length).toBeGreaterThan(200);
  });

  it('keeps writing from the start of the file after copytruncate, with no hole', { timeout: 60_000 }, async () => {
    const { file, written } = startWriter();
    await grows(file);

    // logrotate `copytruncate`: copy, then truncate in place; no signal.
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    await grows(file);
    child?.kill('SIGTERM');
    const total = await written;

    // The file is appended to (O_APPEND): after the truncate the writer's next line lands at
    // byte 0, not at its old offset behind a run of NUL bytes.
    expect(readFileSync(file).subarray(0, 1).toString()).toBe('{');
    // cp reads the file while the writer appends: the copy's last line may be cut, which is
    // copytruncate's race too (the rest of that line is written before the truncate wipes it).
    const copied = sequences(`${file}.1`, true);
    const current = sequences(file);
    expect(copied).toEqual(oneTo(copied.length));
    const first = current[0] ?? 0;
    expect(current).toEqual(oneTo(total).slice(first - 1));
    // Lines written between the copy and the truncate are in neither file: copytruncate's own
    // race (docs/pipeline.md). The copy holds at least what was there before the copy began.
    expect(first).toBeGreaterThan(copied.length);
    expect(statSync(`${file}.1`).size).toBeGreaterThan(0);
  });
});
