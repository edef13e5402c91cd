/**
 * Follow a growing file line by line from its current end (like `tail -f`), for showing
 * nginx's access log in the stack's foreground output: nginx writes it to a file, not stdout.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** Stop following. */
export type StopTailing = () => void;

/**
 * Call `onLine` for every complete line appended to `path` from now on; polls every `intervalMs`.
 * While `enabled()` is false the new bytes are skipped unread (nobody is watching).
 */
export function tailFile(
  path: string,
  onLine: (line: string) => void,
  enabled: () => boolean = () => true,
  intervalMs = 250,
): StopTailing {
  let offset = sizeOf(path);
  let partial = '';
  const buffer = Buffer.alloc(64 * 1024);
  const timer = setInterval(() => {
    const size = sizeOf(path);
    if (size < offset) offset = 0; // truncated or replaced: start over
    if (size === offset) return;
    if (!enabled()) {
      offset = size;
      partial = '';
      return;
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    try {
      while (offset < size) {
        const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - offset), offset);
        if (read === 0) break;
        offset += read;
        partial += buffer.toString('utf8', 0, read);
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line !== '') onLine(line);
      }
    } finally {
      closeSync(fd);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
