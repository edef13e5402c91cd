/** The doctor's report as text and as JSON (`dtq-explore doctor [--json]`). */
import { printable } from '../../contract/terminal-text.ts';
import type { DoctorReport } from './census.ts';

/**
 * The report for people. Services, instances, event names and the fixes quote logged values:
 * each line is made printable as a whole, as --plain does, so no logged newline or escape
 * sequence reaches the terminal.
 */
export function renderDoctorPlain(report: DoctorReport, source: string): string {
  const out: string[] = [`source: ${source}`, `sample: ${report.lines} line(s)`, ''];
  for (const s of report.services) {
    out.push(
      `${s.service} · ${s.instance} · ${s.lines} line(s)${s.untimed > 0 ? ` · ${s.untimed} without @timestamp` : ''}`,
    );
    const events = Object.entries(s.events);
    out.push(
      `  events: ${events.length === 0 ? 'none of the contract' : events.map(([e, n]) => `${e} ×${n}`).join(', ')}`,
    );
    const unknown = Object.entries(s.unknownEvents);
    if (unknown.length > 0) out.push(`  not contract events: ${unknown.map(([e, n]) => `${e} ×${n}`).join(', ')}`);
    const fields = Object.entries(s.fields);
    out.push(
      `  fields: ${fields.length === 0 ? 'none the explorer reads' : fields.map(([f, n]) => `${f} ${n}/${s.lines}`).join(', ')}`,
    );
  }
  out.push('', 'The explorer can rebuild:');
  for (const p of report.parts) out.push(p.ok ? `  ✓ ${p.part}` : `  ✗ ${p.part}: ${p.reason}`);
  if (report.fixes.length > 0) {
    out.push('', 'To add:');
    for (const fix of report.fixes) out.push(`  - ${fix}`);
  }
  return `${out.map((line) => printable(line)).join('\n')}\n`;
}

/** The report for programs: the same facts, stable keys. */
export function doctorToJson(report: DoctorReport, source: { kind: string; description: string }): unknown {
  return {
    schema: 'dtq-explore/doctor@1',
    source,
    lines: report.lines,
    services: report.services.map((s) => ({
      service: s.service,
      instance: s.instance,
      lines: s.lines,
      untimed: s.untimed,
      events: s.events,
      unknown_events: s.unknownEvents,
      fields: s.fields,
    })),
    parts: report.parts.map((p) => ({ part: p.part, ok: p.ok, reason: p.reason ?? null })),
    fixes: report.fixes,
  };
}
