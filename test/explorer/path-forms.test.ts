/**
 * The form nginx logs a path in (`$uri`), as paths.ts computes it from the path the API logs.
 * The expected values are what nginx 1.22 wrote for each request (trace-encoded-paths.int.test.ts
 * sends them through a real nginx).
 */
import { describe, expect, it } from 'vitest';
import { statusPathTaskId } from '../../explorer/model/join.ts';
import { nginxFormOf, percentDecode } from '../../explorer/model/paths.ts';

describe('the form nginx logs a path in', () => {
  it('decodes escapes as bytes read as UTF-8, invalid ones as U+FFFD, and never throws', () => {
    expect(percentDecode('/a%20b')).toBe('/a b');
    expect(percentDecode('/caf%c3%a9')).toBe('/café');
    expect(percentDecode('/%c0%ae')).toBe('/\ufffd\ufffd');
    expect(percentDecode('/%2541')).toBe('/%41');
    expect(percentDecode('/%zz/%4/%')).toBe('/%zz/%4/%');
    expect(percentDecode('/%ed%a0%80')).toBe('/\ufffd\ufffd\ufffd');
  });

  it('reads the task of an Elasticsearch path bucket in the same form, never throwing', () => {
    expect(statusPathTaskId('/api/v1/tasks/%c0%ae')).toBe('\ufffd\ufffd');
    expect(statusPathTaskId('/api/v1/tasks/caf%C3%A9')).toBe('café');
    expect(statusPathTaskId('/api/v1/tasks/%')).toBe('%');
    expect(statusPathTaskId('/api/v1/tasks/a%2Fb')).toBeUndefined();
    expect(statusPathTaskId('/api/v1/tasks')).toBeUndefined();
  });

  it('merges slashes and resolves dot segments like $uri', () => {
    expect(nginxFormOf('/api/v1/tasks/a%2F%2Fb')).toBe('/api/v1/tasks/a/b');
    expect(nginxFormOf('/api/v1/tasks/x/%2e%2e/task-1')).toBe('/api/v1/tasks/task-1');
    expect(nginxFormOf('/a/./b/')).toBe('/a/b/');
    expect(nginxFormOf('/a/..')).toBe('/');
    expect(nginxFormOf('/../../a')).toBe('/a');
    expect(nginxFormOf('*')).toBe('*');
  });
});
