/**
 * `npm run fidelity`: the measure of dtq-explore. Runs a load (`npm run load -- --stack` with
 * duplicates, conflicts, mismatches, retries, dead letters, shared X-Request-IDs, lease
 * takeovers, a Redis restart, frozen workers and a worker killed mid-run) with its ground truth
 * recorded, ships its logs into Elasticsearch (an own node is stopped for a while mid-run), then runs
 * `dtq-explore --json` on every correlation id and compares: task ids found, attempts,
 * outcome, every duplicate marked with the right original. Prints the share of requests
 * reconstructed exactly and lists the misses; exits 1 below 100%.
 *
 * `--system celery` runs the same on the design notes' FastAPI + Celery (docs/celery.md) with
 * the cases that system can serve: faults (retries, dead letters), shared X-Request-IDs and a
 * worker killed mid-task (acks_late redelivery); it has no Idempotency-Key handling and no
 * fenced write, so duplicates, takeovers and frozen workers are left out, and says so.
 *
 * Options are in FIDELITY_CLI (`--help`). Without --in-process the explorer is rebuilt into
 * dist/ first, so the binary is this checkout's.
 * Also fails when the kill did not catch the worker running a job (no crash was tested).
 * DTQ_ES_URL selects an Elasticsearch; otherwise one is started for the run.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliUsageError, runCli } from '../../contract/cli-args.ts';
import { indexPattern } from '../../contract/indices.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { loadTrace } from '../../explorer/load-trace.ts';
import { traceToJson } from '../../explorer/output/json.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { buildExplorer } from '../../scripts/build-explorer.ts';
import type {
  EventRecord,
  FinalRecord,
  GroundTruthRecord,
  RequestRecord,
  RunRecord,
} from '../../workload/load/ground-truth.ts';
import { SYSTEM_BOUND_FLAGS } from '../../workload/load/options.ts';
import { loadTarget } from '../../workload/load/targets.ts';
import { SYSTEMS, type WorkloadSystem } from '../../workload/stack/systems.ts';
import { startTestElasticsearchNode } from '../utils/elasticsearch.ts';
import { compareRequest, compareSharedGroup, correlationIdOf, plannedAttempts, type TraceDoc } from './compare.ts';

/** Attempts of a Celery task before a transient failure is final: DTQ_CELERY_MAX_RETRIES (3) + 1 (docs/celery.md). */
const CELERY_MAX_ATTEMPTS = 4;

const ROOT = resolve(import.meta.dirname, '..', '..');
const say = (line: string): void => {
  process.stdout.write(`fidelity | ${line}\n`);
};

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  label: string,
  onLine?: (line: string) => void,
): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const relay = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n'))
        if (line.trim() !== '') {
          process.stdout.write(`${label} | ${line}\n`);
          onLine?.(line);
        }
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(code ?? 1));
  });
}

function countLogLines(dir: string): number {
  let count = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.ndjson')) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n'))
      if (line.startsWith('{') && line.endsWith('}')) count++;
  }
  return count;
}

async function esCount(url: string, prefix: string): Promise<number> {
  await fetch(`${url}/${indexPattern(prefix)}/_refresh`, { method: 'POST' });
  const body = (await (await fetch(`${url}/${indexPattern(prefix)}/_count`)).json()) as { count?: number };
  return body.count ?? 0;
}

async function explainWithBinary(cid: string, env: NodeJS.ProcessEnv): Promise<TraceDoc> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'dtq-explore.js'), cid, '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolvePromise(JSON.parse(out) as TraceDoc) : reject(new Error(err.trim() || `exit ${code}`)),
    );
  });
}

const FIDELITY_CLI = {
  name: 'npm run fidelity --',
  summary: 'run a load with a worker killed mid-run, ship it, and check dtq-explore against the truth.',
  options: {
    system: {
      type: 'string',
      value: 'NAME',
      choices: SYSTEMS,
      description:
        'the system under load, default node; celery (FastAPI + Celery) leaves out duplicates, freezes, takeovers and the Redis restart',
    },
    rps: { type: 'string', value: 'N', description: 'requests per second of the load (default 40)' },
    duration: { type: 'string', value: 'S', description: 'seconds of load (default 60)' },
    'es-outage': {
      type: 'string',
      value: 'S',
      description: 'stop Elasticsearch for S seconds from 40% of the run (default 30; 0 for none)',
    },
    concurrency: { type: 'string', value: 'N', description: 'explorer runs at once (default 4)' },
    'in-process': {
      type: 'boolean',
      description: "use the explorer's modules instead of spawning the binary per id (same code, faster)",
    },
  },
  sections: [
    {
      title: 'Environment',
      lines: ['DTQ_ES_URL  use this Elasticsearch instead of starting one (no outage: it is not ours to stop)'],
    },
  ],
  exitCodes: { 1: 'below 100%, or the kill caught no job in flight' },
} as const;

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new CliUsageError(`--${name} ${raw} must be a positive whole number`);
  return value;
}

