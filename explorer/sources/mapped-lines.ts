/**
 * The file source's memory of mapped lines: parsing and mapping a foreign line costs more than
 * parsing a contract line, and a trace's lookups read the same lines again (the correlation
 * id's, then its tasks'). Pure, bounded by bytes.
 */
import type { Hit } from '../model/types.ts';

/** Which file a line is in: its name, and the device and inode that hold it. */
export interface LineFile {
  readonly name: string;
  readonly dev: number;
  readonly ino: number;
}

/** One kept line: its number, a copy of its bytes, and what it mapped to. */
export interface KeptLine {
  readonly number: number;
  readonly bytes: Buffer;
  readonly hits: Hit[];
}

/** Where a read of a whole file ended: its offset and last line, and the malformed lines it counted. */
export interface FileEnd {
  readonly offset: number;
  readonly lastLine: number;
  readonly malformed: number;
}

/** Every line of a file, in order, while the file is as `stamp` says; see {@link MappedLines.keepWhole}. */
export interface WholeFile {
  readonly stamp: string;
  readonly lines: readonly KeptLine[];
  readonly end: FileEnd;
}

/** One mapped line, and the file it is kept under. */
interface Entry extends KeptLine {
  readonly file: FileLines;
}

/** The lines kept of one file, by number, and all of them in order while they are all kept. */
interface FileLines {
  readonly key: string;
  readonly lines: Map<number, Entry>;
  whole: WholeFile | undefined;
}

/**
 * Mapped lines by where they are, the oldest dropped first once their bytes pass a cap, so
 * memory stays bounded however large the logs. A line is known by its file's name, device and
 * inode (the name too: a file rotated by a rename keeps its inode and lines, but its sources
 * change) and by its number; its bytes are compared too: a file truncated and rewritten in
 * place keeps its inode but not its lines. Lines are kept per file, by number (a lookup reads
 * a file's lines in order, so most calls name the file the call before named), and dropped in
 * the order they came: every lookup reads the lines in the same order, so a line asked for
 * again is no likelier to be asked for next than one that was not. A file whose lines were all
 * kept by one read may be marked whole under a stamp its reader takes (see {@link keepWhole}),
 * so a later lookup that finds the file as it was need not read it at all.
 */
export class MappedLines {
  readonly #maxBytes: number;
  readonly #files = new Map<string, FileLines>();
  /** Every line kept, oldest first, from `#head` on; a replaced line's old place stays, skipped. */
  #order: Entry[] = [];
  #head = 0;
  #bytes = 0;
  /** The file asked for last, and its lines: most calls skip building its key. */
  #lastFile: LineFile | undefined;
  #lastKept: FileLines | undefined;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held now, counted as {@link set} counts them. */
  get heldBytes(): number {
    return this.#bytes;
  }

  /** The hits line `number` of `file` mapped to, while its bytes are still `bytes`. */
  get(file: LineFile, number: number, bytes: Buffer): Hit[] | undefined {
    const known = this.#linesOf(file, false)?.lines.get(number);
    return known?.bytes.equals(bytes) === true ? known.hits : undefined;
  }

  /** Keep what line `number` of `file` mapped to; a line costlier than the whole cap is not kept. */
  set(file: LineFile, number: number, bytes: Buffer, hits: Hit[]): void {
    // A mapped record is about as large as its line: the line's bytes count for both.
    const cost = 2 * bytes.length;
    if (cost > this.#maxBytes) return;
    const kept = this.#linesOf(file, true) as FileLines;
    kept.whole = undefined;
    const old = kept.lines.get(number);
    if (old !== undefined) this.#bytes -= 2 * old.bytes.length;
    // A copy: the line's bytes are a view of a read chunk, which must not be kept alive.
    const entry: Entry = { file: kept, number, bytes: Buffer.from(bytes), hits };
    kept.lines.set(number, entry);
    this.#order.push(entry);
    this.#bytes += cost;
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#order[this.#head++] as Entry;
      const { lines } = oldest.file;
      if (lines.get(oldest.number) !== oldest) continue;
      lines.delete(oldest.number);
      oldest.file.whole = undefined;
      this.#bytes -= 2 * oldest.bytes.length;
      // A file whose lines are all gone is forgotten: rotations must not leave one map per inode.
      if (lines.size === 0 && this.#files.get(oldest.file.key) === oldest.file) {
        this.#files.delete(oldest.file.key);
        if (this.#lastKept === oldest.file) this.#lastFile = this.#lastKept = undefined;
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * Mark lines `numbers` (ascending) as every line of `file` that holds a record, as they are
   * while the file's `stamp` (its identity, size and change time, taken before they were read)
   * stays the same: a caller that gets the same stamp again may take them from
   * {@link wholeOf} instead of reading the file. Nothing is marked unless all of them are kept;
   * dropping or setting any line of the file again unmarks it.
   */
  keepWhole(file: LineFile, stamp: string, numbers: readonly number[], end: FileEnd): void {
    const kept = this.#linesOf(file, false);
    if (kept === undefined) return;
    const lines: KeptLine[] = new Array(numbers.length);
    for (let i = 0; i < numbers.length; i++) {
      const line = kept.lines.get(numbers[i] as number);
      if (line === undefined) return;
      lines[i] = line;
    }
    kept.whole = { stamp, lines, end };
  }

  /** Every line of `file`, as {@link keepWhole} marked them, if its stamp is still `stamp`. */
  wholeOf(file: LineFile, stamp: string): WholeFile | undefined {
    const whole = this.#linesOf(file, false)?.whole;
    return whole?.stamp === stamp ? whole : undefined;
  }

  clear(): void {
    this.#files.clear();
    this.#order = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#lastFile = undefined;
    this.#lastKept = undefined;
  }

  #linesOf(file: LineFile, create: boolean): FileLines | undefined {
    if (file === this.#lastFile && this.#lastKept !== undefined) return this.#lastKept;
    const key = `${file.name}\0${file.dev}:${file.ino}`;
    let kept = this.#files.get(key);
    if (kept === undefined && create) {
      kept = { key, lines: new Map(), whole: undefined };
      this.#files.set(key, kept);
    }
    if (kept !== undefined) {
      this.#lastFile = file;
      this.#lastKept = kept;
    }
    return kept;
  }
}
