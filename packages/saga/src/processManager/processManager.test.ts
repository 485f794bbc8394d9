import type { Command, DomainEvent } from '@keel/core';
import {
  ConcurrencyError,
  createCommand,
  createEvent,
  isConcurrencyError,
  isValidationError,
  ManualClock,
} from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSagaConfigError } from '../errors/errors.js';
import { recordingLogger } from '../orchestrator/sagaTestKit.fixture.js';
import { defineProcess } from './defineProcess.js';
import { InMemoryProcessStore } from './inMemoryProcessStore.js';
import { ProcessManager } from './processManager.js';

type OrderEvent =
  | DomainEvent<'OrderPlaced', { orderId: string }>
  | DomainEvent<'InventoryReserved', { orderId: string }>
  | DomainEvent<'PaymentCaptured', { orderId: string }>
  | DomainEvent<'PaymentFailed', { orderId: string }>
  | DomainEvent<'ShipmentArranged', { orderId: string }>
  | DomainEvent<'CustomerNewsletter', { email: string }>;
type OrderCommand = Command<string, { orderId: string }>;
interface State {
  readonly stage: 'new' | 'reserving' | 'paying' | 'shipping' | 'done' | 'cancelled';
}

const command = (type: string, event: OrderEvent & { data: { orderId: string } }) =>
  createCommand(type, { orderId: event.data.orderId }, { causedBy: event });

const fulfilment = defineProcess<State, OrderEvent, OrderCommand>({
  name: 'fulfilment',
  correlate: (event) => ('orderId' in event.data ? event.data.orderId : undefined),
  initialState: () => ({ stage: 'new' }),
  on: {
    OrderPlaced: (state, event) => ({
      state: { stage: 'reserving' },
      commands: [command('ReserveInventory', event)],
    }),
    InventoryReserved: (state, event) =>
      state.stage !== 'reserving'
        ? 'defer'
        : { state: { stage: 'paying' }, commands: [command('CapturePayment', event)] },
    PaymentCaptured: (state, event) =>
      state.stage !== 'paying'
        ? 'defer'
        : { state: { stage: 'shipping' }, commands: [command('ArrangeShipment', event)] },
    PaymentFailed: (state, event) =>
      state.stage !== 'paying'
        ? 'defer'
        : {
            state: { stage: 'cancelled' },
            commands: [command('ReleaseInventory', event), command('CancelOrder', event)],
            complete: true,
          },
    ShipmentArranged: (state) =>
      state.stage !== 'shipping' ? 'defer' : { state: { stage: 'done' }, complete: true },
  },
});

const happyPath = (orderId: string): OrderEvent[] => [
  createEvent('OrderPlaced', { orderId }),
  createEvent('InventoryReserved', { orderId }),
  createEvent('PaymentCaptured', { orderId }),
  createEvent('ShipmentArranged', { orderId }),
];

function setup(send?: (command: OrderCommand) => void) {
  const store = new InMemoryProcessStore();
  const sent: OrderCommand[] = [];
  const logger = recordingLogger();
  const manager = new ProcessManager(
    fulfilment,
    { store, send: (cmd) => (send ?? ((c: OrderCommand) => void sent.push(c)))(cmd) },
    { clock: new ManualClock(0), logger },
  );
  return { store, sent, logger, manager };
}

