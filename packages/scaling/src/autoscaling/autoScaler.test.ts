import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { AutoScaler } from './autoScaler.js';

describe('AutoScaler', () => {
  it('starts at minReplicas and follows its own decisions', () => {
    const clock = new ManualClock();
    const scaler = new AutoScaler({ minReplicas: 2, maxReplicas: 20, clock });
    expect(scaler.replicas).toBe(2);
    scaler.evaluate([{ current: 200, target: 100 }]);
    expect(scaler.replicas).toBe(4);
    clock.advance(15_000);
    scaler.evaluate([{ current: 200, target: 100 }]);
    expect(scaler.replicas).toBe(8);
  });

  it('remembers recommendations so a dip does not scale down inside the window', () => {
    const clock = new ManualClock();
    const scaler = new AutoScaler({ maxReplicas: 20, initialReplicas: 6, clock });
    scaler.evaluate([{ current: 100, target: 100 }]);
    clock.advance(60_000);
    expect(scaler.evaluate([{ current: 30, target: 100 }]).replicas).toBe(6);
    clock.advance(241_000);
    expect(scaler.evaluate([{ current: 30, target: 100 }]).replicas).toBe(2);
  });

  it('uses the replica count it is given when something else changed it', () => {
    const scaler = new AutoScaler({ maxReplicas: 20, clock: new ManualClock() });
    expect(scaler.evaluate([{ current: 200, target: 100 }], 5).replicas).toBe(10);
  });

  it('forgets its history on reset', () => {
    const scaler = new AutoScaler({ maxReplicas: 20, clock: new ManualClock() });
    scaler.evaluate([{ current: 300, target: 100 }]);
    scaler.reset(3);
    expect(scaler.replicas).toBe(3);
    expect(scaler.history.recommendations).toHaveLength(0);
  });

  it('rejects maxReplicas below minReplicas', () => {
    expect(() => new AutoScaler({ minReplicas: 5, maxReplicas: 2 })).toThrow(/maxReplicas/);
  });
});
