/** `npm run demo` runs its scenario to completion against the real stack and prints correlation ids. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { demoScenario } from '../../workload/stack/demo-scenario.ts';
import { freePort } from '../utils/free-port.ts';
import { runToExit } from '../utils/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'dtq-demo-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs the scenario to completion, every outcome as expected, and prints each correlation id', async () => {
  const { code, output } = await runToExit(process.execPath, ['workload/stack/demo.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DTQ_DEMO_EXIT: '1',
      DTQ_STACK_READY_TIMEOUT_MS: '150000',
      DTQ_HTTP_PORT: String(await freePort()),
      DTQ_VAR_DIR: dir,
      DTQ_LOG_DIR: join(dir, 'logs'),
    },
  });
  expect(code, output).toBe(0);
  const steps = demoScenario('x');
  const okLines = output.split('\n').filter((line) => line.startsWith('ok '));
  expect(okLines, output).toHaveLength(steps.length);
  expect(output).toMatch(/correlation_id=ULTIMATE-SUCCESS-[0-9a-f]{6}/);
  for (const line of okLines) expect(line).toMatch(/ correlation_id=[A-Za-z0-9._:-]{1,128}$/);
  expect(output).toMatch(/npx dtq-explore \S+/);
  expect(output).toContain(`${steps.length}/${steps.length} as expected`);
}, 300_000);
