import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dtqError } from '../../contract/dtq-error.ts';
import { ES_ERRORS } from '../../elk/errors.ts';
import { SHIPPER_ERRORS } from '../../shipper/errors.ts';

const doc = readFileSync(new URL('../../docs/pipeline.md', import.meta.url), 'utf8');
const catalogue = [...Object.values(ES_ERRORS), ...Object.values(SHIPPER_ERRORS)];

describe('error catalogue of elk/ and shipper/', () => {
  it('matches the error table of docs/pipeline.md both ways', () => {
    const documented = new Set([...doc.matchAll(/^\| `(DTQ_ERR_[A-Z_]+)` \|/gm)].map((match) => match[1]));
    expect([...documented].sort()).toEqual(catalogue.map((definition) => definition.code).sort());
  });

  it('uses stable DTQ_ERR_ES_/DTQ_ERR_SHIPPER_ codes and fills every placeholder from context', () => {
    for (const definition of catalogue) {
      expect(definition.code).toMatch(/^DTQ_ERR_(ES|SHIPPER)_[A-Z_]+$/);
      const placeholders = [...definition.message.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
      const error = dtqError(definition, Object.fromEntries(placeholders.map((name) => [name, `<${name}>`])));
      expect(error.code).toBe(definition.code);
      expect(error.message).not.toMatch(/\{\w+\}/);
    }
  });
});
