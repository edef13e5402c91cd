import { describe, expect, it } from 'vitest';
import { parseCli } from '../../contract/cli-args.ts';
import { LOAD_CLI, loadOptions } from '../../workload/load/options.ts';

const now = new Date('2026-11-22T10:00:00.000Z');

function parse(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseCli(LOAD_CLI, argv);
  if (parsed.action !== 'run') throw new Error(`expected options, got exit ${parsed.code}: ${parsed.stderr}`);
  return loadOptions(parsed.values, env, now);
}

describe('npm run load options', () => {
  it('reads --rps and --duration in both spellings and keeps the defaults otherwise', () => {
    const options = parse(['--rps', '40', '--duration=15']);
    expect(options).toMatchObject({ rps: 40, durationS: 15, url: 'http://127.0.0.1:8080', duplicates: false });
    expect(options.out).toBe('var/load/ground-truth-2026-11-22T10-00-00-000Z.jsonl');
  });

  it('targets DTQ_HTTP_PORT by default', () => {
    expect(parse([], { DTQ_HTTP_PORT: '9090' })).toMatchObject({ url: 'http://127.0.0.1:9090' });
  });

  it('names the bad value and what was expected', () => {
    expect(() => parse(['--rps', 'fast'])).toThrow(/--rps fast: expected a number above 0/);
    expect(() => parse(['--seed', '1.5'])).toThrow(/--seed 1.5: expected a whole number/);
    expect(() => parse(['--url', 'nginx:8080'])).toThrow(/--url nginx:8080: expected an http/);
    expect(() => parse(['--kill-worker'])).toThrow(/needs --stack/);
    for (const flag of ['--freeze-worker', '--takeovers', '--restart-redis'])
      expect(() => parse([flag])).toThrow(`${flag} needs --stack (`);
    expect(parse(['--stack', '--freeze-worker', '--takeovers', '--restart-redis', '--kill-worker'])).toMatchObject({
      startStack: true,
      killWorker: true,
      freezeWorker: true,
      takeovers: true,
      restartRedis: true,
    });
  });

  it('rejects an unknown option with the usage and exit code 2', () => {
    const parsed = parseCli(LOAD_CLI, ['--bogus']);
    expect(parsed).toMatchObject({ action: 'exit', code: 2 });
    expect(parsed.action === 'exit' && parsed.stderr).toMatch(/--bogus.*\nUsage:\n {2}npm run load -- \[--rps N\]/s);
  });

  it('answers --help with every option', () => {
    const parsed = parseCli(LOAD_CLI, ['--help']);
    expect(parsed).toMatchObject({ action: 'exit', code: 0 });
    for (const name of Object.keys(LOAD_CLI.options))
      expect(parsed.action === 'exit' && parsed.stdout).toContain(`--${name}`);
  });
});
