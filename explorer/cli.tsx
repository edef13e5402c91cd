/**
 * dtq-explore: from a correlation id (or a task id, or a W3C trace id) to the whole story of a request.
 *
 * The only module that reads argv. It chooses the source (Elasticsearch when --es or
 * DTQ_ES_URL is set, else the NDJSON files), then the output: the Ink TUI on a terminal,
 * --plain text, or --json. Ink and React load only for the TUI, and while the first query
 * is in flight, so the first frame waits for whichever is slower, not for both in turn.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliParse, type CliSpec, parseCli } from '../contract/cli-args.ts';
import { DtqError, dtqError } from '../contract/dtq-error.ts';
import { indexPattern, indexPrefix } from '../contract/indices.ts';
import { redactUrl } from '../contract/redact.ts';
import { printable } from '../contract/terminal-text.ts';
import { ES_CLI_OPTIONS, ES_ENV_HELP, type EsFlags, esConnection } from '../elk/connection.ts';
import { EXPLORE_ERRORS, exitCodeFor } from './errors.ts';
import { fleetFeed, fleetRows } from './fleet-feed.ts';
import {
  type LoadedTrace,
  loadTrace,
  loadTraceProgressively,
  progressiveLoader,
  type TraceTarget,
} from './load-trace.ts';
import { chooseMapping } from './mapping/load.ts';
import {
  isStatusFilter,
  parseDuration,
  parseSince,
  parseSort,
  type RequestFilter,
  SORT_KEYS,
  type SortOrder,
} from './model/list-view.ts';
import { overview } from './model/overview.ts';
import type { QueueDepth } from './model/queue-depth.ts';
import type { RequestSummary } from './model/request-list.ts';
import type { Trace } from './model/types.ts';
import type { LogSource } from './sources/source.ts';
import { wantsNoColor } from './theme.ts';

/** The explorer's options, help and exit codes: one declaration for parsing, --help and completion. */
const EXPLORE_CLI = {
  name: 'dtq-explore',
  summary: 'the whole story of one request, from logs alone.',
  usage: [
    '<correlation-id> [options]   the timeline of one request (a W3C trace id opens its request too)',
    '--task <task-id> [options]   the request that created a task',
    '[options]                    the fleet view: recent requests and their tasks; Enter opens one',
    'doctor [options]             what your logs let the explorer rebuild, and what to add',
  ],
  positionals: { name: 'correlation-id' },
  options: {
    task: { type: 'string', value: 'ID', description: 'the request that created this task' },
    ...ES_CLI_OPTIONS,
    logs: {
      type: 'string',
      value: 'PATH',
      complete: 'file',
      description: "log directory (subfolders too), file, 'glob' or - for stdin (default: DTQ_LOG_DIR or var/logs)",
    },
    profile: {
      type: 'string',
      value: 'NAME',
      description: 'log format: dtq (default), ecs or otel (default: DTQ_EXPLORE_PROFILE)',
    },
    mapping: {
      type: 'string',
      value: 'FILE',
      complete: 'file',
      description: 'YAML mapping of your log format, docs/explorer.md (default: DTQ_EXPLORE_MAPPING)',
    },
    plain: { type: 'boolean', description: 'text, for pipes and bug reports (default when not a terminal)' },
    json: { type: 'boolean', description: 'JSON, schema in docs/explorer-json.md' },
    html: {
      type: 'string',
      value: 'FILE',
      complete: 'file',
      description: 'write the trace as one self-contained HTML page, for a bug report',
    },
    follow: { type: 'boolean', description: 'keep refreshing an in-flight request until it ends' },
    'no-mouse': {
      type: 'boolean',
      description: 'TUI: leave the mouse to the terminal (its own text selection) instead of wheel and click',
    },
    width: { type: 'string', value: 'N', description: 'columns for --plain (default: terminal width or 100)' },
    stats: {
      type: 'boolean',
      description:
        "over --since: the dashboards' numbers from Elasticsearch; from files, rates, task outcomes, error share, latency percentiles",
    },
    since: { type: 'string', value: 'WHEN', description: 'request list: 15m, 2h, 1d or an ISO date (default: 1h)' },
    service: {
      type: 'string',
      value: 'NAME',
      description: 'request list: api, worker, nginx or an instance such as worker-2',
    },
    status: {
      type: 'string',
      value: 'S',
      description:
        'request list: failed, a code (202), a class (5xx), a task state (dead-lettered, retrying…) or stuck',
    },
    type: { type: 'string', value: 'TYPE', description: 'request list: task type, e.g. stress_test' },
    queue: { type: 'string', value: 'NAME', description: 'request list: queue (high, medium, low)' },
    worker: { type: 'string', value: 'NAME', description: 'request list: a worker that ran an attempt, e.g. worker-3' },
    'min-duration': {
      type: 'string',
      value: 'D',
      description: 'request list: total duration at least D (250ms, 2s, 1m)',
    },
    find: { type: 'string', value: 'TEXT', description: 'request list: TEXT in any id or attribute' },
    sort: {
      type: 'string',
      value: 'COL',
      description: `request list: sort by ${SORT_KEYS.join(', ')}; newest, slowest, most first; COL:asc or COL:desc to choose (default time)`,
    },
    limit: { type: 'string', value: 'N', description: 'request list: at most N requests (default 200)' },
  },
  sections: [
    {
      title: 'Source',
      lines: [
        'Elasticsearch when --es or DTQ_ES_URL is set, else the log files of --logs.',
        'Index prefix from DTQ_ES_INDEX_PREFIX (default dtq-logs). Connection:',
        ...ES_ENV_HELP,
      ],
    },
    {
      title: 'Keys',
      lines: [
        '↑↓/jk move · Enter details/open · Esc back · / search · n/N next/prev match',
        'e/E next/prev error · o jump to original · y copy id · ? help · q quit',
        'list: f/F filter/unfilter · s/S sort by next column/reverse · r reload',
      ],
    },
  ],
  exitCodes: {
    3: 'nothing found (id, index, log directory)',
    4: 'Elasticsearch unreachable or refused the query',
    5: 'lines found, but they do not meet the log contract: the trace says what it cannot tell',
  },
} as const satisfies CliSpec;

