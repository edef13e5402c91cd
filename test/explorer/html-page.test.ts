import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import { escapeHtml, renderTraceHtml } from '../../explorer/output/html.ts';
import { deadLettered, duplicatesScenario, LogWriter, T0 } from './fixtures.ts';
import { controls } from './hostile-fixtures.ts';

const NOW = T0 + 60_000;

describe('the --html page', () => {
  it('holds the waterfall with each row’s lines, the attempts, the duplicates and the gaps', () => {
    const w = duplicatesScenario();
    deadLettered(w);
    const trace = buildTrace(w.hits(), { correlationId: 'req-dlq-1', now: NOW, source: 'files' });
    const page = renderTraceHtml(trace, { source: 'files in /tmp/x', generatedAt: NOW });
    expect(page.match(/<tr class="row /g)).toHaveLength(traceToRows(trace).length);
    expect(page).toContain('<span class="status failed">FAILED</span>');
    expect(page).toContain('⚠ 202 at 10:15:23.017, job was dead-lettered 3 attempts later');
    expect(page).toContain('<h2>Attempts</h2>');
    expect(page).toMatch(/<td>3<\/td><td class="mono">worker-2<\/td>/);
    expect(page).toContain('&quot;event.action&quot;: &quot;task.dead_lettered&quot;');
    const original = buildTrace(w.hits(), { correlationId: 'orig-req', now: NOW, source: 'files' });
    const dups = renderTraceHtml(original);
    expect(dups).toContain('<h2>Duplicates blocked (5)</h2>');
    expect(dups).toContain('key key-1');
  });

  it('fetches nothing and runs nothing: no script, no URL, a policy that forbids both', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    const page = renderTraceHtml(buildTrace(w.hits(), { correlationId: 'req-1', now: NOW, source: 'files' }));
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(page).not.toMatch(/<script|<img|<link|<iframe|\ssrc=|\shref=|url\(|@import/i);
  });

  it('shows logged markup and control characters as text, never as markup', () => {
    const w = new LogWriter();
    const evil = '</title><script>alert(1)</script>\u001b]0;owned\u0007<img src=x onerror=alert(2)>';
    w.post({ ms: 0, cid: 'req-evil', taskId: 'task-evil' });
    w.attempt({ ms: 5, cid: 'req-evil', taskId: 'task-evil', worker: evil, attempt: 1, fail: evil });
    const page = renderTraceHtml(buildTrace(w.hits(), { correlationId: 'req-evil', now: NOW, source: 'files' }));
    expect(page).not.toMatch(/<script|<img/i);
    expect(page).toContain('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;\\x1b]0;owned\\x07&lt;img src=x');
    expect(controls(page)).toEqual([]);
    expect(escapeHtml(`a&b"'<>`)).toBe('a&amp;b&quot;&#39;&lt;&gt;');
  });
});
