/**
 * When each task completed, read from the workers' NDJSON logs in a directory (the
 * `task.completed` line's `@timestamp`): what both reference systems write, so the end-to-end
 * benchmark times Node and Celery workers by the same clock without polling their APIs.
 * Follows the files as they grow; a line still being written waits for the next read.
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS, F } from '../contract/vocabulary.ts';

/** Completion times (epoch ms) by task id, from every `*.ndjson` file of a log directory. */
export class TaskCompletions {
  readonly #dir: string;
  readonly #offsets = new Map<string, number>();
  readonly #partial = new Map<string, string>();
  readonly #done = new Map<string, number>();
  /** Read buffer shared by every file and poll. */
  readonly #chunk = Buffer.allocUnsafe(1 << 20);

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Read what was written since the last call; every completion seen so far. */
  poll(): ReadonlyMap<string, number> {
    for (const name of readdirSync(this.#dir)) if (name.endsWith('.ndjson')) this.#read(name);
    return this.#done;
  }

  #read(name: string): void {
    const fd = openSync(join(this.#dir, name), 'r');
    try {
      const chunk = this.#chunk;
      let offset = this.#offsets.get(name) ?? 0;
      for (;;) {
        const read = readSync(fd, chunk, 0, chunk.length, offset);
        if (read === 0) break;
        offset += read;
        const lines = ((this.#partial.get(name) ?? '') + chunk.subarray(0, read).toString('utf8')).split('\n');
        this.#partial.set(name, lines.pop() ?? '');
        for (const line of lines) this.#apply(line);
      }
      this.#offsets.set(name, offset);
    } finally {
      closeSync(fd);
    }
  }

  #apply(line: string): void {
    // Most lines are not completions: skip them before parsing.
    if (!line.includes(EVENTS.TASK_COMPLETED)) return;
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      const taskId = record[F.TASK_ID];
      if (record[F.EVENT_ACTION] === EVENTS.TASK_COMPLETED && typeof taskId === 'string')
        this.#done.set(taskId, Date.parse(String(record[F.TIMESTAMP])));
    } catch {
      // A torn or foreign line is not a completion.
    }
  }
}