interface Options {
  readonly id: string | undefined;
  readonly task: string | undefined;
  readonly es: string | undefined;
  /** The connection flags (--es, --es-username, --es-ca…). */
  readonly esFlags: EsFlags;
  readonly logs: string | undefined;
  readonly profile: string | undefined;
  readonly mappingFile: string | undefined;
  readonly plain: boolean;
  readonly json: boolean;
  readonly html: string | undefined;
  readonly follow: boolean;
  readonly mouse: boolean;
  readonly stats: boolean;
  readonly sinceText: string | undefined;
  readonly width: number | undefined;
  readonly filter: RequestFilter;
}

type CliExit = Extract<CliParse<typeof EXPLORE_CLI.options>, { action: 'exit' }>;

function usage(problem: string): DtqError {
  return dtqError(EXPLORE_ERRORS.USAGE, { problem });
}

function parse(argv: string[], now: number): Options | CliExit {
  const parsed = parseCli(EXPLORE_CLI, argv);
  if (parsed.action === 'exit') return parsed;
  const v = parsed.values;
  if (v.plain && v.json) throw usage('--plain and --json exclude each other');
  if (v.task !== undefined && parsed.positionals.length > 0) throw usage('give a correlation id or --task, not both');
  if (v.html !== undefined && v.task === undefined && parsed.positionals.length === 0)
    throw usage('--html writes one trace: give its correlation id, or --task ID');
  if (v.html !== undefined && (v.json || v.stats)) throw usage('--html excludes --json and --stats');
  const sinceMs = parseSince(v.since ?? '1h', now);
  if (sinceMs === undefined) throw dtqError(EXPLORE_ERRORS.BAD_SINCE, { value: v.since });
  if (v.status !== undefined && !isStatusFilter(v.status))
    throw dtqError(EXPLORE_ERRORS.BAD_STATUS, { value: v.status });
  const minDurationMs = v['min-duration'] === undefined ? undefined : parseDuration(v['min-duration']);
  if (v['min-duration'] !== undefined && minDurationMs === undefined)
    throw usage(`--min-duration ${v['min-duration']} is not a duration: write 250ms, 2s, 1.5m or 1h`);
  const sort = v.sort === undefined ? undefined : sortOption(v.sort);
  const width = v.width === undefined ? undefined : Number(v.width);
  if (width !== undefined && !(Number.isInteger(width) && width >= 40))
    throw usage(`--width ${v.width} must be a whole number of at least 40`);
  const limit = v.limit === undefined ? 200 : Number(v.limit);
  if (!(Number.isInteger(limit) && limit > 0)) throw usage(`--limit ${v.limit} must be a positive whole number`);
  return {
    id: parsed.positionals[0],
    task: v.task,
    es: v.es,
    esFlags: {
      es: v.es,
      'es-username': v['es-username'],
      'es-password-file': v['es-password-file'],
      'es-api-key-file': v['es-api-key-file'],
      'es-bearer-token-file': v['es-bearer-token-file'],
      'es-ca': v['es-ca'],
      'es-ca-fingerprint': v['es-ca-fingerprint'],
    },
    logs: v.logs,
    profile: v.profile,
    mappingFile: v.mapping,
    plain: Boolean(v.plain),
    json: Boolean(v.json),
    html: v.html,
    follow: Boolean(v.follow),
    mouse: !v['no-mouse'],
    stats: Boolean(v.stats),
    sinceText: v.since,
    width,
    filter: {
      sinceMs,
      service: v.service,
      status: v.status?.toLowerCase(),
      type: v.type,
      queue: v.queue,
      worker: v.worker,
      minDurationMs,
      text: v.find,
      sort,
      limit,
    },
  };
}

