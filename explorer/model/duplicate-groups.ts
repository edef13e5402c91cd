/**
 * Duplicates grouped the way people look for them: by the idempotency key they reused, and
 * those without a key by the kind of duplicate. The group says which of the two it is, so a
 * key that happens to look like a kind's label never merges with keyless duplicates.
 */
import type { DuplicateKind } from '../../contract/vocabulary.ts';
import type { Duplicate } from './types.ts';

/** What a group of duplicates shares. */
export type DuplicateGroupKey =
  | { readonly by: 'idempotency_key'; readonly key: string }
  | { readonly by: 'kind'; readonly kind: DuplicateKind };

/** Duplicates sharing a key, in the order given. */
export interface DuplicateGroup {
  readonly key: DuplicateGroupKey;
  readonly duplicates: readonly Duplicate[];
}

/** Group `duplicates` by key (or, without one, by kind); groups in order of first appearance. */
export function groupDuplicates(duplicates: readonly Duplicate[]): DuplicateGroup[] {
  const byKey = new Map<string, Duplicate[]>();
  const byKind = new Map<DuplicateKind, Duplicate[]>();
  const groups: { key: DuplicateGroupKey; duplicates: Duplicate[] }[] = [];
  for (const dup of duplicates) {
    const key = dup.idempotencyKey;
    const existing = key === undefined ? byKind.get(dup.kind) : byKey.get(key);
    if (existing) {
      existing.push(dup);
      continue;
    }
    const list = [dup];
    if (key === undefined) byKind.set(dup.kind, list);
    else byKey.set(key, list);
    groups.push({
      key: key === undefined ? { by: 'kind', kind: dup.kind } : { by: 'idempotency_key', key },
      duplicates: list,
    });
  }
  return groups;
}

/** A group's heading: its idempotency key after `keyPrefix`, or the kind its keyless duplicates share. */
export function groupHeading(key: DuplicateGroupKey, keyPrefix = ''): string {
  return key.by === 'idempotency_key'
    ? `${keyPrefix}${key.key}`
    : `(no idempotency key: ${key.kind.replaceAll('_', ' ')})`;
}
