/**
 * The whole local stack for an end-to-end test file: real Redis, real nginx, real API and worker
 * processes, in a temporary directory with free ports, fault injection on. A LocalStack with
 * test defaults and helpers to read the NDJSON log files, submit tasks through nginx and wait
 * for them to finish.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient, type HttpResponse } from '../../contract/http-client.ts';
import { type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { LocalStack, type OutputMode, type StackOptions } from '../../workload/stack/stack.ts';
import { waitFor } from './wait.ts';

/** A stack started for a test, with helpers; `stop()` also removes its files. */
export class TestStack extends LocalStack {
  readonly #tempDir: string;
  #client: HttpClient | undefined;

  constructor(options: StackOptions, tempDir: string) {
    super(options);
    this.#tempDir = tempDir;
  }

  /** Keep-alive client on nginx. */
  get client(): HttpClient {
    this.#client ??= new HttpClient(this.httpUrl);
    return this.#client;
  }

  /** Every parsed line of one process's NDJSON file (`nginx` for the access log); [] if none yet. */
  readLog(instance: string): LogRecord[] {
    let text: string;
    try {
      text = readFileSync(join(this.logDir, `${instance}.ndjson`), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => normalizeNginxLine(JSON.parse(line) as LogRecord));
  }

  /** Every parsed line of every NDJSON file in the log directory. */
  readLogs(): LogRecord[] {
    return readdirSync(this.logDir)
      .filter((file) => file.endsWith('.ndjson'))
      .flatMap((file) => this.readLog(file.slice(0, -'.ndjson'.length)));
  }

  /** POST /api/v1/tasks through nginx. */
  postTask(body: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return this.client.send('POST', '/api/v1/tasks', { body, headers });
  }

  /** Poll GET /api/v1/tasks/:id through nginx until succeeded or failed; returns the last body. */
  waitForTask(taskId: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return waitFor(
      `task ${taskId} to finish`,
      async () => {
        const body = (await this.client.send('GET', `/api/v1/tasks/${taskId}`)).json();
        return body && (body.status === 'succeeded' || body.status === 'failed') ? body : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  override async stop(): Promise<void> {
    this.#client?.close();
    try {
      await super.stop();
    } finally {
      rmSync(this.#tempDir, { recursive: true, force: true });
    }
  }
}

/** Start a stack for a test (stop it in afterAll with `stack.stop()`). */
export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const varDir = mkdtempSync(join(tmpdir(), 'dtq-stack-'));
  const output = (process.env.DTQ_TEST_STACK_OUTPUT as OutputMode | undefined) ?? 'none';
  let stack: TestStack;
  try {
    stack = new TestStack(
      {
        varDir,
        logDir: join(varDir, 'logs'),
        httpPort: 0,
        faults: true,
        output,
        stopTimeoutMs: 5000,
        readyTimeoutMs: 120_000,
        ...options,
      },
      varDir,
    );
  } catch (error) {
    rmSync(varDir, { recursive: true, force: true });
    throw error;
  }
  // A failed start stops the stack, and TestStack's stop() removes the directory too.
  return stack.start();
}
