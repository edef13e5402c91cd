/**
 * Mapping profiles benchmark: `dtq-explore <id> --json` on the 10,000-line trace from files,
 * the same lines written as contract lines (`--profile dtq`, the baseline: no mapping step),
 * as ECS lines (`--profile ecs`) and as OTLP JSON exports of 50 records a line
 * (`--profile otel`). No Elasticsearch: the rows measure what reading through a mapping
 * costs. Each figure is the time from process start to the --json output, as the explorer
 * records it (DTQ_EXPLORE_TIMING), median over DTQ_BENCH_PROFILE_ROUNDS rounds (default 9);
 * a round runs each profile once, in a rotating order, so load from elsewhere does not fall
 * on one profile. The process's CPU time (user + system, all threads, at exit) is reported
 * beside it: on a shared machine it moves less than the wall time.
 * Goal (issue 13): ecs and otel at most 10% over dtq.
 *
 *   node bench/profiles.bench.ts
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chattyRequest, PROFILES, type Profile, writeProfileDirs } from './foreign-formats.ts';
import type { BenchReport, BenchRow } from './run.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'dtq-explore.js');
const ROUNDS = Number(process.env.DTQ_BENCH_PROFILE_ROUNDS ?? 9);
/** Goal of issue 13: a mapped profile costs at most this much more than contract lines. */
const GOAL_RATIO = 1.1;
/**
 * How long the written files are left alone before the first run: past the file source's
 * settling time (explorer/sources/files.ts, SETTLED_MS), so every run finds them as logs read
 * after the fact are, not as files still being written.
 */
const SETTLE_MS = 2_500;
/** Preloaded into each explorer process: appends its CPU time at exit to DTQ_BENCH_CPU_FILE. */
const CPU_AT_EXIT = `data:text/javascript,${encodeURIComponent(
  "import{appendFileSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();appendFileSync(process.env.DTQ_BENCH_CPU_FILE,String((u.user+u.system)/1000))})",
)}`;

/** One run: ms from process start to the --json output, and the process's CPU ms. */
interface Run {
  readonly outputMs: number;
  readonly cpuMs: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Run the explorer once on `dir` through `profile`. */
function runOnce(dir: string, cid: string, profile: Profile, scratch: string): Promise<Run> {
  const timingFile = join(scratch, `timing-${randomUUID()}.ndjson`);
  const cpuFile = join(scratch, `cpu-${randomUUID()}.txt`);
  const args = ['--import', CPU_AT_EXIT, BIN, cid, '--json', '--logs', dir, '--profile', profile];
  const env = {
    ...process.env,
    DTQ_ES_URL: '',
    NO_COLOR: '',
    DTQ_EXPLORE_TIMING: timingFile,
    DTQ_BENCH_CPU_FILE: cpuFile,
  };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`dtq-explore ${args.slice(2).join(' ')} exited ${code}: ${stderr}`);
        const output = readFileSync(timingFile, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as { phase: string; sinceStartMs: number })
          .find((timing) => timing.phase === 'output');
        resolvePromise({ outputMs: output?.sinceStartMs ?? Number.NaN, cpuMs: Number(readFileSync(cpuFile, 'utf8')) });
      } catch (error) {
        reject(error);
      } finally {
        rmSync(timingFile, { force: true });
        rmSync(cpuFile, { force: true });
      }
    });
  });
}

export async function run(): Promise<BenchReport> {
  const scratch = join(ROOT, 'var', 'bench-profiles', randomUUID());
  const cid = `bench-profile-${randomUUID()}`;
  const writer = chattyRequest(Date.now() - 3_600_000, cid);
  const dirs = writeProfileDirs(scratch, writer);
  const runs = new Map<Profile, Run[]>(PROFILES.map((profile) => [profile, []]));
  const loadBefore = loadavg()[0] ?? 0;
  try {
    await sleep(SETTLE_MS);
    // Warm-up: Node's compile cache and the OS file cache, as for a user's second run.
    for (const profile of PROFILES) await runOnce(dirs[profile], cid, profile, scratch);
    for (let r = 0; r < ROUNDS; r++)
      for (let i = 0; i < PROFILES.length; i++) {
        const profile = PROFILES[(r + i) % PROFILES.length] as Profile;
        runs.get(profile)?.push(await runOnce(dirs[profile], cid, profile, scratch));
      }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const figures = (profile: Profile) => {
    const list = runs.get(profile) ?? [];
    return { ms: median(list.map((x) => x.outputMs)), cpu: median(list.map((x) => x.cpuMs)) };
  };
  const dtq = figures('dtq');
  const rows: BenchRow[] = PROFILES.filter((profile) => profile !== 'dtq').map((profile) => {
    const { ms, cpu } = figures(profile);
    return {
      name: `--json output, ${writer.records.length.toLocaleString('en-US')}-line trace from files, profile ${profile}`,
      value: round(ms),
      unit: 'ms',
      baseline: { name: 'profile dtq, same trace as contract lines', value: round(dtq.ms) },
      ratio: round(ms / dtq.ms, 2),
      goal: `≤ ${GOAL_RATIO.toFixed(2)}`,
      met: ms / dtq.ms <= GOAL_RATIO,
      extra: { cpu_ms: round(cpu), dtq_cpu_ms: round(dtq.cpu), cpu_ratio: round(cpu / dtq.cpu, 2) },
    };
  });
  return {
    title: 'Mapping profiles (--json from files)',
    rows,
    notes: [
      `The ${writer.records.length.toLocaleString('en-US')}-line trace alone in files, written as contract lines (one file per process), ECS lines and OTLP JSON (50 records a line); --json through --profile dtq, ecs and otel.`,
      `Time from process start to the --json output, median of ${ROUNDS} rounds, profiles in rotating order; cpu_ms is the process's user + system time at exit (all threads).`,
      `The files are written ${SETTLE_MS / 1000} s before the first run: settled, so a lookup reuses the lines the one before it kept of a whole file instead of reading it again (a file changed in the last 2 s is read again and its lines compared).`,
      `Load average (1 min): ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end.`,
    ],
  };
}

if (import.meta.main) {
  const report = await run();
  for (const row of report.rows)
    process.stdout.write(
      `${row.name}: ${row.value} ${row.unit} ${JSON.stringify(row.extra ?? {})}  ${row.ratio} × ${row.baseline?.name} (${row.baseline?.value} ${row.unit})  goal ${row.goal}${row.met ? ' (met)' : ' (NOT met)'}\n`,
    );
  for (const note of report.notes ?? []) process.stdout.write(`- ${note}\n`);
}