async function main(): Promise<number> {
  const values = runCli(FIDELITY_CLI, process.argv.slice(2), (v) => ({
    rps: positiveInteger('rps', v.rps, 40),
    duration: positiveInteger('duration', v.duration, 60),
    concurrency: positiveInteger('concurrency', v.concurrency, 4),
    esOutage: v['es-outage'] === '0' ? 0 : positiveInteger('es-outage', v['es-outage'], 30),
    'in-process': v['in-process'] === true,
    system: (v.system ?? 'node') as WorkloadSystem,
  }));
  const target = loadTarget(values.system);
  const id = randomUUID().slice(0, 8);
  const workDir = join(ROOT, 'var', 'fidelity', id);
  mkdirSync(workDir, { recursive: true });
  const node = process.env.DTQ_ES_URL ? undefined : await startTestElasticsearchNode({ heap: '1g' });
  const url = process.env.DTQ_ES_URL || (node?.url as string);
  const prefix = `fidelity-${id}`;
  const env = {
    DTQ_ES_URL: url,
    DTQ_ES_INDEX_PREFIX: prefix,
    DTQ_VAR_DIR: join(workDir, 'var'),
    // The Celery workload's virtual environment is the checkout's, not made again per run.
    DTQ_PYTHON_ENV_DIR: process.env.DTQ_PYTHON_ENV_DIR || join(ROOT, 'var', 'venv-celery'),
  };
  try {
    await runSetup({ url, prefix, steps: CORE_STEPS });
    const truthPath = join(workDir, 'ground-truth.jsonl');
    const left = SYSTEM_BOUND_FLAGS.filter(([option]) => target.unsupported[option] !== undefined);
    for (const [option, flag] of left) say(`--${flag} left out on ${values.system}: ${target.unsupported[option]}`);
    say(
      `load on ${values.system}: ${values.rps} req/s for ${values.duration} s, faults, shared ids, a worker killed mid-run${left.length === 0 ? ', duplicates, a Redis restart, frozen workers, takeovers' : ''} → ${truthPath}`,
    );
    const loadArgs = [
      'workload/load/main.ts',
      '--stack',
      '--system',
      values.system,
      '--rps',
      String(values.rps),
      '--duration',
      String(values.duration),
      '--faults',
      '--kill-worker',
      '--shared-ids',
      ...SYSTEM_BOUND_FLAGS.filter(([option]) => target.unsupported[option] === undefined).map(
        ([, flag]) => `--${flag}`,
      ),
      '--out',
      truthPath,
    ];
    // The outage starts once requests flow: the stack's shipper must ride it out mid-run.
    let outage: Promise<void> | undefined;
    const onLoadLine = (line: string): void => {
      if (outage !== undefined || node === undefined || values.esOutage === 0 || !/\bsending \d+ requests/.test(line))
        return;
      outage = (async () => {
        await sleep(values.duration * 400);
        say(`Elasticsearch stopped (SIGKILL) for ${values.esOutage} s`);
        await node.stop({ hard: true });
        await sleep(values.esOutage * 1000);
        await node.start();
        say('Elasticsearch started again');
      })();
    };
    const loadCode = await run(process.execPath, loadArgs, env, 'load', onLoadLine);
    await outage;
    if (loadCode !== 0) throw new Error(`npm run load exited ${loadCode}`);
    if (node !== undefined && values.esOutage > 0 && outage === undefined)
      throw new Error('the load never started sending, so Elasticsearch was never taken down');

    const records = readFileSync(truthPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as GroundTruthRecord);
    const runRecord = records.find((r): r is RunRecord => r.record === 'run');
    const requests = records.filter((r): r is RequestRecord => r.record === 'request');
    const finals = new Map(records.filter((r): r is FinalRecord => r.record === 'final').map((f) => [f.task_id, f]));
    const logDir = runRecord?.log_dir;
    if (!logDir) throw new Error('the ground truth names no log directory');
    // The run is only a crash test if the worker died holding jobs: say which, check each.
    const kill = records.find((r): r is EventRecord => r.record === 'event' && r.action === 'worker_killed');
    const held = new Set(kill?.held_task_ids ?? []);
    if (values.system === 'celery') {
      // Celery's status route says the state, not the attempts: expect those the fault plans,
      // except for a task the kill caught (its lost attempt is checked on its own).
      for (const request of requests) {
        const final = request.task_id === null ? undefined : finals.get(request.task_id);
        if (final && final.attempts === null && !held.has(final.task_id))
          finals.set(final.task_id, { ...final, attempts: plannedAttempts(request.fault, CELERY_MAX_ATTEMPTS) });
      }
    }
    // Tasks a frozen worker held: their attempt there lost its lease and came back.
    const frozenOn = new Map<string, string>();
    for (const r of records)
      if (r.record === 'event' && r.action === 'worker_frozen')
        for (const taskId of r.held_task_ids ?? []) frozenOn.set(taskId, r.instance);
    const resumed = records.filter(
      (r): r is EventRecord =>
        r.record === 'event' &&
        (r.action === 'worker_resumed_before_write' || r.action === 'worker_resumed_after_write'),
    );
    say(
      `${frozenOn.size} task(s) on frozen workers; resumed ${resumed.map((r) => `${r.instance} ${r.action.replace('worker_resumed_', '')}`).join(', ') || 'none'}`,
    );
    say(
      kill
        ? `${kill.instance} SIGKILLed at ${kill.at} holding ${held.size} job(s): [${[...held].join(', ')}]`
        : 'no worker was killed',
    );

    // Ship whatever the stack's shipper had not delivered when the stack stopped.
    const expected = countLogLines(logDir);
    say(`${expected} log lines written; shipping until Elasticsearch has them all`);
    const shipCode = await run(
      process.execPath,
      ['shipper/cli.ts', '--once'],
      { ...env, DTQ_LOG_DIR: logDir, DTQ_INSTANCE: 'shipper-fidelity' },
      'ship',
    );
    if (shipCode !== 0) throw new Error(`shipper exited ${shipCode}`);
    const indexed = await esCount(url, prefix);
    say(`${indexed} lines indexed (${expected} in the files before the final shipper run)`);

    if (!values['in-process']) {
      // The binary runs from dist/: build it from this checkout now, not whenever it last was.
      await buildExplorer();
      say('dist/ rebuilt for the binary runs');
    }
    const byGroup = new Map(requests.filter((r) => r.kind === 'original').map((r) => [r.seq, r.task_id]));
    // The other request of a lease-takeover pair (same group, the other kind).
    const takeoverPartner = (request: RequestRecord): string | null | undefined => {
      if (request.kind !== 'claim_held' && request.kind !== 'takeover') return undefined;
      const other = requests.find(
        (r) => r.group === request.group && r.seq !== request.seq && (r.kind === 'claim_held' || r.kind === 'takeover'),
      );
      return other === undefined ? null : correlationIdOf(other);
    };
    // Requests sharing an X-Request-ID open one trace: checked together, once, from the first.
    const shared = new Map<string, RequestRecord[]>();
    for (const r of requests)
      if (r.correlation_mode === 'shared' && r.correlation_id_sent !== null)
        shared.set(r.correlation_id_sent, [...(shared.get(r.correlation_id_sent) ?? []), r]);
    const explain = values['in-process']
      ? async (cid: string): Promise<TraceDoc> => {
          const source = new ElasticsearchSource({ url, index: indexPattern(prefix) });
          return traceToJson((await loadTrace(source, { correlationId: cid })).trace, source) as unknown as TraceDoc;
        }
      : (cid: string) => explainWithBinary(cid, env);

    const misses: { seq: number; kind: string; correlation_id: string | null; status: number; problems: string[] }[] =
      [];
    let checked = 0;
    let unverifiable = 0;
    let retried = 0;
    let next = 0;
    const groupChecks = new Map<string, Promise<string[]>>();
    const byKind = new Map<string, { checked: number; exact: number }>();
    const started = performance.now();
    const worker = async (): Promise<void> => {
      for (;;) {
        const request = requests[next++];
        if (request === undefined) return;
        const cid = correlationIdOf(request);
        if (request.status === 0 || cid === null) {
          unverifiable++;
          continue;
        }
        checked++;
        const tally = byKind.get(request.kind) ?? { checked: 0, exact: 0 };
        byKind.set(request.kind, tally);
        tally.checked++;
        let problems: string[];
        try {
          // A run that errors (a timeout on an overloaded box) is tried again before it counts
          // as a miss; a trace that differs from the truth is never retried.
          const explainOnce = (): Promise<TraceDoc> =>
            explain(cid).catch(async () => {
              retried++;
              await sleep(2000);
              return explain(cid);
            });
          const group = request.correlation_mode === 'shared' ? shared.get(cid) : undefined;
          if (group) {
            // One trace for the whole group: every member shares its verdict.
            let check = groupChecks.get(cid);
            if (check === undefined) {
              check = explainOnce().then((doc) => compareSharedGroup(group, finals, doc));
              groupChecks.set(cid, check);
            }
            problems = await check;
          } else {
            const doc = await explainOnce();
            problems = compareRequest(
              {
                request,
                originalTaskId: request.group === null ? null : (byGroup.get(request.group) ?? null),
                final: request.task_id ? finals.get(request.task_id) : undefined,
                killedOn: kill && request.task_id !== null && held.has(request.task_id) ? kill.instance : undefined,
                frozenOn: request.task_id === null ? undefined : frozenOn.get(request.task_id),
                takeoverPartner: takeoverPartner(request),
              },
              doc,
            );
          }
        } catch (error) {
          problems = [`dtq-explore failed: ${(error as Error).message.split('\n')[0]}`];
        }
        if (problems.length === 0) tally.exact++;
        else
          misses.push({ seq: request.seq, kind: request.kind, correlation_id: cid, status: request.status, problems });
        if (checked % 250 === 0) say(`${checked}/${requests.length} checked, ${misses.length} misses`);
      }
    };
    await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
    const exact = checked - misses.length;
    const percent = checked === 0 ? 0 : (100 * exact) / checked;
    const kinds = new Map<string, number>();
    for (const r of requests)
      kinds.set(
        `${r.kind}/${r.status}${r.replayed ? '/replayed' : ''}`,
        (kinds.get(`${r.kind}/${r.status}${r.replayed ? '/replayed' : ''}`) ?? 0) + 1,
      );
    const report = {
      run_id: runRecord?.run_id,
      mode: values['in-process'] ? 'in-process' : 'binary',
      killed: kill ? { instance: kill.instance, at: kill.at, held_task_ids: [...held] } : null,
      requests: requests.length,
      checked,
      unverifiable,
      retried_after_error: retried,
      exact,
      percent,
      kinds: Object.fromEntries(kinds),
      exact_by_kind: Object.fromEntries(byKind),
      events: records.filter((r): r is EventRecord => r.record === 'event'),
      seconds: (performance.now() - started) / 1000,
      misses,
    };
    writeFileSync(join(workDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    say(`request mix: ${JSON.stringify(report.kinds)}`);
    for (const [kind, tally] of [...byKind].sort()) say(`  ${kind}: ${tally.exact}/${tally.checked} exact`);
    for (const miss of misses.slice(0, 50))
      say(`MISS #${miss.seq} ${miss.kind} ${miss.status} ${miss.correlation_id}: ${miss.problems.join('; ')}`);
    if (misses.length > 50) say(`… ${misses.length - 50} more misses in ${join(workDir, 'report.json')}`);
    say(
      `${percent.toFixed(2)}% of ${checked} requests reconstructed exactly (${exact}); ${unverifiable} network errors not checkable; ${retried} explorer runs retried after an error`,
    );
    if (target.unsupported.freezeWorker === undefined && resumed.length < 2) {
      say('FAIL: the frozen-worker scenario did not resume a worker both before and after the redelivered write');
      return 1;
    }
    if (held.size === 0) {
      say('FAIL: no worker was killed while running a job, so a mid-job crash was not tested');
      return 1;
    }
    return percent === 100 ? 0 : 1;
  } finally {
    await node?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fidelity | ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
