/**
 * The one argv parser of every dtq command: a thin layer over `node:util` `parseArgs` that
 * declares each option once, with its description, and derives from that declaration the
 * `--help` text, the bash and zsh completion scripts and the checks. `--help`, `--version` and
 * `--completion` are answered before a command does anything else, so they have no side effect.
 *
 * Exit codes shared by every command: 0 ok, 1 failure, 2 usage (an unknown option, a bad value).
 * A command may add its own from 3 up (the explorer's 3–5), declared in its spec so `--help` lists them.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DtqError } from './dtq-error.ts';

/** Exit codes every command shares. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** One option as a command declares it. */
export interface CliOption {
  readonly type: 'string' | 'boolean';
  /** One letter, used as `-x`. */
  readonly short?: string;
  /** One line for `--help`. */
  readonly description: string;
  /** Name of the value in `--help` (`--es URL`); string options only. Default `VALUE`. */
  readonly value?: string;
  /** The only values accepted; `--help` and completion list them. */
  readonly choices?: readonly string[];
  /** What completion offers for the value: file or directory names. */
  readonly complete?: 'file' | 'directory';
}

/** Positional arguments of a command. */
export interface CliPositionals {
  /** Name in the usage line, e.g. `correlation-id` or `scenario…`. */
  readonly name: string;
  /** At most this many (default 1). */
  readonly max?: number;
  /** The only values accepted (subcommands, benchmark names); completion offers them. */
  readonly choices?: readonly string[];
}

/** Everything `--help`, completion and parsing need to know about a command. */
export interface CliSpec {
  /** How the user types it: `dtq-explore`, `npm run load --`. */
  readonly name: string;
  /** One line: what the command does. */
  readonly summary: string;
  /** Usage lines without the name, e.g. `<correlation-id> [options]`. Default `[options]`. */
  readonly usage?: readonly string[];
  readonly options: Readonly<Record<string, CliOption>>;
  readonly positionals?: CliPositionals;
  /** Further help sections, each a title and its lines (environment, keys…). */
  readonly sections?: readonly { readonly title: string; readonly lines: readonly string[] }[];
  /** Exit codes beyond 0, 1 and 2, with what they mean. */
  readonly exitCodes?: Readonly<Record<number, string>>;
}

