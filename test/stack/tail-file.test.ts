import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tailFile } from '../../workload/stack/tail-file.ts';
import { waitFor } from '../utils/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'dtq-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('reports only complete lines appended after it started, and skips what arrives while disabled', async () => {
  const path = join(dir, 'access.ndjson');
  writeFileSync(path, 'old line\n');
  const seen: string[] = [];
  let enabled = true;
  // Bumped each time the tailer finds new bytes while disabled, so the test knows they were skipped.
  let skips = 0;
  const stop = tailFile(
    path,
    (line) => seen.push(line),
    () => {
      if (!enabled) skips++;
      return enabled;
    },
    20,
  );
  appendFileSync(path, 'first\nsecond, in two ');
  await waitFor('the first line', () => seen.includes('first'));
  appendFileSync(path, 'writes\n');
  await waitFor('the joined line', () => seen.includes('second, in two writes'));
  enabled = false;
  appendFileSync(path, 'unwatched\n');
  await waitFor('the unwatched line to be skipped', () => skips > 0);
  enabled = true;
  appendFileSync(path, 'third\n');
  await waitFor('the third line', () => seen.includes('third'));
  stop();
  expect(seen).toEqual(['first', 'second, in two writes', 'third']);
});
