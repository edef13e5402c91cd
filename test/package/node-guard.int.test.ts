/**
 * The Node version check every bin runs first (bin/launch.js), and the build's reading of
 * `engines` (scripts/build-common.ts). launch.js is plain JavaScript, so it is asked through a
 * child process, as a bin would run it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFloor, ROOT } from '../../scripts/build-common.ts';
import { peerRange, publishedManifest } from '../../scripts/build-pack-manifest.ts';

function nodeProblem(version: string, range: string): string {
  const script = `import(${JSON.stringify(join(ROOT, 'bin', 'launch.js'))}).then((m) => process.stdout.write(String(m.nodeProblem('dtq-x', ${JSON.stringify(version)}, ${JSON.stringify(range)}))))`;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
}

describe('the Node version check of the bins', () => {
  it('accepts the floor itself and anything newer', () => {
    for (const version of ['20.16.0', 'v20.16.0', '20.16.1', '20.17.0', '21.0.0', '24.11.1'])
      expect([version, nodeProblem(version, '>=20.16.0')]).toEqual([version, 'undefined']);
  });

  it('names what it needs and what it found for anything older', () => {
    expect(nodeProblem('20.15.9', '>=20.16.0')).toBe('dtq-x needs Node.js >= 20.16.0; this is 20.15.9');
    expect(nodeProblem('18.20.4', '>=20.16.0')).toBe('dtq-x needs Node.js >= 20.16.0; this is 18.20.4');
    expect(nodeProblem('v20.9.0', '>=20.16.0')).toBe('dtq-x needs Node.js >= 20.16.0; this is 20.9.0');
  });
});

describe('the package manifest', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it('declares a plain ">=X.Y.Z" Node floor that the bins and the build both read', () => {
    expect(nodeFloor()).toEqual(nodeFloor(manifest.engines.node));
    expect(() => nodeFloor('^20.16.0 || >=22')).toThrow(/engines.node must be a plain ">=X.Y.Z"/);
  });

  it('publishes no dependencies, scripts or install settings, and keeps what a user needs', () => {
    const published = publishedManifest(manifest);
    for (const key of ['dependencies', 'devDependencies', 'scripts', 'allowScripts', 'overrides'])
      expect(published).not.toHaveProperty(key);
    expect(published).toMatchObject({
      name: manifest.name,
      version: manifest.version,
      type: 'module',
      bin: manifest.bin,
      files: manifest.files,
      engines: manifest.engines,
    });
  });

  it('makes each instrumented library an optional peer from the exact version tested', () => {
    const published = publishedManifest(manifest) as { peerDependencies: Record<string, string> };
    const deps = manifest.dependencies as Record<string, string>;
    for (const [name, range] of Object.entries(published.peerDependencies)) expect(range).toBe(`^${deps[name]}`);
    expect(() => peerRange('fastify', '^5.0.0')).toThrow(/pin an exact version/);
    expect(() => peerRange('fastify', undefined)).toThrow(/must depend on fastify/);
  });
});