/** Values of a spec's options, typed from its declaration. */
export type CliValues<O extends Readonly<Record<string, CliOption>>> = {
  -readonly [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string;
};

/** What argv asks for: run the command, or print something and exit. */
export type CliParse<O extends Readonly<Record<string, CliOption>>> =
  | { readonly action: 'run'; readonly values: CliValues<O>; readonly positionals: string[] }
  | { readonly action: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string };

/** A bad argument found after parsing (a value out of range, two options that exclude each other). */
export class CliUsageError extends DtqError {
  constructor(problem: string) {
    super('DTQ_ERR_CLI_USAGE', problem);
    this.name = 'CliUsageError';
  }
}

const STANDARD: Readonly<Record<string, CliOption>> = {
  help: { type: 'boolean', short: 'h', description: 'print this help and exit' },
  version: { type: 'boolean', description: 'print the version and exit' },
};

// Only an installed bin (a name without spaces) can be completed: `npm run …` belongs to npm.
const COMPLETION: Readonly<Record<string, CliOption>> = {
  completion: {
    type: 'string',
    value: 'SHELL',
    choices: ['bash', 'zsh'],
    description: 'print a completion script and exit',
  },
};

function isBin(spec: CliSpec): boolean {
  return !spec.name.includes(' ');
}

function allOptions(spec: CliSpec): Record<string, CliOption> {
  return { ...spec.options, ...STANDARD, ...(isBin(spec) ? COMPLETION : {}) };
}

// Esbuild replaces this identifier with the version when it bundles a bin; from a checkout the
// version is read from package.json, which sits one level above contract/.
declare const DTQ_PACKAGE_VERSION: string | undefined;

/** The version of the dtq package. */
export function packageVersion(): string {
  if (typeof DTQ_PACKAGE_VERSION === 'string') return DTQ_PACKAGE_VERSION;
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function flag(name: string, option: CliOption): string {
  const value = option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : '';
  return `${option.short ? `-${option.short}, ` : '    '}--${name}${value}`;
}

/** The usage lines alone, printed with every usage error. */
export function usageText(spec: CliSpec): string {
  const lines = spec.usage ?? ['[options]'];
  return `Usage:\n${lines.map((line) => `  ${spec.name} ${line}`).join('\n')}\n`;
}

/** The full `--help` text (pure). */
export function helpText(spec: CliSpec): string {
  const options = allOptions(spec);
  const flags = Object.entries(options).map(([name, option]) => [flag(name, option), option] as const);
  const width = Math.max(...flags.map(([text]) => text.length)) + 2;
  const out = [`${spec.name}: ${spec.summary}`, '', usageText(spec).trimEnd(), '', 'Options:'];
  for (const [text, option] of flags) {
    const choices = option.choices ? ` (${option.choices.join(', ')})` : '';
    out.push(`  ${text.padEnd(width)}${option.description}${choices}`);
  }
  for (const section of spec.sections ?? []) out.push('', `${section.title}:`, ...section.lines.map((l) => `  ${l}`));
  const codes: Record<number, string> = { 0: 'ok', 1: 'failure', 2: 'usage error', ...spec.exitCodes };
  out.push(
    '',
    `Exit codes: ${Object.entries(codes)
      .map(([code, meaning]) => `${code} ${meaning}`)
      .join(' · ')}`,
  );
  return `${out.join('\n')}\n`;
}

function functionName(command: string): string {
  return `_${command.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** A bash completion script for the command (pure). Install: `source <(cmd --completion bash)`. */
export function bashCompletion(spec: CliSpec): string {
  const command = spec.name;
  const options = allOptions(spec);
  const words = Object.entries(options).map(([name]) => `--${name}`);
  for (const option of Object.values(options)) if (option.short) words.push(`-${option.short}`);
  words.push(...(spec.positionals?.choices ?? []));
  const cases: string[] = [];
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    const names = [`--${name}`, ...(option.short ? [`-${option.short}`] : [])].join('|');
    const reply = option.choices
      ? `COMPREPLY=($(compgen -W '${option.choices.join(' ')}' -- "$cur"))`
      : option.complete === 'directory'
        ? `COMPREPLY=($(compgen -d -- "$cur"))`
        : option.complete === 'file'
          ? `COMPREPLY=($(compgen -f -- "$cur"))`
          : 'COMPREPLY=()';
    cases.push(`    ${names}) ${reply}; return ;;`);
  }
  const fn = functionName(command);
  return [
    `# bash completion for ${command}, generated by \`${command} --completion bash\``,
    `${fn}() {`,
    `  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"`,
    '  case "$prev" in',
    ...cases,
    '  esac',
    `  COMPREPLY=($(compgen -W '${words.join(' ')}' -- "$cur"))`,
    '}',
    `complete -F ${fn} ${command}`,
    '',
  ].join('\n');
}

// Inside single quotes only ' needs care; _arguments itself wants \] in a description and
// \: in a message, the two places a declaration's text lands.
function zshQuote(text: string, special: RegExp): string {
  return text.replace(special, '\\$&').replace(/'/g, `'\\''`);
}

function zshDescription(text: string): string {
  return zshQuote(text, /[[\]\\]/g);
}

function zshMessage(text: string): string {
  return zshQuote(text, /[:\\]/g);
}

/** A zsh completion script for the command (pure). Install: `source <(cmd --completion zsh)`. */
export function zshCompletion(spec: CliSpec): string {
  const command = spec.name;
  const specs: string[] = [];
  for (const [name, option] of Object.entries(allOptions(spec))) {
    const description = zshDescription(option.description);
    let argument = '';
    if (option.type === 'string') {
      const label = zshMessage((option.value ?? 'value').toLowerCase());
      const action = option.choices
        ? `(${option.choices.join(' ')})`
        : option.complete === 'directory'
          ? '_files -/'
          : option.complete === 'file'
            ? '_files'
            : ' ';
      argument = `:${label}:${action}`;
    }
    specs.push(
      option.short
        ? `'(-${option.short} --${name})'{-${option.short},--${name}}'[${description}]${argument}'`
        : `'--${name}[${description}]${argument}'`,
    );
  }
  if (spec.positionals) {
    const action = spec.positionals.choices ? `(${spec.positionals.choices.join(' ')})` : ' ';
    specs.push(`'*:${zshMessage(spec.positionals.name)}:${action}'`);
  }
  const fn = functionName(command);
  return [
    `#compdef ${command}`,
    `# zsh completion for ${command}, generated by \`${command} --completion zsh\``,
    `${fn}() {`,
    `  _arguments -s ${specs.join(' \\\n    ')}`,
    '}',
    `compdef ${fn} ${command}`,
    '',
  ].join('\n');
}

