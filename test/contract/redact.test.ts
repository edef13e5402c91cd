import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../contract/redact.ts';

describe('redactUrl', () => {
  it.each([
    ['https://elastic:s3cret@es.example:9243/prefix?x=1', 'https://***:***@es.example:9243/prefix?x=1'],
    ['redis://:s3cret@127.0.0.1:6379/0', 'redis://***:***@127.0.0.1:6379/0'],
    ['https://tok3n@es.example', 'https://***@es.example'],
    ['https://user:p@ss@es.example/', 'https://***:***@es.example/'],
    ['http://127.0.0.1:9200', 'http://127.0.0.1:9200'],
    ['http://127.0.0.1:9200/a@b', 'http://127.0.0.1:9200/a@b'],
    ['http://host/?next=//u:p@x', 'http://host/?next=//u:p@x'],
    ['', ''],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('masks strings that do not parse as URLs', () => {
    expect(redactUrl('ht tp://user:s3cret@host:port')).toBe('ht tp://***:***@host:port');
    expect(redactUrl('user:s3cret@host')).toBe('***:***@host');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('masks a URL object, percent-encoded credentials included', () => {
    const url = new URL('https://es.example:9243/x');
    url.username = 'elastic';
    url.password = 's3/cr@t';
    const redacted = redactUrl(url);
    expect(redacted).toBe('https://***:***@es.example:9243/x');
    expect(redacted).not.toContain('s3');
  });
});
