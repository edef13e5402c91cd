import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPLORE_ERRORS } from '../../explorer/errors.ts';
import { ROOT } from './binary.ts';

describe('the explorer error catalogue', () => {
  it('matches the error table of docs/explorer.md, code for code and exit status for exit status', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'explorer.md'), 'utf8');
    const documented = new Map(
      [...doc.matchAll(/^\| `(DTQ_ERR_EXPLORE_[A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1] as string, Number(m[2])]),
    );
    const catalogue = new Map(Object.values(EXPLORE_ERRORS).map((def) => [def.code as string, def.exitCode as number]));
    expect(documented).toEqual(catalogue);
  });

  it('gives every error a non-zero exit status and a message that says what to do', () => {
    for (const def of Object.values(EXPLORE_ERRORS)) {
      expect(def.exitCode).toBeGreaterThan(0);
      expect(def.code).toMatch(/^DTQ_ERR_EXPLORE_[A-Z_]+$/);
      expect(def.message.length).toBeGreaterThan(30);
    }
  });
});
