import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../workload/common/canonical-json.ts';
import { bodyHash } from '../../workload/load/ground-truth.ts';

describe('canonicalJson and bodyHash', () => {
  it('gives equal text for equal data whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(bodyHash({ a: 1, b: 2 })).toBe(bodyHash({ b: 2, a: 1 }));
  });

  it('gives different hashes for different bodies', () => {
    expect(bodyHash({ a: 1 })).not.toBe(bodyHash({ a: 2 }));
  });
});
