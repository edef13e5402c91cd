/** docs/dashboards.md lists every panel and every error code of the dashboards part. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPanels } from '../../dashboards/definitions.ts';
import { DASHBOARD_ERRORS } from '../../dashboards/errors.ts';

const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'dashboards.md'), 'utf8');

describe('docs/dashboards.md', () => {
  it('lists every panel by its title', () => {
    expect(
      allPanels()
        .filter((panel) => !docs.includes(`| ${panel.title} |`))
        .map((panel) => panel.title),
    ).toEqual([]);
  });

  it('has a row for every error code, and no code that does not exist', () => {
    const codes = Object.values(DASHBOARD_ERRORS).map((error) => error.code);
    const documented = [...docs.matchAll(/^\| `(DTQ_ERR_[A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });
});
