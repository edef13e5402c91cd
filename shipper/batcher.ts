/**
 * Batches and the bounded queue between the reader and the sender. A batch closes when it
 * reaches maxBatchLines or maxBatchBytes; the queue holds at most maxQueuedBatches, and the
 * reader waits on it (backpressure) instead of reading further: what is not in memory stays
 * in the files.
 */
import type { PreparedLine, SourceLine } from './line.ts';

/** One line in a batch with what to do with it. */
export type BatchItem =
  | { kind: 'doc'; line: SourceLine; id: string; index: string; source: string; timestampMs: number }
  | { kind: 'reject'; line: SourceLine; reason: string; detail: string };

/** Lines on their way to Elasticsearch, and how far each file gets once they are acknowledged. */
export class Batch {
  readonly items: BatchItem[] = [];
  /** Per fingerprint: offset just past its last line here, and the path it was read from. */
  readonly ends = new Map<string, { end: number; path: string }>();
  readonly createdAt: number;
  bytes = 0;
  lines = 0;

  constructor(now = Date.now()) {
    this.createdAt = now;
  }

  /** Add one prepared line (skipped lines only move the file's offset). */
  add(line: SourceLine, prepared: PreparedLine): void {
    this.lines++;
    this.ends.set(line.fingerprint, { end: line.end, path: line.path });
    if (prepared.kind === 'skip') return;
    if (prepared.kind === 'doc') {
      this.items.push({ ...prepared, line });
      this.bytes += prepared.source.length + prepared.index.length + 64;
    } else {
      this.items.push({ kind: 'reject', line, reason: prepared.reason, detail: prepared.detail });
      this.bytes += line.text.length;
    }
  }

  /** True when the batch must be sent before another line is added. */
  full(maxLines: number, maxBytes: number): boolean {
    return this.lines >= maxLines || this.bytes >= maxBytes;
  }

  /** Oldest @timestamp among the documents (for the lag-in-seconds metric). */
  oldestTimestampMs(): number | undefined {
    let oldest: number | undefined;
    for (const item of this.items) {
      if (item.kind === 'doc' && (oldest === undefined || item.timestampMs < oldest)) oldest = item.timestampMs;
    }
    return oldest;
  }
}

/** A FIFO of bounded length; `push` waits while it is full, `take` while it is empty. */
export class BoundedQueue<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  #spaceWaiters: (() => void)[] = [];
  #itemWaiters: ((item: T | undefined) => void)[] = [];
  #closed = false;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  /** Items waiting. */
  get length(): number {
    return this.#items.length;
  }

  /** Add an item, waiting for room first. */
  async push(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#closed) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    const taker = this.#itemWaiters.shift();
    if (taker) taker(item);
    else this.#items.push(item);
  }

  /** The oldest item, waiting for one; undefined once closed and drained. */
  async take(): Promise<T | undefined> {
    const item = this.#items.shift();
    if (item !== undefined) {
      this.#spaceWaiters.shift()?.();
      return item;
    }
    if (this.#closed) return undefined;
    return new Promise((resolve) => this.#itemWaiters.push(resolve));
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** No more pushes: takers get the remaining items, then undefined. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#itemWaiters) waiter(undefined);
    this.#itemWaiters = [];
    for (const waiter of this.#spaceWaiters) waiter();
    this.#spaceWaiters = [];
  }
}
