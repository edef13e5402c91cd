/**
 * Per-file counts of lines that were not valid UTF-8, for the shipper's warnings and its summary
 * at the end of a run. Keyed by file fingerprint (a renamed file keeps its count), and a file the
 * tailer has let go of is forgotten, so a long run over rotating logs does not keep one entry per
 * file it ever read. Pure: the shipper decides when to log.
 */

/** A file that had lines with invalid UTF-8. */
export interface InvalidUtf8File {
  path: string;
  /** Byte offset of the first such line. */
  firstOffset: number;
  lines: number;
}

interface Entry extends InvalidUtf8File {
  /** The count last handed out for a warning. */
  reported: number;
}

export class InvalidUtf8Tally {
  readonly #files = new Map<string, Entry>();

  /** Count one line of the file `fingerprint` (now at `path`); true when it is the file's first. */
  count(fingerprint: string, path: string, offset: number): boolean {
    const known = this.#files.get(fingerprint);
    if (known !== undefined) {
      known.lines++;
      known.path = path;
      return false;
    }
    this.#files.set(fingerprint, { path, firstOffset: offset, lines: 1, reported: 0 });
    return true;
  }

  /** Files whose count grew since last handed out here, now counted as reported. */
  takeUnreported(): InvalidUtf8File[] {
    const grown: InvalidUtf8File[] = [];
    for (const file of this.#files.values()) {
      if (file.lines === file.reported) continue;
      file.reported = file.lines;
      grown.push(publicView(file));
    }
    return grown;
  }

  /** Forget every file not in `tailed`; returns those of them whose count grew since last reported. */
  forgetExcept(tailed: ReadonlySet<string>): InvalidUtf8File[] {
    const unreported: InvalidUtf8File[] = [];
    for (const [fingerprint, file] of this.#files) {
      if (tailed.has(fingerprint)) continue;
      this.#files.delete(fingerprint);
      if (file.lines !== file.reported) unreported.push(publicView(file));
    }
    return unreported;
  }

  /** Every file still remembered. */
  files(): InvalidUtf8File[] {
    return [...this.#files.values()].map(publicView);
  }

  get size(): number {
    return this.#files.size;
  }
}

function publicView({ path, firstOffset, lines }: Entry): InvalidUtf8File {
  return { path, firstOffset, lines };
}
