import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/errors.js';
import { contractRunner, type ContractRunner } from './contractRunner.js';

const noop = (): void => undefined;
const runner: ContractRunner = { describe: noop, it: noop, beforeEach: noop, afterEach: noop };

describe('contractRunner', () => {
  it('returns the runner given', () => {
    expect(contractRunner({ runner })).toBe(runner);
  });

  it('falls back to the global test functions', () => {
    // This project runs Vitest with globals on, as Jest, Mocha and Bun do by default.
    const found = contractRunner(undefined);
    expect(found.it).toBe((globalThis as unknown as ContractRunner).it);
    expect(found.describe).toBe((globalThis as unknown as ContractRunner).describe);
  });

  it('names every function a given runner lacks', () => {
    const partial = { describe: noop, it: noop } as unknown as ContractRunner;
    const error = (() => {
      try {
        contractRunner({ runner: partial });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual([
      'runner.beforeEach',
      'runner.afterEach',
    ]);
    expect((error as Error).message).toContain('the runner given lacks them');
  });
});
