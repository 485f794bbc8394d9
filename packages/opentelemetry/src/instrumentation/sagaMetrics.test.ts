import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';
import { orderWorld, RETRY_DELAY_MS, start } from './sagaWorld.fixture.js';

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

const ORDER = { 'keel.saga.name': 'order' };

describe('saga instrumentation: metrics', () => {
  it('counts a start once however often the same saga id is started', async () => {
    const { orchestrator, drive } = orderWorld();
    const here = orchestrator();
    // The second orchestrator waits (polling on the clock) for the first one's run to finish.
    await drive(Promise.all([start(here), start(here), start(orchestrator(undefined, 'worker-2'))]));
    expect(await kit.value('keel.saga.starts', ORDER)).toBe(1);
    const [point] = await kit.points('keel.saga.starts');
    expect(point?.unit).toBe('{saga}');
  });

  it('counts outcomes by saga name and outcome', async () => {
    const completed = orderWorld();
    await start(completed.orchestrator(), 'a');
    await start(completed.orchestrator(), 'b');
    const compensated = orderWorld({ payFailures: 3 });
    await compensated.drive(start(compensated.orchestrator(), 'c'));
    const failed = orderWorld({ payFailures: 3, releaseFails: true });
    await failed.drive(start(failed.orchestrator(), 'd'));
    expect(await kit.value('keel.saga.outcomes', { ...ORDER, 'keel.outcome': 'completed' })).toBe(2);
    expect(await kit.value('keel.saga.outcomes', { ...ORDER, 'keel.outcome': 'compensated' })).toBe(1);
    expect(await kit.value('keel.saga.outcomes', { ...ORDER, 'keel.outcome': 'failed' })).toBe(1);
  });

  it('records the time from start to final status in seconds', async () => {
    const { orchestrator, drive } = orderWorld({ payFailures: 2 });
    await drive(start(orchestrator()));
    const [point, ...others] = await kit.points('keel.saga.duration', {
      ...ORDER,
      'keel.outcome': 'completed',
    });
    expect(others).toHaveLength(0);
    expect(point).toMatchObject({ unit: 's', count: 1, value: (2 * RETRY_DELAY_MS) / 1000 });
  });

  it('counts the retries of a step by step and operation', async () => {
    const { orchestrator, drive } = orderWorld({ payFailures: 2 });
    await drive(start(orchestrator()));
    expect(
      await kit.value('keel.saga.step.retries', {
        ...ORDER,
        'keel.saga.step': 'pay',
        'keel.saga.operation': 'run',
      }),
    ).toBe(2);
  });

  it('counts compensations by step and outcome', async () => {
    const { orchestrator, drive } = orderWorld({ shipHangs: true, releaseFails: true });
    await drive(start(orchestrator()));
    const compensations = (step: string, outcome: string) =>
      kit.value('keel.saga.compensations', { ...ORDER, 'keel.saga.step': step, 'keel.outcome': outcome });
    expect(await compensations('pay', 'completed')).toBe(1);
    expect(await compensations('reserve', 'failed')).toBe(1);
    expect(await compensations('reserve', 'completed')).toBe(0);
  });

  it('records nothing for a saga that only ran with telemetry uninstalled', async () => {
    await kit.close();
    const { orchestrator } = orderWorld();
    await start(orchestrator());
    kit = otelTestKit();
    expect(await kit.collect()).toEqual([]);
    expect(kit.spans()).toEqual([]);
  });
});
