/**
 * The doctor's report for people quotes logged values (services, instances, event names,
 * messages): none of their control characters reach the terminal raw, and a value like
 * `__proto__` or `constructor` is counted like any other.
 */
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../contract/vocabulary.ts';
import { diagnose } from '../../explorer/doctor/census.ts';
import { doctorToJson, renderDoctorPlain } from '../../explorer/doctor/render.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
const ESC = '\u001b]0;pwned\u0007';

function line(service: string, action: string, extra: LogRecord = {}): LogRecord {
  return { '@timestamp': '2026-12-01T09:00:00.010Z', 'service.name': service, 'event.action': action, ...extra };
}

describe('the doctor report for people', () => {
  it('escapes control characters in service names, instances and event names, forging no line', () => {
    const report = diagnose([
      line(`api${ESC}\nforged: ✓ everything`, `job.done${ESC}\n  ✓ request`, { 'service.instance': `i-1${ESC}` }),
      line('api', 'http.request.received', { correlation_id: 'c-1' }),
      line(`worker\u009b2J`, `task\u2028started`),
    ]);
    const text = renderDoctorPlain(report, 'files in /logs');
    expect(text.slice(0, -1).split('\n').join('')).not.toMatch(CONTROL);
    expect(text).toContain('api\\x1b]0;pwned\\x07\\x0aforged: ✓ everything');
    expect(text).toContain('i-1\\x1b]0;pwned\\x07');
    expect(text).toContain('job.done\\x1b]0;pwned\\x07\\x0a  ✓ request');
    expect(text).toContain('worker\\x9b2J');
    // Each service takes its four lines; no logged newline adds one.
    const services = text.split('\n').filter((l) => / · \d+ line\(s\)/.test(l));
    expect(services).toHaveLength(report.services.length);
  });

  it('escapes the event names it quotes in a fix', () => {
    const report = diagnose([line('api', `custom${ESC}`), line('api', 'http.request.received')]);
    const fix = report.fixes.find((f) => f.startsWith('events the contract does not know'));
    expect(fix).toContain('"custom\\x1b]0;pwned\\x07" ×1');
    expect(renderDoctorPlain(report, 'x')).not.toContain('\u001b');
  });

  it('counts event names that are names of Object properties like any other', () => {
    const report = diagnose([line('api', '__proto__'), line('api', 'constructor'), line('api', 'constructor')]);
    const [api] = report.services;
    expect(Object.entries(api?.unknownEvents ?? {})).toEqual([
      ['__proto__', 1],
      ['constructor', 2],
    ]);
    expect(JSON.stringify(doctorToJson(report, { kind: 'files', description: 'x' }))).toContain('"constructor":2');
  });
});
