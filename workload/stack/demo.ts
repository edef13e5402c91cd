/**
 * `npm run demo`: starts the local stack with fault injection on, fires the scripted scenario
 * (demo-scenario.ts) through nginx, prints each request's correlation id and outcome and how to
 * explore it, then keeps the stack running until Ctrl-C (DTQ_DEMO_EXIT=1 stops and exits
 * instead, with status 1 when an outcome was not the expected one).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../../contract/cli-args.ts';
import { CORRELATION_ID_HEADER } from '../../contract/correlation-id.ts';
import { DtqError } from '../../contract/dtq-error.ts';
import { HttpClient, headerValue } from '../../contract/http-client.ts';
import { printable } from '../../contract/terminal-text.ts';
import { type DemoStep, demoScenario, judgeStep, type StepOutcome } from './demo-scenario.ts';
import { STACK_ERRORS } from './errors.ts';
import { type Stack, startStack } from './stack.ts';

/** Print lines; the server's answers among them are shown with control characters escaped. */
const out = (text = ''): void => {
  process.stdout.write(
    `${text
      .split('\n')
      .map((line) => printable(line))
      .join('\n')}\n`,
  );
};

/** How long one task may take to reach its final state before the demo gives up on it. */
const SETTLE_TIMEOUT_MS = 45_000;

/** The message of the task view's `error` ({message}) or a plain string. */
function errorMessage(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string') {
    return value.message;
  }
  return undefined;
}

async function pollFinal(
  client: HttpClient,
  taskId: string,
): Promise<{ status?: string; attempts?: number; error?: string }> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let last: { status?: string; attempts?: number; error?: string } = {};
  while (Date.now() < deadline) {
    const response = await client.send('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}`);
    const body = response.json();
    last = {
      ...(typeof body?.status === 'string' ? { status: body.status } : {}),
      ...(typeof body?.attempts === 'number' ? { attempts: body.attempts } : {}),
      ...(errorMessage(body?.error) ? { error: errorMessage(body?.error) } : {}),
    };
    if (last.status === 'succeeded' || last.status === 'failed') return last;
    await sleep(200);
  }
  return last;
}

async function submit(client: HttpClient, step: DemoStep) {
  const headers: Record<string, string> = {};
  if (step.requestId !== undefined) headers[CORRELATION_ID_HEADER] = step.requestId;
  if (step.idempotencyKey !== undefined) headers['idempotency-key'] = step.idempotencyKey;
  const response = await client.send('POST', '/api/v1/tasks', { headers, body: step.body });
  const body = response.json();
  return {
    httpStatus: response.status,
    correlationId: headerValue(response, CORRELATION_ID_HEADER),
    taskId: typeof body?.task_id === 'string' ? body.task_id : undefined,
    replayed: headerValue(response, 'idempotent-replayed') === 'true',
    text: response.text,
  };
}

async function runStep(client: HttpClient, step: DemoStep): Promise<StepOutcome & { detail?: string }> {
  const first = await submit(client, step);
  const final = first.taskId ? await pollFinal(client, first.taskId) : {};
  const outcome = {
    httpStatus: first.httpStatus,
    correlationId: first.correlationId,
    taskId: first.taskId,
    status: final.status,
    attempts: final.attempts,
    error: final.error,
    ...(first.httpStatus === 202 ? {} : { detail: first.text.slice(0, 200) }),
  };
  if (!step.doubleSubmit) return outcome;
  const second = await submit(client, step);
  return {
    ...outcome,
    second: {
      httpStatus: second.httpStatus,
      taskId: second.taskId,
      replayed: second.replayed,
      ...(second.correlationId ? { correlationId: second.correlationId } : {}),
    },
  };
}

function describe(outcome: StepOutcome): string {
  const attempts = outcome.attempts === undefined ? '' : ` after ${outcome.attempts} attempt(s)`;
  let text = `${outcome.status ?? 'unknown'}${attempts}`;
  if (outcome.status === 'failed' && outcome.error) text += `: ${outcome.error.slice(0, 80)}`;
  if (outcome.second) {
    const s = outcome.second;
    text += `; resubmitted (correlation_id=${s.correlationId ?? '-'}) → ${s.httpStatus}${s.replayed ? ' replayed' : ''}, ${s.taskId === outcome.taskId ? 'same task' : 'a different task!'}`;
  }
  return text;
}

