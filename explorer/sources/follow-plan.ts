/**
 * Whether a --follow pass over log files may fold only what each file gained since the last
 * pass, or must start over (fold every file of the window from its start into a fresh ledger).
 * A line folded twice counts its request twice, so any file whose lines would be read again
 * from its start while the ledger holds them forces a start-over: a file truncated or
 * rewritten in place, a compressed file replaced, a file gone whose lines the ledger holds,
 * and a new file whose first line is that of a file already folded (copytruncate's copy, a
 * rotated file compressed into a `.gz`). A start-over re-reads the whole window, so the rules
 * stay narrow: a file renamed by a rotation keeps its device and inode and is read on from
 * where it stopped. Pure: the file source probes the files and reads them.
 */

/** What the passes since the last start-over read of one file (keyed by device and inode). */
export interface FileRead {
  readonly gzip: boolean;
  /** Its size when last read. */
  readonly size: number;
  /** The offset after the last whole line read. */
  readonly offset: number;
  /** Its first line's fingerprint ({@link headOf}), once it had one. */
  readonly head: string | undefined;
  /** True when at least one of its lines went to the fold. */
  readonly folded: boolean;
  /** True when its latest read failed partway, after folding some lines (a `.gz` still being written). */
  readonly torn: boolean;
}

/** One file as a pass lists it, with what the source probed of it (see {@link probesTail} and {@link probesHead}). */
export interface FileNow {
  /** Device and inode. */
  readonly key: string;
  readonly gzip: boolean;
  readonly size: number;
  /** Whether the bytes just before the old offset are those read then; undefined when not probed. */
  readonly tailKept?: boolean;
  /** Its first line's fingerprint now; undefined when not probed or not yet whole. */
  readonly head?: string;
}

/** How a pass that does not start over reads one file. */
export type Step = 'skip' | 'resume' | 'whole';

/** A pass: per file, how to read it, or a start-over and why (for tests and diagnostics). */
export type Plan =
  | { readonly startOver: true; readonly why: string }
  | { readonly startOver: false; readonly steps: ReadonlyMap<string, Step> };

/**
 * Whether the source must read the bytes before the old offset of a listed file (O(1) bytes):
 * only a plain file that has not shrunk can be read on, and whether it grew or was rewritten
 * is told by those bytes.
 */
export function probesTail(before: FileRead | undefined, file: Pick<FileNow, 'gzip' | 'size'>): boolean {
  return (
    before !== undefined &&
    !before.torn &&
    !before.gzip &&
    !file.gzip &&
    before.offset > 0 &&
    file.size >= before.offset
  );
}

/**
 * Whether the source must read a listed file's first line (O(1) bytes), given what
 * {@link probesTail} found: a file about to be read from its start may be a copy of one folded.
 */
export function probesHead(before: FileRead | undefined, file: Omit<FileNow, 'key' | 'head'>): boolean {
  return before?.head === undefined || (!before.folded && rewound(before, file));
}

/** Decide one pass from what earlier passes read (`read`) and the files listed now. */
export function planPass(read: ReadonlyMap<string, FileRead>, now: readonly FileNow[]): Plan {
  const listed = new Set(now.map((file) => file.key));
  // Folded files by first line: a file read from its start that opens with one of them is a
  // copy of it.
  const byHead = new Map<string, string[]>();
  for (const [key, before] of read) {
    if (!before.folded) continue;
    if (!listed.has(key)) return startOver(`a file whose lines were folded is gone (${key})`);
    if (before.head === undefined) continue;
    const keys = byHead.get(before.head);
    if (keys === undefined) byHead.set(before.head, [key]);
    else keys.push(key);
  }
  const steps = new Map<string, Step>();
  for (const file of now) {
    const before = read.get(file.key);
    const again = before !== undefined && rewound(before, file);
    if (again && before.folded) return startOver(`${file.key} would be read again from its start`);
    if ((before?.head === undefined || again) && file.head !== undefined) {
      // Another file's lines, already folded, copied here (copytruncate, compression): reading
      // this one would fold them again. Two distinct files opening with the same line cost one
      // start-over, never a doubled line.
      const original = byHead.get(file.head)?.find((key) => key !== file.key);
      if (original !== undefined) return startOver(`${file.key} opens with the first line of ${original}`);
    }
    const wholeOnly = before !== undefined && (before.gzip || file.gzip || before.torn);
    steps.set(file.key, before === undefined || again ? 'whole' : wholeOnly ? 'skip' : 'resume');
  }
  return { startOver: false, steps };
}

/**
 * True when `file` would be read from its start though an earlier pass read it: a compressed
 * file, or one whose read failed partway, is read whole or not at all, and changed when its
 * size did; a plain file that shrank or whose bytes before the old offset changed was rewritten.
 */
function rewound(before: FileRead, file: Omit<FileNow, 'key' | 'head'>): boolean {
  if (before.gzip || file.gzip || before.torn) return file.size !== before.size;
  return file.size < before.offset || file.tailKept === false;
}

/** Bytes of a file's start a fingerprint looks at. */
export const HEAD_BYTES = 4096;

/**
 * The fingerprint of a file whose content opens with `start` (at most {@link HEAD_BYTES}):
 * its first line, or its first {@link HEAD_BYTES} bytes when that line is longer; undefined
 * while that line is still being written (`complete`: the file is finished, its last line whole).
 */
export function headOf(start: Buffer, complete: boolean): string | undefined {
  const newline = start.indexOf(0x0a);
  if (newline !== -1) return start.toString('latin1', 0, newline);
  if (start.length >= HEAD_BYTES || (complete && start.length > 0))
    return start.toString('latin1', 0, Math.min(start.length, HEAD_BYTES));
  return undefined;
}

function startOver(why: string): Plan {
  return { startOver: true, why };
}
