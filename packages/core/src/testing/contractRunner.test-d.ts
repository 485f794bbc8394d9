import { afterEach, beforeEach, describe, it } from 'node:test';
import * as vitest from 'vitest';
import { expectTypeOf, test } from 'vitest';
import type { ContractRunner } from './contractRunner.js';

test("node:test's and vitest's functions are contract runners", () => {
  expectTypeOf({ describe, it, beforeEach, afterEach }).toExtend<ContractRunner>();
  expectTypeOf(vitest).toExtend<ContractRunner>();
});
