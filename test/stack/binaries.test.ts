import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { ensurePrograms, findProgram, installCommand } from '../../workload/stack/binaries.ts';

const empty = mkdtempSync(join(tmpdir(), 'dtq-bin-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('finding redis-server and nginx', () => {
  it('finds nginx outside PATH in the system directories (Debian puts it in /usr/sbin)', () => {
    expect(findProgram('nginx', { PATH: empty })).toMatch(/\/nginx$/);
  });

  it('finds an executable on PATH first', () => {
    const fake = join(empty, 'redis-server');
    writeFileSync(fake, '#!/bin/sh\n', { mode: 0o755 });
    expect(findProgram('redis-server', { PATH: empty })).toBe(fake);
    rmSync(fake);
  });

  it('names the missing programs and the exact apt-get command when it may not install', () => {
    let caught: unknown;
    try {
      ensurePrograms(['redis-server', 'nginx'], {
        install: false,
        say: () => {},
        env: { PATH: empty },
        systemDirs: [],
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DtqError);
    const error = caught as DtqError;
    expect(error.code).toBe('DTQ_ERR_STACK_BINARY_MISSING');
    const asRoot = process.getuid?.() === 0;
    expect(error.message).toContain('not installed: redis-server and nginx');
    expect(error.message).toContain(installCommand(['redis-server', 'nginx'], asRoot));
  });

  it('spells the install command with sudo for a normal user and without it for root', () => {
    expect(installCommand(['nginx'], false)).toBe('sudo apt-get update && sudo apt-get install -y nginx');
    expect(installCommand(['nginx'], true)).toBe('apt-get update && apt-get install -y nginx');
  });
});
