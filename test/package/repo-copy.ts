/**
 * A fresh copy of this checkout in a temp directory, for tests that run npm scripts or `npm pack`
 * and must prove they write nothing: whatever the commands do happens in the copy, never in the
 * working tree other tests are reading. node_modules is a symlink to the checkout's.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');

/** Copy every tracked or new (not ignored) file of the checkout into a new temp directory. */
export function copyRepo(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file !== '' && file !== 'node_modules');
  for (const file of files) {
    try {
      if (!statSync(join(ROOT, file)).isFile()) continue;
    } catch {
      continue; // deleted in the working tree, not yet in the index
    }
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Every file and directory under `dir` (node_modules left out) with its size and modification time. */
export function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.name === 'node_modules' || entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        // A directory counts too: creating an empty var/logs is a side effect as well.
        files.set(`${relative(dir, path)}/`, String(statSync(path).mtimeMs));
        walk(path);
      } else {
        const stat = statSync(path);
        files.set(relative(dir, path), `${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return files;
}

/** What differs between two snapshots: created, deleted or modified paths. */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [path, stamp] of after) if (before.get(path) !== stamp) changed.push(path);
  for (const path of before.keys()) if (!after.has(path)) changed.push(`${path} (deleted)`);
  return changed.sort();
}
