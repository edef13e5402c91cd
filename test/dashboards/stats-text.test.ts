/**
 * `dtq-explore --stats` as text: bucket keys are logged values (correlation ids, keys,
 * instances), so a hostile one is shown escaped, never written raw to the terminal.
 */
import { describe, expect, it } from 'vitest';
import { panelById } from '../../dashboards/definitions.ts';
import type { PanelRow } from '../../dashboards/es-query.ts';
import { formatPanel, formatStats } from '../../dashboards/stats.ts';

/** Any C0 or C1 control, DEL, or line/paragraph separator: none may reach a terminal raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\nforged line\u2028';

/** One row of `panel` under bucket key `key`, each metric 1. */
function rowOf(panelId: string, key: string): PanelRow {
  const panel = panelById(panelId);
  const [bucket] = panel.buckets;
  return {
    keys: { [bucket?.id ?? '']: key },
    values: Object.fromEntries(panel.metrics.map((metric) => [metric.id, 1_000_000])),
    docCount: 1,
  };
}

describe('the stats report as text', () => {
  it('escapes a hostile correlation id in the table and in the timeline hint', () => {
    const text = formatPanel({ panel: panelById('slowest-requests'), rows: [rowOf('slowest-requests', HOSTILE)] });
    expect(text).not.toMatch(CONTROL);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\x0aforged line\\u2028');
    expect(text).toContain('dtq-explore \\x1b]0;pwned');
  });

  it('shows a kind that only looks like a property of an object as itself', () => {
    const text = formatPanel({
      panel: panelById('duplicates-by-kind'),
      rows: [rowOf('duplicates-by-kind', 'constructor')],
    });
    expect(text).toContain('constructor');
  });

  it('prints no control character in the whole report', () => {
    const panel = panelById('top-originals');
    const text = formatStats({
      indexPattern: 'dtq-logs-*',
      sections: [{ title: 'Duplicates blocked', panels: [{ panel, rows: [rowOf('top-originals', HOSTILE)] }] }],
    });
    expect(text.slice(0, -1)).not.toMatch(CONTROL);
  });
});
