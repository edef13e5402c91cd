import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../shipper/registry.ts';

describe('registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-registry-'));
  const file = join(dir, 'state', 'registry.json');
  afterEach(() => rmSync(join(dir, 'state'), { recursive: true, force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('only moves forward and survives a reload', () => {
    const registry = Registry.load(file);
    registry.ack('fp', 100, '/a.ndjson');
    registry.ack('fp', 50, '/a.ndjson');
    registry.save();
    expect(existsSync(`${file}.tmp`)).toBe(false);
    expect(Registry.load(file).offset('fp')).toBe(100);
    expect(Registry.load(file).offset('unknown')).toBe(0);
  });

  it('refuses a corrupt registry with a code and what to do', () => {
    const registry = Registry.load(file);
    registry.ack('fp', 1, '/a');
    registry.save();
    writeFileSync(file, '{"version":1,"files":[{"fingerprint":"fp"');
    expect(() => Registry.load(file)).toThrow(/DTQ_ERR_SHIPPER_REGISTRY_UNREADABLE|Move it aside/);
    expect(readFileSync(file, 'utf8')).toContain('fingerprint');
  });

  it('forgets files not seen for the retention period', () => {
    const registry = Registry.load(file);
    registry.ack('old', 1, '/a', 0);
    registry.ack('new', 1, '/b', 1_000);
    registry.prune(500, 1_200);
    expect(registry.entries().map((e) => e.fingerprint)).toEqual(['new']);
  });
});
