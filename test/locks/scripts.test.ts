import { describe, expect, it } from 'vitest';
import { loadScript, SCRIPT_NAMES } from '../../workload/locks/scripts.ts';

describe('lock scripts', () => {
  it('loads every script from its named file, with the number of keys the name declares', () => {
    for (const name of SCRIPT_NAMES) {
      const script = loadScript(name);
      expect(script.name).toBe(name);
      expect(script.numberOfKeys).toBeGreaterThan(0);
      expect(script.lua).toContain(`KEYS[${script.numberOfKeys}]`);
      expect(script.lua).not.toContain(`KEYS[${script.numberOfKeys + 1}]`);
    }
  });
});
