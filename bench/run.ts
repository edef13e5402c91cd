/**
 * `npm run bench [name…]`: runs every `bench/<name>.bench.ts` (or only the named ones), one
 * after the other so they do not compete for the CPU, prints a table per scenario and writes
 * the figures into docs/benchmarks.md between `<!-- bench:<name> -->` markers, leaving the
 * sections of scenarios that were not run untouched.
 *
 * Contract for a scenario file: `export async function run(): Promise<BenchReport>` (a report
 * of another shape is still recorded, as JSON).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../contract/cli-args.ts';

/** One measured figure, optionally raced against a baseline measured in the same run. */
export interface BenchRow {
  /** What was measured, e.g. `POST /api/v1/tasks through nginx, 32 connections`. */
  name: string;
  value: number;
  /** Unit of `value`: req/s, ms, lines/s… */
  unit: string;
  /** Further figures of the same measurement, e.g. `{ p50_ms: 3.1, p99_ms: 12 }`. */
  extra?: Record<string, number | string>;
  /** The baseline's name and value in the same unit, when this row is compared to one. */
  baseline?: { name: string; value: number };
  /** value / baseline.value (or the inverse for lower-is-better units; the scenario decides). */
  ratio?: number;
  /** The goal in words, e.g. `≥ 50% of the no-op baseline`. */
  goal?: string;
  /** Whether the goal was met in this run. */
  met?: boolean;
}

/** What a scenario's run() returns. */
export interface BenchReport {
  /** Heading of the scenario, e.g. `API through nginx`. */
  title: string;
  rows: BenchRow[];
  /** How it was measured (concurrency, durations, sizes), one sentence each. */
  notes?: string[];
}

/** Where the figures are written. */
export const BENCH_DOC = resolve(import.meta.dirname, '../docs/benchmarks.md');

const BENCH_DIR = import.meta.dirname;

/** Names of all scenarios: `bench/<name>.bench.ts`. */
export function scenarioNames(dir: string = BENCH_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.bench.ts'))
    .map((file) => basename(file, '.bench.ts'))
    .sort();
}

function isReport(value: unknown): value is BenchReport {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BenchReport).title === 'string' &&
    Array.isArray((value as BenchReport).rows)
  );
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Math.round(value * 100) / 100);
}

/** Markdown of one scenario's report (pure). */
export function renderReport(name: string, report: unknown, when: string): string {
  if (!isReport(report)) {
    return [`### ${name}`, '', `Run ${when}.`, '', '```json', JSON.stringify(report, null, 2), '```'].join('\n');
  }
  const lines = [`### ${report.title}`, '', `\`npm run bench -- ${name}\`, run ${when}.`, ''];
  lines.push('| Measurement | Value | Details | Baseline | Ratio | Goal |');
  lines.push('|---|---:|---|---|---:|---|');
  for (const row of report.rows) {
    const extra = Object.entries(row.extra ?? {})
      .map(([key, value]) => `${key} ${typeof value === 'number' ? format(value) : value}`)
      .join(', ');
    const baseline = row.baseline ? `${row.baseline.name}: ${format(row.baseline.value)} ${row.unit}` : '';
    const ratio = row.ratio === undefined ? '' : `${format(row.ratio * 100)}%`;
    const goal = row.goal ? `${row.goal}${row.met === undefined ? '' : row.met ? ' — met' : ' — **not met**'}` : '';
    lines.push(`| ${row.name} | ${format(row.value)} ${row.unit} | ${extra} | ${baseline} | ${ratio} | ${goal} |`);
  }
  if (report.notes && report.notes.length > 0) {
    lines.push('');
    for (const note of report.notes) lines.push(`- ${note}`);
  }
  return lines.join('\n');
}

/** The document with the section of `name` replaced (or appended) (pure). */
export function replaceSection(document: string, name: string, section: string): string {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${section}\n${end}`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from !== -1 && to > from) return `${document.slice(0, from)}${block}${document.slice(to + end.length)}`;
  return `${document.trimEnd()}\n\n${block}\n`;
}

/** A one-line description of this machine, for the figures' context. */
export function machineLine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

const DOC_HEADER = `# Benchmarks

Figures from \`npm run bench\` (bench/run.ts), each scenario raced against its baseline in the
same run. Timing goals live here, never in tests. Sections between \`<!-- bench:… -->\`
markers are rewritten by the runner; text outside them is kept.
`;

function printReport(name: string, report: unknown): void {
  if (!isReport(report)) {
    process.stdout.write(`${name}: ${JSON.stringify(report)}\n`);
    return;
  }
  process.stdout.write(`\n${report.title}\n`);
  for (const row of report.rows) {
    const parts = [`  ${row.name}: ${format(row.value)} ${row.unit}`];
    if (row.extra)
      parts.push(
        Object.entries(row.extra)
          .map(([k, v]) => `${k}=${typeof v === 'number' ? format(v) : v}`)
          .join(' '),
      );
    if (row.ratio !== undefined) parts.push(`${format(row.ratio * 100)}% of ${row.baseline?.name ?? 'baseline'}`);
    if (row.goal) parts.push(`goal ${row.goal}${row.met === undefined ? '' : row.met ? ' (met)' : ' (NOT met)'}`);
    process.stdout.write(`${parts.join('  ')}\n`);
  }
}

async function main(): Promise<number> {
  const all = scenarioNames();
  const wanted = runCli(
    {
      name: 'npm run bench --',
      summary: 'run the benchmarks one after the other and write their figures into docs/benchmarks.md.',
      usage: ['[scenario…]'],
      positionals: { name: 'scenario', max: all.length, choices: all },
      options: {},
      sections: [{ title: 'Scenarios (bench/<name>.bench.ts; default: all)', lines: [all.join(', ')] }],
      exitCodes: { 1: 'a scenario failed' },
    },
    process.argv.slice(2),
    (_values, positionals) => positionals,
  );
  const names = wanted.length > 0 ? wanted : all;
  const machine = machineLine();
  process.stdout.write(`benchmarks: ${names.join(', ')} on ${machine}\n`);
  let document: string;
  try {
    document = readFileSync(BENCH_DOC, 'utf8');
  } catch {
    document = DOC_HEADER;
  }
  let failed = 0;
  for (const name of names) {
    process.stdout.write(`\n== ${name} ==\n`);
    const module = (await import(pathToFileURL(join(BENCH_DIR, `${name}.bench.ts`)).href)) as {
      run?: () => Promise<unknown>;
    };
    if (typeof module.run !== 'function') {
      process.stderr.write(`bench/${name}.bench.ts does not export run(); skipped\n`);
      failed++;
      continue;
    }
    try {
      const report = await module.run();
      printReport(name, report);
      const when = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}`;
      document = replaceSection(document, name, renderReport(name, report, when));
      writeFileSync(BENCH_DOC, document);
    } catch (error) {
      failed++;
      process.stderr.write(
        `bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
  }
  process.stdout.write(`\nfigures written to ${BENCH_DOC}\n`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
