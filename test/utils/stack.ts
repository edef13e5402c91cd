/**
 * The whole local stack for an end-to-end test file: real Redis, real nginx, real API and worker
 * processes, in a temporary directory with free ports, fault injection on. Wraps
 * workload/stack's startStack with test defaults and helpers to read the NDJSON log files,
 * submit tasks through nginx and wait for them to finish.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient, type HttpResponse } from '../../contract/http-client.ts';
import { type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import {
  type OutputMode,
  type Stack,
  type StackOptions,
  startStack as startLocalStack,
} from '../../workload/stack/stack.ts';
import { waitFor } from './wait.ts';

/** A stack started for a test, with helpers. */
export interface TestStack extends Stack {
  /** Keep-alive client on nginx. */
  readonly client: HttpClient;
  /** Every parsed line of one process's NDJSON file (`nginx` for the access log); [] if none yet. */
  readLog(instance: string): LogRecord[];
  /** Every parsed line of every NDJSON file in the log directory. */
  readLogs(): LogRecord[];
  /** POST /api/v1/tasks through nginx. */
  postTask(body: unknown, headers?: Record<string, string>): Promise<HttpResponse>;
  /** Poll GET /api/v1/tasks/:id through nginx until succeeded or failed; returns the last body. */
  waitForTask(taskId: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Start a stack for a test (stop it in afterAll with `stack.stop()`, which also removes its files). */
export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const varDir = mkdtempSync(join(tmpdir(), 'dtq-stack-'));
  const output = (process.env.DTQ_TEST_STACK_OUTPUT as OutputMode | undefined) ?? 'none';
  let stack: Stack;
  try {
    stack = await startLocalStack({
      varDir,
      logDir: join(varDir, 'logs'),
      httpPort: 0,
      faults: true,
      output,
      stopTimeoutMs: 5000,
      readyTimeoutMs: 120_000,
      ...options,
    });
  } catch (error) {
    rmSync(varDir, { recursive: true, force: true });
    throw error;
  }
  const client = new HttpClient(stack.httpUrl);
  const readLog = (instance: string): LogRecord[] => {
    let text: string;
    try {
      text = readFileSync(join(stack.logDir, `${instance}.ndjson`), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => normalizeNginxLine(JSON.parse(line) as LogRecord));
  };
  return {
    ...stack,
    client,
    readLog,
    readLogs: () =>
      readdirSync(stack.logDir)
        .filter((file) => file.endsWith('.ndjson'))
        .flatMap((file) => readLog(file.slice(0, -'.ndjson'.length))),
    postTask: (body, headers = {}) => client.send('POST', '/api/v1/tasks', { body, headers }),
    waitForTask: async (taskId, timeoutMs = 60_000) =>
      waitFor(
        `task ${taskId} to finish`,
        async () => {
          const body = (await client.send('GET', `/api/v1/tasks/${taskId}`)).json();
          return body && (body.status === 'succeeded' || body.status === 'failed') ? body : undefined;
        },
        { timeoutMs, intervalMs: 200 },
      ),
    stop: async () => {
      client.close();
      await stack.stop();
      rmSync(varDir, { recursive: true, force: true });
    },
  };
}
