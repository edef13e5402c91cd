import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bashCompletion,
  type CliSpec,
  CliUsageError,
  helpText,
  parseCli,
  zshCompletion,
} from '../../contract/cli-args.ts';

const SPEC = {
  name: 'dtq-thing',
  summary: 'does one thing.',
  usage: ['<id> [options]'],
  positionals: { name: 'id' },
  options: {
    logs: { type: 'string', value: 'DIR', complete: 'directory', description: "where the logs are (the user's)" },
    mode: { type: 'string', value: 'MODE', choices: ['fast', 'safe'], description: 'how [carefully]: pick one' },
    plain: { type: 'boolean', short: 'p', description: 'plain text' },
  },
  sections: [{ title: 'Environment', lines: ['DTQ_THING  what it reads'] }],
  exitCodes: { 3: 'nothing found' },
} as const satisfies CliSpec;

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('parseCli', () => {
  it('returns typed values and positionals, without the standard options', () => {
    expect(parseCli(SPEC, ['abc', '--logs', 'var/x', '-p', '--mode=safe'])).toEqual({
      action: 'run',
      values: { logs: 'var/x', plain: true, mode: 'safe' },
      positionals: ['abc'],
    });
  });

  it('answers --help and -h with the help text and exit 0, whatever else argv holds', () => {
    for (const argv of [['--help'], ['-h'], ['abc', '--plain', '--help']])
      expect(parseCli(SPEC, argv)).toEqual({ action: 'exit', code: 0, stdout: helpText(SPEC), stderr: '' });
  });

  it("answers --version with the package's version", () => {
    expect(parseCli(SPEC, ['--version'])).toEqual({
      action: 'exit',
      code: 0,
      stdout: `dtq-thing ${version}\n`,
      stderr: '',
    });
    expect(parseCli({ ...SPEC, name: 'npm run thing --' }, ['--version'])).toMatchObject({
      stdout: `dtq ${version}\n`,
    });
  });

  it('rejects an unknown option with one line naming it, the usage, and exit 2', () => {
    const result = parseCli(SPEC, ['--bogus']);
    expect(result).toMatchObject({ action: 'exit', code: 2, stdout: '' });
    const lines = result.action === 'exit' ? result.stderr.split('\n') : [];
    expect(lines[0]).toBe("dtq-thing: Unknown option '--bogus'");
    expect(lines.slice(1)).toEqual([
      'Usage:',
      '  dtq-thing <id> [options]',
      'Run `dtq-thing --help` for every option.',
      '',
    ]);
  });

  it('rejects a missing value, a value outside the choices and too many positionals with exit 2', () => {
    expect(parseCli(SPEC, ['--logs'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^dtq-thing: .*--logs/),
    });
    expect(parseCli(SPEC, ['--mode', 'reckless'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^dtq-thing: --mode reckless is not one of fast, safe\n/),
    });
    expect(parseCli(SPEC, ['a', 'b'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^dtq-thing: expected at most 1 id, got 2\n/),
    });
    expect(parseCli({ ...SPEC, positionals: undefined }, ['a'])).toMatchObject({ code: 2 });
  });

  it('accepts only the declared positional choices', () => {
    const spec = { ...SPEC, positionals: { name: 'command', choices: ['start', 'stop'] } };
    expect(parseCli(spec, ['stop'])).toMatchObject({ action: 'run', positionals: ['stop'] });
    expect(parseCli(spec, ['restart'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^dtq-thing: unknown command restart\n/),
    });
  });

  it('offers --completion only to installed bins, not to npm scripts', () => {
    expect(parseCli(SPEC, ['--completion', 'bash'])).toMatchObject({ code: 0, stdout: bashCompletion(SPEC) });
    expect(parseCli(SPEC, ['--completion', 'zsh'])).toMatchObject({ code: 0, stdout: zshCompletion(SPEC) });
    expect(parseCli(SPEC, ['--completion', 'fish'])).toMatchObject({ code: 2 });
    expect(parseCli({ ...SPEC, name: 'npm run thing --' }, ['--completion', 'bash'])).toMatchObject({ code: 2 });
  });
});

describe('helpText', () => {
  it('lists every option with its value name, description and choices, the sections and the exit codes', () => {
    const help = helpText(SPEC);
    expect(help.startsWith('dtq-thing: does one thing.\n\nUsage:\n  dtq-thing <id> [options]\n\nOptions:\n')).toBe(
      true,
    );
    expect(help).toMatch(/\n {6}--logs DIR +where the logs are \(the user's\)\n/);
    expect(help).toMatch(/\n {6}--mode MODE +how \[carefully\]: pick one \(fast, safe\)\n/);
    expect(help).toMatch(/\n {2}-p, --plain +plain text\n/);
    expect(help).toMatch(/\n {2}-h, --help +print this help and exit\n/);
    expect(help).toContain('\nEnvironment:\n  DTQ_THING  what it reads\n');
    expect(help.endsWith('\nExit codes: 0 ok · 1 failure · 2 usage error · 3 nothing found\n')).toBe(true);
  });
});

describe('completion scripts', () => {
  // Completion as bash itself computes it: source the script, set the words, call the function.
  function complete(words: string[]): string[] {
    const script = `${bashCompletion(SPEC)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_dtq_thing; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
  }

  it('bash completes option names, choices of a value and nothing for a free value', () => {
    expect(complete(['dtq-thing', '--p'])).toEqual(['--plain']);
    expect(complete(['dtq-thing', '--mode', ''])).toEqual(['fast', 'safe']);
    expect(complete(['dtq-thing', '--mode', 's'])).toEqual(['safe']);
    expect(complete(['dtq-thing', '--co'])).toEqual(['--completion']);
    expect(complete(['dtq-thing', '--completion', ''])).toEqual(['bash', 'zsh']);
  });

  it('zsh declares every option with its description quoted and its value action', () => {
    const script = zshCompletion(SPEC);
    expect(script.startsWith('#compdef dtq-thing\n')).toBe(true);
    expect(script).toContain(`'--logs[where the logs are (the user'\\''s)]:dir:_files -/'`);
    expect(script).toContain(`'--mode[how \\[carefully\\]: pick one]:mode:(fast safe)'`);
    expect(script).toContain(`'(-p --plain)'{-p,--plain}'[plain text]'`);
    expect(script).toContain(`'*:id: '`);
    expect(script.trimEnd().endsWith('compdef _dtq_thing dtq-thing')).toBe(true);
  });
});

describe('CliUsageError', () => {
  it('carries the usage code', () => {
    expect(new CliUsageError('x').code).toBe('DTQ_ERR_CLI_USAGE');
  });
});
