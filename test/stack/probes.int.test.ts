import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { claimPort, isReady, startedInFile } from '../../workload/stack/probes.ts';

const dir = mkdtempSync(join(tmpdir(), 'dtq-probes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stack probes', () => {
  it('refuses a port somebody listens on, naming the variable to change', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await expect(claimPort(port, 'nginx', 'DTQ_HTTP_PORT')).rejects.toThrow(
      `nginx cannot listen on 127.0.0.1:${port}: the port is already in use. Stop whatever uses it or set DTQ_HTTP_PORT.`,
    );
    server.close();
    expect(await claimPort(0, 'nginx', 'DTQ_HTTP_PORT')).toBeGreaterThan(0);
  });

  it('finds the service.started line of one process in a file shared with earlier runs', () => {
    const path = join(dir, 'worker-1.ndjson');
    const line = (pid: number, action: string) =>
      JSON.stringify({ [F.EVENT_ACTION]: action, [F.PROCESS_PID]: pid, [F.MESSAGE]: 'x' });
    writeFileSync(path, `${line(100, EVENTS.SERVICE_STARTED)}\n${line(200, EVENTS.TASK_STARTED)}\nnot json\n`);
    expect(startedInFile(path, 100)).toBe(true);
    expect(startedInFile(path, 200)).toBe(false);
    expect(startedInFile(join(dir, 'missing.ndjson'), 100)).toBe(false);
  });

  it('answers false, not an error, when nothing serves /ready', async () => {
    const port = await claimPort(0, 'probe', 'X');
    expect(await isReady(`http://127.0.0.1:${port}`)).toBe(false);
  });
});
