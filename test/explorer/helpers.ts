/** Shared pieces of the explorer tests: fixture log directories and frame utilities. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach } from 'vitest';
import { deadLettered, happyPath, type LogWriter } from './fixtures.ts';

/** Write a LogWriter's lines as one NDJSON file per process into a fresh temp dir. */
export function writeLogDir(writer: LogWriter, dir = mkdtempSync(join(tmpdir(), 'dtq-explore-'))): string {
  for (const [name, text] of writer.files()) writeFileSync(join(dir, name), text);
  return dir;
}

/** Remove a temp dir made by writeLogDir. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Temp log directories for one test file, removed after each test: `fixtureDir()` writes the
 * happy path and a dead-lettered request, `track(dir)` hands over one made otherwise.
 */
export function tempLogDirs(): { fixtureDir: () => string; track: (dir: string) => string } {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) removeDir(dir);
  });
  const track = (dir: string): string => {
    dirs.push(dir);
    return dir;
  };
  const fixtureDir = (): string => {
    const writer = happyPath();
    deadLettered(writer);
    return track(writeLogDir(writer));
  };
  return { fixtureDir, track };
}

/** The escape character that starts terminal control sequences. */
export const ESC = '\u001b';
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g');

/** A frame without escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Poll `frame()` until `test` accepts it; fail with the last frame. */
export async function waitForFrame(
  frame: () => string | undefined,
  test: (text: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = stripAnsi(frame() ?? '');
    if (test(last)) return last;
    await sleep(20);
  }
  throw new Error(`frame never matched; last frame:\n${last}`);
}

/** The line of a frame the selection marker is on. */
export function selectedLine(frame: string): string {
  return frame.split('\n').find((line) => line.startsWith('› ')) ?? '';
}

/** What {@link press} needs of an ink-testing-library render. */
export interface KeyTarget {
  readonly stdin: { write(data: string): void };
  readonly frames: readonly string[];
}

/**
 * Type keys one at a time, each once Ink has rendered the previous one: a key handled before the
 * re-render would see the old state. Every key given must change what is rendered.
 */
export async function press(app: KeyTarget, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    const before = app.frames.length;
    app.stdin.write(key);
    const deadline = Date.now() + 5000;
    while (app.frames.length === before) {
      if (Date.now() > deadline) throw new Error(`key ${JSON.stringify(key)} was never rendered`);
      await sleep(5);
    }
    // Let React run the effects of that render (Ink re-subscribes its input handler there).
    await new Promise((resolve) => setImmediate(resolve));
  }
}