const DEMO_CLI = {
  name: 'npm run demo --',
  summary: 'start the stack with fault injection, fire the scripted scenario, then keep it running.',
  options: {},
  sections: [
    {
      title: 'Environment',
      lines: [
        'DTQ_DEMO_EXIT=1     stop the stack and exit after the scenario (1 when an outcome was unexpected)',
        'DTQ_DEMO_VERBOSE=1  show every process while the scenario runs',
        'DTQ_HTTP_PORT       nginx port (default 8080, else any free port)',
      ],
    },
  ],
} as const;

async function main(): Promise<number> {
  runCli(DEMO_CLI, process.argv.slice(2), () => undefined);
  const exitWhenDone = process.env.DTQ_DEMO_EXIT === '1';
  const verbose = process.env.DTQ_DEMO_VERBOSE === '1';
  const runId = randomBytes(3).toString('hex');
  out('dtq demo: starting Redis, 3 API servers, 3 workers and nginx (fault injection on)…');
  const began = performance.now();
  let stack: Stack | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number): void => {
    if (stopping) {
      process.exit(code);
    }
    out('\nstopping the stack…');
    stopping = (stack?.stop() ?? Promise.resolve()).then(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown(130));
  process.on('SIGTERM', () => shutdown(143));

  const stackOptions = { faults: true, installMissing: true, output: verbose ? 'pretty' : 'none' } as const;
  try {
    stack = await startStack(stackOptions);
  } catch (error) {
    // Port 8080 taken (say, by a running `npm run workload`) and no port asked for: any free
    // port will do for a demo, which prints its URL anyway.
    if (!(error instanceof DtqError && error.code === STACK_ERRORS.PORT_IN_USE.code) || process.env.DTQ_HTTP_PORT) {
      throw error;
    }
    out(`port 8080 is in use; using a free port instead (set DTQ_HTTP_PORT to choose one)`);
    stack = await startStack({ ...stackOptions, httpPort: 0 });
  }
  out(
    `stack ready in ${((performance.now() - began) / 1000).toFixed(1)} s at ${stack.httpUrl} (logs in ${stack.logDir})`,
  );
  const steps = demoScenario(runId);
  out(`firing ${steps.length} requests through nginx and following each to its end…\n`);
  const client = new HttpClient(stack.httpUrl);
  const outcomes = await Promise.all(steps.map((step) => runStep(client, step)));
  client.close();

  let failures = 0;
  const width = Math.max(...steps.map((step) => step.label.length));
  for (const [index, step] of steps.entries()) {
    const outcome = outcomes[index] as StepOutcome & { detail?: string };
    const problems = judgeStep(step, outcome);
    failures += problems.length > 0 ? 1 : 0;
    const mark = problems.length === 0 ? 'ok ' : 'BAD';
    out(`${mark} ${step.label.padEnd(width)}  correlation_id=${outcome.correlationId ?? '-'}`);
    out(`    ${' '.repeat(width)}  task_id=${outcome.taskId ?? '-'}  → ${describe(outcome)}`);
    if (outcome.detail) out(`    ${' '.repeat(width)}  answer: ${outcome.detail}`);
    for (const problem of problems) out(`    ${' '.repeat(width)}  ! ${problem}`);
  }
  const example = outcomes[0]?.correlationId ?? '<correlation-id>';
  out(
    `\nscenario done in ${((performance.now() - began) / 1000).toFixed(1)} s; ${steps.length - failures}/${steps.length} as expected.`,
  );
  out('Explore any request by its correlation id:');
  out(`  npx dtq-explore ${example}        (or: npm run explore -- ${example})`);
  out(`Raw lines: grep ${example} ${stack.logDir}/*.ndjson`);
  if (exitWhenDone) {
    await stack.stop();
    return failures === 0 ? 0 : 1;
  }
  out(`\nThe stack keeps running at ${stack.httpUrl}; try:`);
  out(
    `  curl -s -X POST ${stack.httpUrl}/api/v1/tasks -H 'X-Request-ID: my-first-request' -H 'Content-Type: application/json' \\`,
  );
  out(
    `    -d '{"task_type":"calculate_var","data":{"portfolio_data":{"positions":[{"symbol":"AAPL","quantity":100,"price":150.0}]}},"priority":"high"}'`,
  );
  out('Live output of every process follows. Press Ctrl-C to stop.\n');
  stack.setOutput('pretty');
  await new Promise(() => {});
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof DtqError ? `${error.code}: ${error.message}` : String(error);
    process.stderr.write(`demo failed: ${message}\n`);
    process.exit(1);
  },
);
