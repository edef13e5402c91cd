import { describe, expect, it } from 'vitest';
import { renderReport, replaceSection, scenarioNames } from '../../bench/run.ts';

describe('bench runner', () => {
  it('finds the API scenario among bench/*.bench.ts', () => {
    expect(scenarioNames()).toContain('api');
  });

  it('renders a report as a table with the ratio to its baseline and whether the goal was met', () => {
    const text = renderReport(
      'api',
      {
        title: 'API through nginx',
        rows: [
          {
            name: 'POST',
            value: 1234.5,
            unit: 'req/s',
            extra: { p50_ms: 3.21 },
            baseline: { name: 'noop', value: 2469 },
            ratio: 0.5,
            goal: '≥ 50%',
            met: true,
          },
        ],
        notes: ['32 connections'],
      },
      'now',
    );
    expect(text).toContain('### API through nginx');
    expect(text).toContain('| POST | 1,235 req/s | p50_ms 3.21 | noop: 2,469 req/s | 50% | ≥ 50% — met |');
    expect(text).toContain('- 32 connections');
  });

  it('replaces only its own section of the document and appends a new one', () => {
    const doc = '# B\n\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\n\n<!-- bench:b -->\nold b\n<!-- /bench:b -->\n';
    const updated = replaceSection(doc, 'a', 'new a');
    expect(updated).toContain('new a');
    expect(updated).toContain('old b');
    expect(updated).not.toContain('old a');
    expect(replaceSection(doc, 'c', 'new c')).toMatch(
      /old b\n<!-- \/bench:b -->\n\n<!-- bench:c -->\nnew c\n<!-- \/bench:c -->\n$/,
    );
  });
});