describe('ProcessManager', () => {
  it('runs the state machine and sends each command after storing it', async () => {
    const { manager, sent } = setup();
    for (const event of happyPath('o-1')) await manager.handle(event);
    expect(sent.map((cmd) => cmd.type)).toEqual(['ReserveInventory', 'CapturePayment', 'ArrangeShipment']);
    expect(await manager.get('o-1')).toMatchObject({
      status: 'completed',
      state: { stage: 'done' },
      outbox: [],
    });
  });

  it('does not deadlock when a command handler publishes the next event synchronously', async () => {
    const store = new InMemoryProcessStore();
    const sent: string[] = [];
    const replies: Record<string, string> = {
      ReserveInventory: 'InventoryReserved',
      CapturePayment: 'PaymentCaptured',
      ArrangeShipment: 'ShipmentArranged',
    };
    const manager: ProcessManager<State, OrderEvent, OrderCommand> = new ProcessManager(fulfilment, {
      store,
      send: async (cmd) => {
        sent.push(cmd.type);
        const reply = replies[cmd.type] as OrderEvent['type'];
        await manager.handle(createEvent(reply, { orderId: cmd.data.orderId }) as OrderEvent);
      },
    });
    await manager.handle(happyPath('o-1')[0]!);
    expect(sent).toEqual(['ReserveInventory', 'CapturePayment', 'ArrangeShipment']);
    expect(await manager.get('o-1')).toMatchObject({ status: 'completed', outbox: [] });
  });

  it('ignores an event it has already received, by message id', async () => {
    const { manager, sent } = setup();
    const [placed] = happyPath('o-1');
    expect((await manager.handle(placed!)).outcome).toBe('handled');
    expect(await manager.handle(placed!)).toMatchObject({ outcome: 'duplicate', sent: [] });
    expect(sent).toHaveLength(1);
  });

  it('keeps an early event and applies it once the state machine is ready', async () => {
    const { manager, sent } = setup();
    const [placed, reserved] = happyPath('o-1');
    expect(await manager.handle(reserved!)).toMatchObject({ outcome: 'deferred', state: { stage: 'new' } });
    expect(await manager.handle(placed!)).toMatchObject({ outcome: 'handled', state: { stage: 'paying' } });
    expect(sent.map((cmd) => cmd.type)).toEqual(['ReserveInventory', 'CapturePayment']);
    expect((await manager.get('o-1'))?.pending).toEqual([]);
  });

  it('reaches the same end and commands whatever order the events arrive in (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(happyPath('o-1'), { minLength: 4, maxLength: 4 }),
        async (events) => {
          const { manager, sent } = setup();
          for (const event of events) await manager.handle(event);
          expect(sent.map((cmd) => cmd.type)).toEqual([
            'ReserveInventory',
            'CapturePayment',
            'ArrangeShipment',
          ]);
          expect(await manager.get('o-1')).toMatchObject({ status: 'completed', state: { stage: 'done' } });
        },
      ),
    );
  });

  it('keeps instances apart by correlation key and ignores events it cannot correlate', async () => {
    const { manager, sent } = setup();
    await manager.handle(createEvent('OrderPlaced', { orderId: 'a' }));
    await manager.handle(createEvent('OrderPlaced', { orderId: 'b' }));
    expect(await manager.handle(createEvent('CustomerNewsletter', { email: 'x@y' }))).toEqual({
      outcome: 'ignored',
      sent: [],
    });
    expect(sent.map((cmd) => cmd.data.orderId)).toEqual(['a', 'b']);
  });

  it('ignores events for a completed instance', async () => {
    const { manager, sent } = setup();
    for (const event of happyPath('o-1')) await manager.handle(event);
    expect((await manager.handle(createEvent('PaymentFailed', { orderId: 'o-1' }))).outcome).toBe('ignored');
    expect(sent).toHaveLength(3);
  });

  it('rejects and logs when a handler throws, storing nothing', async () => {
    const store = new InMemoryProcessStore();
    const logger = recordingLogger();
    const broken = defineProcess<State, OrderEvent, OrderCommand>({
      ...fulfilment,
      on: {
        OrderPlaced: () => {
          throw new Error('bug');
        },
      },
    });
    const manager = new ProcessManager(broken, { store, send: () => {} }, { logger });
    await expect(manager.handle(happyPath('o-1')[0]!)).rejects.toThrow('bug');
    expect(await manager.get('o-1')).toBeUndefined();
    expect(logger.entries[0]).toMatchObject({ level: 'error', fields: { correlationId: 'o-1' } });
  });

  it('keeps a command that failed to send and sends it with the same id on redelivery', async () => {
    let down = true;
    const delivered: OrderCommand[] = [];
    const { manager, logger } = setup((cmd) => {
      if (down) throw new Error('bus down');
      delivered.push(cmd);
    });
    const [placed] = happyPath('o-1');
    await expect(manager.handle(placed!)).rejects.toThrow('bus down');
    const stored = await manager.get('o-1');
    expect(stored?.outbox.map((cmd) => cmd.type)).toEqual(['ReserveInventory']);
    expect(logger.entries.some((entry) => entry.message.startsWith('Sending a process command failed'))).toBe(
      true,
    );
    down = false;
    expect((await manager.handle(placed!)).outcome).toBe('duplicate');
    expect(delivered.map((cmd) => cmd.metadata.messageId)).toEqual([stored!.outbox[0]!.metadata.messageId]);
    expect((await manager.get('o-1'))?.outbox).toEqual([]);
  });

  it('sends leftover outboxes on flush, e.g. after a restart', async () => {
    const store = new InMemoryProcessStore();
    const crashed = new ProcessManager(fulfilment, {
      store,
      send: () => {
        throw new Error('process died');
      },
    });
    await crashed.handle(happyPath('o-1')[0]!).catch(() => {});
    const sent: OrderCommand[] = [];
    const restarted = new ProcessManager(fulfilment, { store, send: (cmd) => void sent.push(cmd) });
    expect(await restarted.flush()).toBe(1);
    expect(await restarted.flush()).toBe(0);
    expect(sent.map((cmd) => cmd.type)).toEqual(['ReserveInventory']);
  });

  it('applies both of two events handled at once by two managers on one store', async () => {
    const store = new InMemoryProcessStore();
    const sent: OrderCommand[] = [];
    const ports = { store, send: (cmd: OrderCommand) => void sent.push(cmd) };
    const one = new ProcessManager(fulfilment, ports);
    const two = new ProcessManager(fulfilment, ports);
    const [placed, reserved] = happyPath('o-1');
    await Promise.all([one.handle(placed!), two.handle(reserved!)]);
    expect(await one.get('o-1')).toMatchObject({ state: { stage: 'paying' }, pending: [] });
    expect((await one.get('o-1'))?.handled).toHaveLength(2);
    expect(sent.map((cmd) => cmd.type).sort()).toEqual(['CapturePayment', 'ReserveInventory']);
  });

  it('rejects an empty name with a SagaConfigError and bad options with a ValidationError', () => {
    expect(isSagaConfigError(thrown(() => defineProcess({ ...fulfilment, name: '' })))).toBe(true);
    expect(
      isValidationError(thrown(() => defineProcess({ ...fulfilment, correlate: undefined as never }))),
    ).toBe(true);
    const store = new InMemoryProcessStore();
    for (const options of [{ maxConflictRetries: -1 }, { maxConflictRetries: 1.5 }, { clock: {} as never }]) {
      expect(
        isValidationError(thrown(() => new ProcessManager(fulfilment, { store, send: () => {} }, options))),
      ).toBe(true);
    }
  });

  it('logs through child() with a logger that has only debug, error and child', async () => {
    const messages: string[] = [];
    const logger = {
      debug: (message: string) => void messages.push(message),
      error: (message: string) => void messages.push(message),
      child: () => logger,
    };
    const manager = new ProcessManager(
      fulfilment,
      { store: new InMemoryProcessStore(), send: () => {} },
      { logger: logger as never },
    );
    await manager.handle(happyPath('o-1')[0]!);
    expect(await manager.get('o-1')).toMatchObject({ state: { stage: 'reserving' } });
    const withoutChild = { debug: () => {}, error: () => {} } as never;
    expect(
      String(
        thrown(
          () =>
            new ProcessManager(
              fulfilment,
              { store: new InMemoryProcessStore(), send: () => {} },
              { logger: withoutChild },
            ),
        ),
      ),
    ).toMatch(/logger: must be a Logger \(with debug, error, child\)/);
  });

  it('refuses missing or wrong ports at construction, not at the first event', () => {
    const store = new InMemoryProcessStore();
    expect(isValidationError(thrown(() => new ProcessManager(fulfilment, { store } as never)))).toBe(true);
    expect(
      isValidationError(thrown(() => new ProcessManager(fulfilment, { store: {}, send: () => {} } as never))),
    ).toBe(true);
    expect(isValidationError(thrown(() => new ProcessManager(fulfilment, undefined as never)))).toBe(true);
  });

  it('takes the defaults for options set to undefined, and accepts Infinity conflict retries', async () => {
    const store = new InMemoryProcessStore();
    const manager = new ProcessManager(
      fulfilment,
      { store, send: () => {} },
      { clock: undefined, logger: undefined, maxConflictRetries: undefined },
    );
    const [placed] = happyPath('o-1');
    expect((await manager.handle(placed!)).outcome).toBe('handled');
    expect(
      () => new ProcessManager(fulfilment, { store, send: () => {} }, { maxConflictRetries: Infinity }),
    ).not.toThrow();
  });

  it('retries a conflicting save at most maxConflictRetries times when it is undefined (default 5)', async () => {
    const inner = new InMemoryProcessStore();
    let saves = 0;
    const store = {
      load: (name: string, id: string) => inner.load(name, id),
      listWithOutbox: (name: string) => inner.listWithOutbox(name),
      save: async () => {
        saves++;
        throw new ConcurrencyError({ subject: 'p', expected: 0, actual: 1 });
      },
    };
    const manager = new ProcessManager(
      fulfilment,
      { store, send: () => {} },
      { maxConflictRetries: undefined },
    );
    const [placed] = happyPath('o-1');
    await expect(manager.handle(placed!)).rejects.toSatisfy(isConcurrencyError);
    expect(saves).toBe(6);
  });

  it('ignores an event whose type is an Object.prototype key instead of calling a prototype method', async () => {
    const store = new InMemoryProcessStore();
    const manager = new ProcessManager(fulfilment, { store, send: () => {} });
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const event = createEvent(type as never, { orderId: 'o-1' }) as never;
      expect((await manager.handle(event)).outcome).toBe('handled');
    }
    expect((await manager.get('o-1'))?.state).toEqual(fulfilment.initialState('o-1'));
  });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
