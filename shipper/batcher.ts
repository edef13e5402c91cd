/**
 * Batches and the bounded queue between the reader and the sender. A batch closes when it
 * reaches maxBatchLines or maxBatchBytes; the queue holds at most maxQueuedBatches, and the
 * reader waits on it (backpressure) instead of reading further: what is not in memory stays
 * in the files.
 */
import { isUtf8 } from 'node:buffer';
import type { BulkDocs } from './bulk-writer.ts';
import type { PreparedLine, SourceLine } from './line.ts';

/** A line of a batch that goes to the dead-letter file instead of Elasticsearch. */
export interface BatchReject {
  readonly line: SourceLine;
  readonly reason: string;
  readonly detail: string;
}

/** Bytes the body of a batch without a pool starts with; it doubles when the batch needs more. */
const INITIAL_BODY_BYTES = 64 * 1024;
/** Documents a new batch has room for in its numbers; doubled when it needs more. */
const INITIAL_DOCS = 1024;
/**
 * Numbers kept per document, side by side in one Float64Array (file offsets can pass 2^32):
 * where its `_bulk` lines end in the body (they start where the previous document's end), the
 * byte offset of its line in its file, the line's length, and its file's index in the batch.
 */
const DOC_FIELDS = 4;
const BODY_END = 0;
const LINE_OFFSET = 1;
const LINE_BYTES = 2;
const FILE_INDEX = 3;

/** What a batch writes into: its `_bulk` body, and its numbers per document. */
export interface BatchMemory {
  body: Buffer;
  docs: Float64Array;
}

/** Options of {@link BodyPool}. */
export interface BodyPoolOptions {
  /** Batches' memories kept for reuse: as many as batches can be alive at once. */
  readonly buffers: number;
  /** Bytes a full batch's body needs (maxBatchBytes plus one line): bodies grow no further unless a line needs it. */
  readonly bufferBytes: number;
}

/**
 * Bodies (and per-document numbers) handed back by acknowledged batches, for the next ones. A
 * few megabytes allocated per batch and dropped made V8 run full garbage collections for the
 * external memory alone; only as many batches as the pipeline holds at once are ever alive, so
 * the pool holds at most `buffers` × `bufferBytes` of bodies.
 */
export class BodyPool {
  readonly bufferBytes: number;
  readonly #buffers: number;
  readonly #free: BatchMemory[] = [];

  constructor(options: BodyPoolOptions) {
    this.#buffers = options.buffers;
    this.bufferBytes = options.bufferBytes;
  }

  /**
   * Memory for a new batch. A new body has the full size at once: grown by doubling it would be
   * copied several times and leave each smaller buffer behind for the collector, and pages the
   * batch never writes cost no RSS.
   */
  take(): BatchMemory {
    return (
      this.#free.pop() ?? {
        body: Buffer.allocUnsafe(this.bufferBytes),
        docs: new Float64Array(INITIAL_DOCS * DOC_FIELDS),
      }
    );
  }

  /** Give a batch's memory back once nothing refers to its contents any more. */
  give(memory: BatchMemory): void {
    if (this.#free.length < this.#buffers && memory.body.length <= this.bufferBytes) this.#free.push(memory);
  }
}

function newMemory(): BatchMemory {
  return { body: Buffer.allocUnsafe(INITIAL_BODY_BYTES), docs: new Float64Array(INITIAL_DOCS * DOC_FIELDS) };
}

/**
 * Lines on their way to Elasticsearch, and how far each file gets once they are acknowledged.
 * The `_bulk` body is written as lines arrive, and a line that goes out unchanged is copied
 * byte for byte from what the tailer read: decoding it to a string and encoding it back per
 * line was a large share of the shipper's CPU.
 *
 * Memory: a batch keeps no object per document, only numbers in a typed array that, like the
 * body, goes back to the pool for the next batch. Batches live for as long as Elasticsearch
 * takes to answer, long enough for V8 to move whatever they hold to the old generation, which
 * then grows by several times that before each full collection: an object per document (or a
 * JavaScript array grown line by line) held there was most of the shipper's peak RSS.
 */
export class Batch implements BulkDocs {
  /** Lines that are not documents (dead-lettered on acknowledgement), in order. */
  readonly rejects: BatchReject[] = [];
  /** Per fingerprint: offset just past its last line here, and the path it was read from. */
  readonly ends = new Map<string, { end: number; path: string }>();
  readonly createdAt: number;
  bytes = 0;
  lines = 0;
  readonly #pool: BodyPool | undefined;
  #memory: BatchMemory;
  #length = 0;
  #count = 0;
  /** Files of this batch's documents (a handful: the tailer takes lines file by file). */
  readonly #files: { fingerprint: string; path: string }[] = [];
  #oldestMs: number | undefined;

  constructor(now = Date.now(), pool?: BodyPool) {
    this.createdAt = now;
    this.#pool = pool;
    this.#memory = pool?.take() ?? newMemory();
  }

  /** Documents in the batch. */
  get count(): number {
    return this.#count;
  }