function usageExit(spec: CliSpec, problem: string): { action: 'exit'; code: number; stdout: string; stderr: string } {
  return {
    action: 'exit',
    code: EXIT.USAGE,
    stdout: '',
    stderr: `${spec.name}: ${problem}\n${usageText(spec)}Run \`${spec.name} --help\` for every option.\n`,
  };
}

/**
 * Parse argv against the spec (pure): the values and positionals to run with, or what to print
 * and the exit code for `--help`, `--version`, `--completion` and usage errors.
 */
export function parseCli<O extends Readonly<Record<string, CliOption>>>(
  spec: CliSpec & { readonly options: O },
  argv: readonly string[],
): CliParse<O> {
  const options = allOptions(spec);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
      ),
      allowPositionals: spec.positionals !== undefined,
      strict: true,
    });
  } catch (error) {
    // parseArgs appends advice about `--` to some messages; the first sentence names the problem.
    return usageExit(spec, (error as Error).message.split(/\.(?:\s|$)/)[0] ?? 'bad arguments');
  }
  const { values, positionals } = parsed;
  if (values.help) return { action: 'exit', code: EXIT.OK, stdout: helpText(spec), stderr: '' };
  if (values.version) {
    const name = isBin(spec) ? spec.name : 'dtq';
    return { action: 'exit', code: EXIT.OK, stdout: `${name} ${packageVersion()}\n`, stderr: '' };
  }
  for (const [name, option] of Object.entries(options)) {
    const value = values[name];
    if (typeof value === 'string' && option.choices && !option.choices.includes(value))
      return usageExit(spec, `--${name} ${value} is not one of ${option.choices.join(', ')}`);
  }
  if (values.completion !== undefined) {
    const script = values.completion === 'bash' ? bashCompletion(spec) : zshCompletion(spec);
    return { action: 'exit', code: EXIT.OK, stdout: script, stderr: '' };
  }
  const max = spec.positionals?.max ?? 1;
  if (positionals.length > max)
    return usageExit(spec, `expected at most ${max} ${spec.positionals?.name}, got ${positionals.length}`);
  const choices = spec.positionals?.choices;
  const unknown = choices ? positionals.filter((p) => !choices.includes(p)) : [];
  if (unknown.length > 0) return usageExit(spec, `unknown ${spec.positionals?.name} ${unknown.join(', ')}`);
  const own = Object.fromEntries(Object.entries(values).filter(([name]) => name in spec.options));
  return { action: 'run', values: own as CliValues<O>, positionals };
}

/**
 * Parse process argv and answer `--help`, `--version`, `--completion` and usage errors by
 * printing and exiting; otherwise return `check(values, positionals)`. A CliUsageError thrown
 * by `check` exits 2 with the usage, like an unknown option.
 */
export function runCli<O extends Readonly<Record<string, CliOption>>, T>(
  spec: CliSpec & { readonly options: O },
  argv: readonly string[],
  check: (values: CliValues<O>, positionals: string[]) => T,
): T {
  let result = parseCli(spec, argv);
  if (result.action === 'run') {
    try {
      return check(result.values, result.positionals);
    } catch (error) {
      if (!(error instanceof CliUsageError)) throw error;
      result = usageExit(spec, error.message);
    }
  }
  // stdout and stderr are synchronous for files and pipes on POSIX, so nothing is lost on exit.
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exit(result.code);
}
