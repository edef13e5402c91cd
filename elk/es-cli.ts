/**
 * `npm run es -- [start|stop|status|run]`: a local Elasticsearch for development on
 * http://127.0.0.1:9200 (the port of DTQ_ES_URL when set), data under var/elasticsearch/node
 * kept across restarts. `start` returns once the node is ready and leaves it running in the
 * background; `run` keeps it in the foreground until Ctrl-C.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../contract/cli-args.ts';
import { DtqError, dtqError } from '../contract/dtq-error.ts';
import { envString } from '../contract/env.ts';
import { redactUrl } from '../contract/redact.ts';
import { printable } from '../contract/terminal-text.ts';
import { esUrl } from './client.ts';
import { esVarDir } from './distribution.ts';
import { ES_ERRORS } from './errors.ts';
import { clusterStatus, DEFAULT_HEAP, groupAlive, startElasticsearchNode, stopGroup } from './node.ts';

const ES_CLI = {
  name: 'npm run es --',
  summary: 'a local Elasticsearch for development, data kept under var/elasticsearch/node.',
  usage: ['[start|stop|status|run]'],
  positionals: { name: 'command', choices: ['start', 'stop', 'status', 'run'] },
  options: {},
  sections: [
    {
      title: 'Commands',
      lines: [
        'start   start Elasticsearch in the background and wait until it is ready (default)',
        'stop    stop the background node',
        'status  say whether it runs and its cluster health (exit 1 when it does not answer)',
        'run     run it in the foreground until Ctrl-C',
      ],
    },
    {
      title: 'Environment',
      lines: [
        'DTQ_ES_URL   port taken from it (default http://127.0.0.1:9200)',
        `DTQ_ES_HEAP  heap size (default ${DEFAULT_HEAP})`,
      ],
    },
  ],
} as const;

const baseDir = join(esVarDir(), 'node');
const pidFile = join(baseDir, 'es.pid');

function readPid(): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && groupAlive(pid) ? pid : undefined;
}

function localPort(url: string): number {
  const parsed = new URL(url);
  if (parsed.hostname !== '127.0.0.1' && parsed.hostname !== 'localhost') {
    throw new DtqError(
      'DTQ_ERR_ES_BAD_URL',
      `DTQ_ES_URL=${redactUrl(url)} is not on this machine; \`npm run es\` only runs a local node. Unset DTQ_ES_URL or use http://127.0.0.1:<port>.`,
    );
  }
  return Number(parsed.port || 9200);
}

async function start(detached: boolean): Promise<void> {
  const url = esUrl();
  const port = localPort(url);
  const running = readPid();
  if (running !== undefined || (await clusterStatus(url, 1_000))) {
    if (running !== undefined && (await clusterStatus(url))) {
      console.log(`Elasticsearch already running on ${redactUrl(url)} (pid ${running})`);
      return;
    }
    throw dtqError(ES_ERRORS.ALREADY_RUNNING, { url: redactUrl(url), pidFile });
  }
  const node = await startElasticsearchNode({
    port,
    baseDir,
    heap: envString('DTQ_ES_HEAP', DEFAULT_HEAP),
    detached,
    log: (line) => console.error(line),
  });
  writeFileSync(pidFile, `${node.pid()}\n`);
  console.log(`Elasticsearch ready on ${redactUrl(url)} (pid ${node.pid()}, logs ${join(baseDir, 'logs')})`);
  if (detached) return;
  const shutdown = async (): Promise<void> => {
    await node.stop();
    rmSync(pidFile, { force: true });
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function stop(): Promise<void> {
  const pid = readPid();
  if (pid === undefined) {
    console.log('Elasticsearch is not running (no live pid in var/elasticsearch/node/es.pid)');
    return;
  }
  await stopGroup(pid);
  rmSync(pidFile, { force: true });
  console.log(`Elasticsearch stopped (pid ${pid})`);
}

async function status(): Promise<void> {
  const url = esUrl();
  const health = await clusterStatus(url);
  const pid = readPid();
  console.log(
    health
      ? `Elasticsearch on ${redactUrl(url)}: ${health}${pid === undefined ? ' (not started by npm run es)' : ` (pid ${pid})`}`
      : `Elasticsearch on ${redactUrl(url)}: not answering${pid === undefined ? '' : ` (pid ${pid} alive, starting or stuck)`}`,
  );
  process.exitCode = health ? 0 : 1;
}

async function main(argv: string[]): Promise<void> {
  const command = runCli(ES_CLI, argv, (_values, positionals) => positionals[0] ?? 'start');
  if (command === 'start') return start(true);
  if (command === 'run') return start(false);
  if (command === 'stop') return stop();
  return status();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof DtqError ? printable(`${error.code}: ${error.message}`) : error);
  process.exitCode = 1;
});
