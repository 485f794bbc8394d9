// Proves refuseVitest works: spawned by contractsUnderNodeTest.test.ts, this import must fail.
import { refuseVitest } from './refuseVitest.fixture.js';

refuseVitest();
await import('vitest');
