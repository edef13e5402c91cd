import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOCK_ERRORS } from '../../workload/locks/errors.ts';
import { RISK_ERRORS } from '../../workload/risk/errors.ts';
import { isPoisonCode, WORKER_ERRORS } from '../../workload/worker/errors.ts';

const catalogue = [...Object.values(WORKER_ERRORS), ...Object.values(LOCK_ERRORS), ...Object.values(RISK_ERRORS)];
const docs = readFileSync(new URL('../../docs/worker.md', import.meta.url), 'utf8');

describe('worker, lock and risk error catalogues', () => {
  it('use unique DTQ_ERR_<AREA>_<PROBLEM> codes', () => {
    const codes = catalogue.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^DTQ_ERR_(WORKER|LOCK|RISK)_[A-Z_]+$/);
  });

  it('are each listed in the error table of docs/worker.md, with the right retry column', () => {
    for (const { code } of catalogue) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${code}\``));
      expect(row, `${code} is missing from docs/worker.md`).toBeDefined();
      const poison = isPoisonCode(code) || code === WORKER_ERRORS.FAULT_POISON.code;
      expect(row).toContain(poison ? 'no (poison)' : '| yes |');
    }
  });
});
