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
  const stop = tailFile(
    path,
    (line) => seen.push(line),
    () => enabled,
    20,
  );
  appendFileSync(path, 'first\nsecond, in two ');
  await waitFor('the first line', () => seen.includes('first'));
  appendFileSync(path, 'writes\n');
  await waitFor('the joined line', () => seen.includes('second, in two writes'));
  enabled = false;
  appendFileSync(path, 'unwatched\n');
  await new Promise((resolve) => setTimeout(resolve, 100));
  enabled = true;
  appendFileSync(path, 'third\n');
  await waitFor('the third line', () => seen.includes('third'));
  stop();
  expect(seen).toEqual(['first', 'second, in two writes', 'third']);
});
