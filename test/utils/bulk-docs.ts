/** Documents for the bulk writer's tests, from their `_bulk` bodies, as a batch hands them out. */
import type { BulkDocs } from '../../shipper/bulk-writer.ts';

/** Documents from their `_bulk` bodies (one action and document line each), copied side by side. */
export function bulkDocs(bodies: readonly Uint8Array[]): BulkDocs {
  const joined = Buffer.concat(bodies);
  const ends: number[] = [];
  let end = 0;
  for (const body of bodies) {
    end += body.length;
    ends.push(end);
  }
  return {
    count: bodies.length,
    body: (from, to) => joined.subarray(from === 0 ? 0 : ends[from - 1], to === 0 ? 0 : ends[to - 1]),
  };
}
