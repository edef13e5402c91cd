/**
 * The file source's memory of mapped lines: parsing and mapping a foreign line costs more than
 * parsing a contract line, and a trace's lookups read the same lines again (the correlation
 * id's, then its tasks'). Pure, bounded by bytes.
 */
import type { Hit } from '../model/types.ts';

/**
 * Mapped lines by where they are, least recently used dropped first once their bytes pass a
 * cap, so memory stays bounded however large the logs. A line is known by its file, inode and
 * number, and its bytes are compared too: a file truncated and rewritten in place keeps its
 * inode but not its lines.
 */
export class MappedLines {
  readonly #maxBytes: number;
  readonly #lines = new Map<string, { readonly bytes: Buffer; readonly hits: Hit[] }>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held now, counted as {@link set} counts them. */
  get heldBytes(): number {
    return this.#bytes;
  }

  get(key: string, bytes: Buffer): Hit[] | undefined {
    const known = this.#lines.get(key);
    if (known === undefined || !known.bytes.equals(bytes)) return undefined;
    // Newest last: re-insert so the next eviction spares it.
    this.#lines.delete(key);
    this.#lines.set(key, known);
    return known.hits;
  }

  set(key: string, bytes: Buffer, hits: Hit[]): void {
    // A mapped record is about as large as its line: the line's bytes count for both.
    const cost = 2 * bytes.length;
    if (cost > this.#maxBytes) return;
    const old = this.#lines.get(key);
    if (old !== undefined) {
      this.#lines.delete(key);
      this.#bytes -= 2 * old.bytes.length;
    }
    // A copy: the line's bytes are a view of a read chunk, which must not be kept alive.
    this.#lines.set(key, { bytes: Buffer.from(bytes), hits });
    this.#bytes += cost;
    for (const [oldest, line] of this.#lines) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#lines.delete(oldest);
      this.#bytes -= 2 * line.bytes.length;
    }
  }

  clear(): void {
    this.#lines.clear();
    this.#bytes = 0;
  }
}
