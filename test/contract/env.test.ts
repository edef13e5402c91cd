import { describe, expect, it } from 'vitest';
import { ConfigError, envChoice, envFlag, envInt, envOptional, envString } from '../../contract/env.ts';

describe('env reader', () => {
  it('falls back to the default when a variable is unset or empty', () => {
    expect(envString('X', 'd', {})).toBe('d');
    expect(envString('X', 'd', { X: '' })).toBe('d');
    expect(envOptional('X', { X: '' })).toBeUndefined();
    expect(envInt('X', 7, {}, { X: '' })).toBe(7);
    expect(envFlag('X', true, {})).toBe(true);
    expect(envChoice('X', ['a', 'b'], 'b', { X: '' })).toBe('b');
  });

  it('reads an integer within its bounds and names the variable, the value and the range otherwise', () => {
    expect(envInt('PORT', 0, { min: 0, max: 65_535 }, { PORT: '65535' })).toBe(65_535);
    for (const bad of ['65536', '-1', '1.5', 'three', '0x10', '1e3', ' 5']) {
      expect(() => envInt('PORT', 0, { min: 0, max: 65_535 }, { PORT: bad })).toThrow(
        `PORT=${JSON.stringify(bad)} is not valid: expected an integer from 0 to 65535. Fix or unset it.`,
      );
    }
  });

  it('reads a flag as 1/0 or true/false and refuses anything else rather than guess', () => {
    expect(envFlag('F', false, { F: '1' })).toBe(true);
    expect(envFlag('F', false, { F: 'TRUE' })).toBe(true);
    expect(envFlag('F', true, { F: '0' })).toBe(false);
    expect(envFlag('F', true, { F: 'false' })).toBe(false);
    expect(() => envFlag('F', false, { F: 'yes please' })).toThrow(ConfigError);
    expect(() => envFlag('F', false, { F: 'yes please' })).toThrow('expected 1 or 0 (or true or false)');
  });

  it('reads one of a set of words and lists them when the value is another', () => {
    expect(envChoice('MODE', ['pretty', 'raw', 'none'], 'pretty', { MODE: 'raw' })).toBe('raw');
    expect(() => envChoice('MODE', ['pretty', 'raw', 'none'], 'pretty', { MODE: 'fancy' })).toThrow(
      'MODE="fancy" is not valid: expected one of pretty, raw, none. Fix or unset it.',
    );
  });

  it('gives every refusal the code DTQ_ERR_CONFIG_INVALID', () => {
    expect(() => envInt('N', 0, { max: 1 }, { N: '2' })).toThrow(
      expect.objectContaining({ code: 'DTQ_ERR_CONFIG_INVALID' }),
    );
  });
});
