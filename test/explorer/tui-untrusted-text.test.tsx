/**
 * The TUI on logged values a client chose: a path nginx decoded into ESC, BEL, CR, LF, a C1
 * CSI and an OSC 8 link. Rows, details, the list and the search prompt show them as visible
 * escapes, on one line each.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { App } from '../../explorer/components/App.tsx';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { summariseRequests } from '../../explorer/model/request-list.ts';
import type { Trace } from '../../explorer/model/types.ts';
import { LogWriter, T0 } from './fixtures.ts';
import { press, stripAnsi, waitForFrame } from './helpers.ts';
import { controls, HOSTILE_PATH } from './hostile-fixtures.ts';

const SHOWN_PATH =
  '/api/v1/tasks/x\\x1b]0;owned\\x07\\x1b]8;;file:/etc/passwd\\x1b\\link\\x1b]8;;\\x1b\\\\x9b2J\\x0d\\x0a14:4';

/** A frame without Ink's own colour and inverse sequences: what is left came from the data. */
function dataOf(frame: string | undefined): string {
  return stripAnsi(frame ?? '');
}

function hostileLines(): LogWriter {
  const w = new LogWriter();
  // An API that logs the decoded path, then nginx's line for the same request.
  const http = {
    [F.CORRELATION_ID]: 'req-inject',
    [F.HTTP_METHOD]: 'GET',
    [F.URL_PATH]: HOSTILE_PATH,
    // C1 controls, which JSON.stringify leaves raw.
    [F.USER_AGENT]: 'agent\u009b31m\u0085',
  };
  w.line(0, 'api', 'api-1', EVENTS.HTTP_REQUEST_RECEIVED, http);
  w.line(1, 'api', 'api-1', EVENTS.HTTP_REQUEST_COMPLETED, { ...http, [F.HTTP_STATUS]: 404 });
  w.nginx(2, 'req-inject', 'GET', HOSTILE_PATH, 404, 0.002);
  return w;
}

function hostileTrace(): Trace {
  return buildTrace(hostileLines().hits(), { correlationId: 'req-inject', now: T0 + 60_000, source: 'files' });
}

describe('the TUI on a logged path with escape sequences', () => {
  it('shows the trace rows with visible escapes, each on its own line', async () => {
    const trace = hostileTrace();
    const app = render(
      <App
        target={{ correlationId: 'req-inject' }}
        initialTrace={trace}
        loadTrace={async () => trace}
        loadList={async () => []}
        size={{ columns: 100, rows: 24 }}
        noColor
      />,
    );
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore req-inject'));
    expect(controls(dataOf(app.lastFrame()))).toEqual([]);
    // The outcome line quotes the whole path; rows show its start before the cut.
    expect(frame).toContain(`GET ${SHOWN_PATH}`);
    expect(frame).toContain('request 1 · GET /api/v1/tasks/x\\x1b]0;owned');
    expect(frame).toContain('api-1 GET /api/v1/tasks/x\\x1b]0;owned\\x07');
    expect(frame.split('\n').filter((line) => line.startsWith('14:40:00.000'))).toEqual([]);
    expect(frame.split('\n').length).toBeLessThanOrEqual(24);

    // Details of the API row: the lines as JSON, C1 controls (which JSON leaves raw) shown too.
    await press(app, 'j', 'j', '\r');
    const details = await waitForFrame(app.lastFrame, (f) => f.includes('── fixture:0'));
    expect(controls(dataOf(app.lastFrame()))).toEqual([]);
    expect(details).toContain('"url.path": "/api/v1/tasks/x\\u001b]0;owned\\u0007');
    expect(details).toContain('"agent\\x9b31m\\x85"');
    app.unmount();
  });

  it('shows a status poll of /api/v1/tasks/%c0%ae, paired with nginx, without a URIError', async () => {
    const w = new LogWriter();
    const poll = { [F.CORRELATION_ID]: 'req-bad', [F.HTTP_METHOD]: 'GET', [F.URL_PATH]: '/api/v1/tasks/%c0%ae' };
    w.line(0, 'api', 'api-1', EVENTS.HTTP_REQUEST_RECEIVED, poll);
    w.line(1, 'api', 'api-1', EVENTS.HTTP_REQUEST_COMPLETED, { ...poll, [F.HTTP_STATUS]: 400 });
    // nginx's decoded bytes C0 AE, read back as UTF-8.
    w.nginx(2, 'req-bad', 'GET', '/api/v1/tasks/\ufffd\ufffd', 400, 0.002);
    const trace = buildTrace(w.hits(), { correlationId: 'req-bad', now: T0 + 60_000, source: 'files' });
    const app = render(
      <App
        target={{ correlationId: 'req-bad' }}
        initialTrace={trace}
        loadTrace={async () => trace}
        loadList={async () => summariseRequests(w.hits())}
        size={{ columns: 100, rows: 24 }}
        noColor
      />,
    );
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('dtq-explore req-bad'));
    expect(frame).toContain('request 1 · GET /api/v1/tasks/%c0%ae → 400');
    expect(frame).toContain('nginx → 400');
    expect(frame).toContain('0 gap(s)');
    app.unmount();
  });

  it('lists the request and echoes a pasted search with visible escapes', async () => {
    const list = summariseRequests(hostileLines().hits());
    const app = render(
      <App
        loadTrace={async () => hostileTrace()}
        loadList={async () => list}
        size={{ columns: 100, rows: 24 }}
        noColor
      />,
    );
    const frame = await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 1 request(s)'));
    expect(controls(dataOf(app.lastFrame()))).toEqual([]);
    // The list cuts routes at 24 columns: the escape shows whole up to there.
    expect(frame).toMatch(/GET \/api\/v1\/tasks\/x\\x1b…? +req-inject/);
    await press(app, '/', 'x\u009b2J\u0085y');
    const prompt = await waitForFrame(app.lastFrame, (f) => f.includes('/x'));
    expect(prompt).toContain('/x\\x9b2J\\x85y█');
    expect(controls(dataOf(app.lastFrame()))).toEqual([]);
    app.unmount();
  });
});
