/** The error catalogue and the error table in docs/idempotency.md must list the same codes and statuses. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_ERRORS } from '../../workload/idempotency/errors.ts';

const DOC = readFileSync(resolve(import.meta.dirname, '../../docs/idempotency.md'), 'utf8');

describe('idempotency error catalogue', () => {
  it('matches the error table in docs/idempotency.md', () => {
    const documented = [...DOC.matchAll(/^\| `(DTQ_ERR_IDEMPOTENCY_[A-Z_]+)` \| (\d{3}) \|/gm)].map(
      ([, code, status]) => [code, Number(status)],
    );
    const catalogue = Object.values(IDEMPOTENCY_ERRORS).map((e) => [e.code, e.statusCode]);
    expect(documented.sort()).toEqual(catalogue.sort());
  });

  it('uses codes of the form DTQ_ERR_IDEMPOTENCY_<PROBLEM> and messages that say what to do', () => {
    for (const error of Object.values(IDEMPOTENCY_ERRORS)) {
      expect(error.code).toMatch(/^DTQ_ERR_IDEMPOTENCY_[A-Z_]+$/);
      expect(error.message.length).toBeGreaterThan(40);
    }
  });
});