  /** Done with this batch (acknowledged or dropped): its memory goes back to the pool. */
  release(): void {
    if (this.#memory === RELEASED) return;
    this.#pool?.give(this.#memory);
    this.#memory = RELEASED;
    this.#length = 0;
  }

  /** Add one prepared line (skipped lines only move the file's offset). */
  add(line: SourceLine, prepared: PreparedLine): void {
    this.lines++;
    const known = this.ends.get(line.fingerprint);
    if (known === undefined) this.ends.set(line.fingerprint, { end: line.end, path: line.path });
    else {
      known.end = line.end;
      known.path = line.path;
    }
    // The tailer's read buffer moves on after this call; the batch keeps only what it copied.
    const bytes = line.bytes;
    line.bytes = undefined;
    if (prepared.kind === 'skip') return;
    if (prepared.kind === 'doc') {
      const start = this.#length;
      this.#copy(actionHead(prepared.index));
      // Ids are ASCII by construction (hex fingerprint, base-36 offset).
      this.#reserve(prepared.id.length);
      this.#length += this.#memory.body.write(prepared.id, this.#length, 'latin1');
      this.#copy(ACTION_TAIL);
      // Bytes that are not UTF-8 go through the decoded text (U+FFFD for each bad sequence):
      // Elasticsearch would refuse them raw. The tailer has already checked every line it reads
      // (invalidUtf8); only a line that comes without that answer is checked here.
      const utf8 = line.invalidUtf8 === undefined ? bytes !== undefined && isUtf8(bytes) : !line.invalidUtf8;
      if (prepared.source === line.text && bytes !== undefined && utf8) this.#copy(bytes);
      else this.#write(prepared.source);
      this.#copy(NEWLINE);
      this.#addDoc(line.offset, line.end - line.offset - 1, this.#fileIndex(line));
      if (this.#oldestMs === undefined || prepared.timestampMs < this.#oldestMs) this.#oldestMs = prepared.timestampMs;
      this.bytes += this.#length - start;
    } else {
      this.rejects.push({ line, reason: prepared.reason, detail: prepared.detail });
      this.bytes += line.text.length;
    }
  }

  #addDoc(offset: number, lineBytes: number, file: number): void {
    let docs = this.#memory.docs;
    const at = this.#count * DOC_FIELDS;
    if (at + DOC_FIELDS > docs.length) {
      const grown = new Float64Array(docs.length * 2);
      grown.set(docs);
      docs = grown;
      this.#memory.docs = grown;
    }
    docs[at + BODY_END] = this.#length;
    docs[at + LINE_OFFSET] = offset;
    docs[at + LINE_BYTES] = lineBytes;
    docs[at + FILE_INDEX] = file;
    this.#count++;
  }

  #fileIndex(line: SourceLine): number {
    const last = this.#files.length - 1;
    const known = this.#files[last];
    if (known !== undefined && known.fingerprint === line.fingerprint && known.path === line.path) return last;
    for (let i = 0; i < last; i++) {
      const file = this.#files[i] as { fingerprint: string; path: string };
      if (file.fingerprint === line.fingerprint && file.path === line.path) return i;
    }
    this.#files.push({ fingerprint: line.fingerprint, path: line.path });
    return this.#files.length - 1;
  }

  /** Where document `i`'s `_bulk` lines start in the body. */
  #start(i: number): number {
    return i === 0 ? 0 : (this.#memory.docs[(i - 1) * DOC_FIELDS + BODY_END] as number);
  }

  /** The `_bulk` body of documents `from` to `to` - 1: a view of this batch's buffer, valid until release(). */
  body(from: number, to: number): Uint8Array {
    if (to <= from) return EMPTY_BUFFER;
    return this.#memory.body.subarray(this.#start(from), this.#memory.docs[(to - 1) * DOC_FIELDS + BODY_END]);
  }

  /**
   * The line of document `i` as a source line, for its dead-letter record: `text` is the
   * document as it was sent (the line itself, or its normalized form for nginx's lines).
   */
  origin(i: number): SourceLine {
    const docs = this.#memory.docs;
    const file = this.#files[docs[i * DOC_FIELDS + FILE_INDEX] as number] as { fingerprint: string; path: string };
    const lines = this.body(i, i + 1);
    const text = lines.subarray(lines.indexOf(10) + 1, lines.length - 1).toString();
    const offset = docs[i * DOC_FIELDS + LINE_OFFSET] as number;
    return {
      fingerprint: file.fingerprint,
      path: file.path,
      offset,
      end: offset + (docs[i * DOC_FIELDS + LINE_BYTES] as number) + 1,
      text,
    };
  }

  #reserve(bytes: number): void {
    const body = this.#memory.body;
    const needed = this.#length + bytes;
    if (needed <= body.length) return;
    const limit = this.#pool?.bufferBytes ?? Number.POSITIVE_INFINITY;
    const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(body.length * 2, limit)));
    body.copy(grown, 0, 0, this.#length);
    this.#memory.body = grown;
  }

  #write(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    this.#reserve(text.length * 3);
    this.#length += this.#memory.body.write(text, this.#length, 'utf8');
  }

  #copy(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#memory.body.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** True when the batch must be sent before another line is added. */
  full(maxLines: number, maxBytes: number): boolean {
    return this.lines >= maxLines || this.bytes >= maxBytes;
  }

  /** Oldest @timestamp among the documents (for the lag-in-seconds metric). */
  oldestTimestampMs(): number | undefined {
    return this.#oldestMs;
  }
}

const NEWLINE = Buffer.from('\n');
const ACTION_TAIL = Buffer.from('"}}\n');
const actionHeads = new Map<string, Buffer>();

/** `{"create":{"_index":"<index>","_id":"` as bytes, made once per index name. */
function actionHead(index: string): Buffer {
  let head = actionHeads.get(index);
  if (head === undefined) {
    head = Buffer.from(`{"create":{"_index":${JSON.stringify(index)},"_id":"`);
    // Daily names: a long-running shipper meets a few per day.
    if (actionHeads.size >= 64) actionHeads.clear();
    actionHeads.set(index, head);
  }
  return head;
}
const EMPTY_BUFFER = Buffer.alloc(0);
/** What a released batch points at: nothing to write into, nothing to give back. */
const RELEASED: BatchMemory = { body: EMPTY_BUFFER, docs: new Float64Array(0) };

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
