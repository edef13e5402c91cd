import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { STACK_ERRORS } from '../../workload/stack/errors.ts';

it('documents every stack error code in docs/stack.md, and only those', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/stack.md'), 'utf8');
  const documented = new Set(doc.match(/DTQ_ERR_STACK_[A-Z_]+/g));
  const declared = new Set(Object.values(STACK_ERRORS).map((definition) => definition.code));
  expect(documented).toEqual(declared);
});
