import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../workload/common/canonical-json.ts';
import { fingerprintBody } from '../../workload/idempotency/fingerprint.ts';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and drops whitespace', () => {
    const a = JSON.parse('{"b": 1, "a": {"z": [3, {"y": 1, "x": 2}], "c": null}}');
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"z":[3,{"x":2,"y":1}]},"b":1}');
  });

  it('writes numbers and strings as JSON.stringify does (RFC 8785 for parsed values)', () => {
    expect(canonicalJson(JSON.parse('[1.0, 1e2, -0, 0.1, "\\u0041"]'))).toBe('[1,100,0,0.1,"A"]');
  });

  it('keeps array order (arrays are ordered data)', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('does not normalise Unicode forms', () => {
    expect(canonicalJson('é'.normalize('NFC'))).not.toBe(canonicalJson('é'.normalize('NFD')));
  });
});

describe('fingerprintBody', () => {
  it('is the same for bodies that differ only in key order and spacing', () => {
    const one = JSON.parse('{"task_type":"calculate_var","data":{"x":1,"y":[1,2]},"priority":"high"}');
    const two = JSON.parse('{ "priority" : "high", "data": {"y":[1,2], "x":1.0}, "task_type":"calculate_var" }');
    expect(fingerprintBody(one)).toBe(fingerprintBody(two));
    expect(fingerprintBody(one)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when any value differs', () => {
    expect(fingerprintBody({ a: 1 })).not.toBe(fingerprintBody({ a: 2 }));
    expect(fingerprintBody({ a: '1' })).not.toBe(fingerprintBody({ a: 1 }));
    expect(fingerprintBody({})).not.toBe(fingerprintBody(undefined));
  });
});
