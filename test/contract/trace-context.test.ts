import { describe, expect, it } from 'vitest';
import {
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  SPAN_ID_PATTERN,
  startSpan,
  TRACE_ID_PATTERN,
  TRACEPARENT_MAX_LENGTH,
} from '../../contract/trace-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${PARENT}-01`;

describe('parseTraceparent', () => {
  it('reads the trace id, parent id and flags of a valid version-00 header', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE, parentId: PARENT, flags: '01' });
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)?.flags).toBe('00');
  });

  it('refuses an all-zero trace id or parent id', () => {
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${PARENT}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE}-${'0'.repeat(16)}-01`)).toBeUndefined();
  });

  it('refuses version ff', () => {
    expect(parseTraceparent(`ff-${TRACE}-${PARENT}-01`)).toBeUndefined();
  });

  it('refuses uppercase hex anywhere', () => {
    expect(parseTraceparent(VALID.toUpperCase())).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE.toUpperCase()}-${PARENT}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-0A`)).toBeUndefined();
  });

  it('refuses a version-00 header that is too long or too short', () => {
    expect(parseTraceparent(`${VALID}-extra`)).toBeUndefined();
    expect(parseTraceparent(`${VALID}0`)).toBeUndefined();
    expect(parseTraceparent(VALID.slice(0, -1))).toBeUndefined();
    expect(parseTraceparent(`00-${TRACE}0-${PARENT}-01`)).toBeUndefined();
  });

  it('reads a later version by its first four parts, ignoring what it appends', () => {
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01-future-part`)).toEqual({
      traceId: TRACE,
      parentId: PARENT,
      flags: '01',
    });
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01`)?.traceId).toBe(TRACE);
    // …but not with a control character or a space in the appended part.
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01-a b`)).toBeUndefined();
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01-\n`)).toBeUndefined();
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-01x`)).toBeUndefined();
  });

  it('refuses whatever is not one string of the accepted form', () => {
    for (const value of [
      undefined,
      '',
      42,
      [VALID],
      ` ${VALID}`,
      `${VALID} `,
      `${VALID}\n`,
      `${VALID}, ${VALID}`,
      `00_${TRACE}_${PARENT}_01`,
      `0-${TRACE}-${PARENT}-01`,
      `00-${TRACE}-${PARENT}-1`,
      `00-${TRACE.slice(1)}g-${PARENT}-01`,
      `01-${TRACE}-${PARENT}-01-${'a'.repeat(TRACEPARENT_MAX_LENGTH)}`,
    ])
      expect(parseTraceparent(value), JSON.stringify(value)).toBeUndefined();
  });
});

describe('spans', () => {
  it('continues a valid caller trace with a fresh span whose parent is the caller', () => {
    const span = startSpan(VALID);
    expect(span).toMatchObject({ traceId: TRACE, parentId: PARENT, flags: '01' });
    expect(span.spanId).toMatch(SPAN_ID_PATTERN);
    expect(span.spanId).not.toBe(PARENT);
    expect(startSpan(VALID).spanId).not.toBe(span.spanId);
  });

  it('starts a new sampled trace without a parent for an absent or invalid header', () => {
    for (const incoming of [undefined, `ff-${TRACE}-${PARENT}-01`, 'garbage']) {
      const span = startSpan(incoming);
      expect(span.traceId).toMatch(TRACE_ID_PATTERN);
      expect(span.traceId).not.toBe(TRACE);
      expect(span.spanId).toMatch(SPAN_ID_PATTERN);
      expect(span.parentId).toBeUndefined();
      expect(span.flags).toBe('01');
    }
  });

  it('formats a span as the version-00 traceparent its callee parses back', () => {
    const span = startSpan(VALID);
    const header = formatTraceparent(span);
    expect(header).toBe(`00-${TRACE}-${span.spanId}-01`);
    expect(parseTraceparent(header)).toEqual({ traceId: TRACE, parentId: span.spanId, flags: '01' });
  });

  it('draws ids of the right form, distinct from draw to draw', () => {
    const traces = new Set(Array.from({ length: 100 }, newTraceId));
    const spans = new Set(Array.from({ length: 100 }, newSpanId));
    expect(traces.size).toBe(100);
    expect(spans.size).toBe(100);
    for (const id of traces) expect(id).toMatch(TRACE_ID_PATTERN);
    for (const id of spans) expect(id).toMatch(SPAN_ID_PATTERN);
  });
});