function sortOption(text: string): SortOrder {
  const order = parseSort(text);
  if (order === undefined)
    throw usage(
      `--sort ${text} names no column: use one of ${SORT_KEYS.join(', ')}, optionally with :asc or :desc (duration:desc)`,
    );
  return order;
}

/** The Elasticsearch node URL(s) to read, checked; undefined when the source is the log files (--logs, or no URL). */
function esUrlOf(options: Options): string | undefined {
  const esUrl = options.logs === undefined ? (options.es ?? process.env.DTQ_ES_URL) : undefined;
  if (!esUrl) return undefined;
  if (!esUrl.split(',').every((node) => /^https?:\/\//.test(node.trim())))
    throw usage(`--es ${redactUrl(esUrl)} is not an http(s) URL (or a comma-separated list of them)`);
  return esUrl;
}

async function openSource(options: Options): Promise<LogSource> {
  const mapping = await chooseMapping({ profile: options.profile, mappingFile: options.mappingFile });
  if (esUrlOf(options)) {
    const { ElasticsearchSource } = await import('./sources/elasticsearch.ts');
    return new ElasticsearchSource({
      connection: esConnection(process.env, options.esFlags),
      index: indexPattern(indexPrefix()),
      mapping,
    });
  }
  const { FileSource } = await import('./sources/files.ts');
  return new FileSource(options.logs ?? process.env.DTQ_LOG_DIR ?? join('var', 'logs'), { mapping });
}

/** The list's loader, made on first use: a trace opened by id reads the window only if Esc leads to the list. */
function listLoader(
  source: LogSource,
  filter: RequestFilter,
): { loadList: () => Promise<RequestSummary[]>; queueDepth: () => QueueDepth | undefined } {
  let fleet: ReturnType<typeof fleetFeed> | undefined;
  return {
    loadList: () => {
      fleet ??= fleetFeed(source, filter);
      return fleet.rows();
    },
    queueDepth: () => fleet?.queueDepth(),
  };
}

/** Exit status of a trace: 5 when its lines do not meet the contract, so a script cannot take it for an answer. */
function traceExitCode(trace: Trace): number {
  return trace.outcome.status === 'undetermined' ? 5 : 0;
}

/** Start-up timings, written when DTQ_EXPLORE_TIMING names a file (benchmarks). */
function recordTiming(phase: string, loaded?: LoadedTrace, extra?: Record<string, unknown>): void {
  const file = process.env.DTQ_EXPLORE_TIMING;
  if (!file) return;
  writeFileSync(
    file,
    `${JSON.stringify({ phase, sinceStartMs: performance.now(), atMs: Date.now(), fetchMs: loaded?.fetchMs, modelMs: loaded?.modelMs, lines: loaded?.lineCount, ...extra })}\n`,
    { flag: 'a' },
  );
}

async function followUntilDone(source: LogSource, target: TraceTarget, first: LoadedTrace): Promise<LoadedTrace> {
  let loaded = first;
  const deadline = Date.now() + 30 * 60_000;
  while (loaded.trace.inFlight && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    loaded = await loadTrace(source, target);
  }
  return loaded;
}

/**
 * --stats: from Elasticsearch, the dashboards' numbers (dashboards/stats.ts over the same
 * indices); from log files, the fleet view's overview of the window (model/overview.ts).
 */
async function printStats(options: Options): Promise<number> {
  if (!esUrlOf(options)) return printFileOverview(options);
  // The dashboards' aggregations name contract fields in the index: they need lines shipped in
  // the contract's shape (dtq-ship writes them so), whatever format the services log.
  const mapping = await chooseMapping({ profile: options.profile, mappingFile: options.mappingFile });
  if (!mapping.identity)
    throw usage(
      `--stats aggregates the contract's field names in Elasticsearch and cannot read them through the ${mapping.name} mapping; ship lines in the contract's shape (docs/log-contract.md), or drop --profile/--mapping`,
    );
  const { renderStats } = await import('../dashboards/stats.ts');
  const since = options.sinceText === undefined ? undefined : new Date(options.filter.sinceMs ?? 0);
  process.stdout.write(
    await renderStats({
      connection: esConnection(process.env, options.esFlags),
      indexPattern: indexPattern(indexPrefix()),
      ...(since ? { since } : {}),
    }),
  );
  return 0;
}

/** --stats from log files: rates, task outcomes, error share, latency percentiles, task types. */
async function printFileOverview(options: Options): Promise<number> {
  const source = await openSource(options);
  try {
    const ledger = await fleetFeed(source, options.filter).refresh();
    const rows = fleetRows(ledger, { ...options.filter, limit: undefined }, Date.now());
    const report = overview(rows, ledger.tasks(), ledger.queueDepth());
    const { overviewToJson, renderOverviewPlain } = await import('./output/overview-plain.ts');
    if (options.json) {
      const { jsonText } = await import('./output/json.ts');
      process.stdout.write(jsonText(overviewToJson(report, { kind: source.kind, description: source.description })));
    } else process.stdout.write(renderOverviewPlain(report, source.description));
    return 0;
  } finally {
    await source.close();
  }
}

/** `dtq-explore doctor`: a sample of the lines, read through the mapping, and what it allows. */
async function runDoctor(options: Options): Promise<number> {
  const source = await openSource(options);
  try {
    const since = options.sinceText === undefined ? undefined : options.filter.sinceMs;
    const hits = source.sample ? await source.sample(since, 10_000) : await source.recent(since, 10_000);
    const { diagnose } = await import('./doctor/census.ts');
    const { doctorToJson, renderDoctorPlain } = await import('./doctor/render.ts');
    const { jsonText } = await import('./output/json.ts');
    const report = diagnose(hits.map((hit) => hit.record));
    process.stdout.write(
      options.json
        ? jsonText(doctorToJson(report, { kind: source.kind, description: source.description }))
        : renderDoctorPlain(report, source.description),
    );
    return 0;
  } finally {
    await source.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const options = parse(argv, Date.now());
  if ('action' in options) {
    process.stdout.write(options.stdout);
    process.stderr.write(options.stderr);
    return options.code;
  }
  if (options.stats) return printStats(options);
  if (options.id === 'doctor' && options.task === undefined) return runDoctor(options);
  const interactive =
    !options.plain &&
    !options.json &&
    options.html === undefined &&
    Boolean(process.stdout.isTTY && process.stdin.isTTY);
  // Start loading Ink now so its import overlaps the first query.
  const tui = interactive ? import('./tui.tsx') : undefined;
  const source = await openSource(options);
  const sourceInfo = { kind: source.kind, description: source.description };
  const target: TraceTarget | undefined =
    options.task !== undefined
      ? { taskId: options.task }
      : options.id !== undefined
        ? { correlationId: options.id }
        : undefined;
  try {
    if (target === undefined) {
      const fleet = fleetFeed(source, options.filter);
      let passes = 0;
      const loadList = async () => {
        const start = performance.now();
        const rows = await fleet.rows();
        recordTiming(passes++ === 0 ? 'list-loaded' : 'list-refresh', undefined, {
          durationMs: performance.now() - start,
          rows: rows.length,
          newest: rows[0]?.correlationId,
        });
        return rows;
      };
      const list = await loadList();
      if (tui) {
        const { runTui } = await tui;
        await runTui({
          loadTrace: progressiveLoader(source),
          loadList,
          queueDepth: () => fleet.queueDepth(),
          initialList: list,
          listTitle: source.description,
          follow: options.follow,
          mouse: options.mouse,
          noColor: wantsNoColor(),
          onFirstFrame: () => recordTiming('first-frame'),
          exitAfterFirstFrame:
            process.env.DTQ_EXPLORE_EXIT_AFTER_FIRST_FRAME === '1' ||
            process.env.DTQ_EXPLORE_EXIT_WHEN_COMPLETE === '1',
        });
        return 0;
      }
      if (options.json) {
        const { jsonText, listToJson } = await import('./output/json.ts');
        process.stdout.write(jsonText(listToJson(list, sourceInfo)));
      } else
        process.stdout.write((await import('./output/plain.ts')).renderListPlain(list, { source: source.description }));
      return 0;
    }
    if (tui) {
      // The first screen need not wait for every status poll of a long-polled request.
      const progressive = loadTraceProgressively(source, target);
      const first = await progressive.first;
      recordTiming('loaded', first);
      let complete = first;
      const { runTui } = await tui;
      await runTui({
        target,
        initialTrace: first.trace,
        completeTrace: first.trace.pending
          ? progressive.complete.then((loaded) => {
              complete = loaded;
              recordTiming('complete-loaded', loaded);
              return loaded.trace;
            })
          : undefined,
        loadTrace: progressiveLoader(source),
        ...listLoader(source, options.filter),
        follow: options.follow,
        mouse: options.mouse,
        noColor: wantsNoColor(),
        onFirstFrame: () => recordTiming('first-frame', first),
        onCompleteFrame: () => recordTiming('complete-frame', complete),
        exitAfterFirstFrame: process.env.DTQ_EXPLORE_EXIT_AFTER_FIRST_FRAME === '1',
        exitWhenComplete: process.env.DTQ_EXPLORE_EXIT_WHEN_COMPLETE === '1',
      });
      return 0;
    }
    let loaded = await loadTrace(source, target);
    recordTiming('loaded', loaded);
    if (options.follow) loaded = await followUntilDone(source, target, loaded);
    if (options.html !== undefined) {
      const { renderTraceHtml } = await import('./output/html.ts');
      const page = renderTraceHtml(loaded.trace, { source: source.description, generatedAt: Date.now() });
      try {
        writeFileSync(options.html, page);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? String(error);
        throw usage(`--html ${options.html} cannot be written (${reason}): name a file in a directory you can write`);
      }
      process.stdout.write(`${printable(`wrote ${options.html}: the trace of ${loaded.trace.correlationId}`)}\n`);
    } else if (options.json) {
      const { jsonText, traceToJson } = await import('./output/json.ts');
      process.stdout.write(jsonText(traceToJson(loaded.trace, sourceInfo)));
    } else {
      const { renderTracePlain } = await import('./output/plain.ts');
      const width = options.width ?? (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 100;
      process.stdout.write(renderTracePlain(loaded.trace, { width, source: source.description }));
    }
    recordTiming('output', loaded);
    return traceExitCode(loaded.trace);
  } finally {
    await source.close();
  }
}

// A reader that stops early (`dtq-explore … --plain | head`) is not an error: leave quietly,
// as git and less do, instead of crashing on the unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

/** A stack trace made printable line by line: its own newlines stay, a logged one is shown. */
function printableLines(text: string): string {
  return text
    .split('\n')
    .map((line) => printable(line))
    .join('\n');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof DtqError) {
      // Messages quote ids, paths and Elasticsearch's reasons: shown, never written raw.
      process.stderr.write(`dtq-explore: ${printable(error.message)}\n  (${error.code})\n`);
      process.exitCode = exitCodeFor(error.code);
    } else {
      process.stderr.write(
        `dtq-explore: unexpected error: ${printableLines(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
      );
      process.exitCode = 1;
    }
  },
);
