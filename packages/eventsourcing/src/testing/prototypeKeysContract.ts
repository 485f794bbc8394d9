import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import { collect } from '../eventStore/collect.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { defineProjection } from '../projections/projection.js';
import { createUpcaster } from '../upcasting/upcaster.js';
import { withUpcasting } from '../upcasting/withUpcasting.js';
import { assertEqual } from '@keel/core/testing';
import type { StoreFactory } from './eventStoreContract.js';

/** Event types and stream names that are keys of `Object.prototype`. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;

/**
 * Names that are keys of `Object.prototype` work like any other, in a store and in projections
 * built with `defineProjection` (handlers are looked up as own keys only).
 */
export function prototypeKeysContract(
  createStore: StoreFactory<EventStore>,
  { describe, it }: ContractRunner,
): void {
  describe('prototype keys as names', () => {
    it('appends, reads and filters events whose types are Object.prototype keys', async () => {
      const store = await createStore();
      await store.appendToStream(
        's-1',
        PROTOTYPE_KEYS.map((type) => ({ type, data: { type } })),
      );
      await store.appendToStream('s-2', [
        { type: '__proto__', data: {} },
        { type: 'Plain', data: {} },
      ]);
      const read = await collect(store.readStream('s-1'));
      assert.deepEqual(
        read.map((event) => event.type),
        [...PROTOTYPE_KEYS],
      );
      const protos = await collect(store.readAll({ filter: { eventTypes: ['__proto__'] } }));
      assert.deepEqual(
        protos.map((event) => event.streamName),
        ['s-1', 's-2'],
      );
    });

    it('uses Object.prototype keys as stream names', async () => {
      const store = await createStore();
      for (const streamName of PROTOTYPE_KEYS)
        await store.appendToStream(streamName, [{ type: 'T', data: {} }]);
      await store.appendToStream('constructor', [{ type: 'T', data: {} }], { expectedVersion: 1 });
      assert.equal(await store.streamVersion('constructor'), 2);
      assert.equal(await store.streamVersion('__proto__'), 1);
      assert.equal(await store.streamVersion('isPrototypeOf'), 0);
    });

    it('keeps an own __proto__ key in data as data, without touching any prototype', async () => {
      const store = await createStore();
      const data = JSON.parse('{"__proto__": {"polluted": true}, "n": 1}') as object;
      await store.appendToStream('s-1', [{ type: 'T', data }]);
      const [event] = await collect(store.readStream('s-1'));
      assert.ok(
        Object.prototype.hasOwnProperty.call(event!.data, '__proto__'),
        'data keeps its own __proto__ key',
      );
      assert.equal(
        (event!.data as { polluted?: boolean }).polluted,
        undefined,
        "the __proto__ key became the data's prototype",
      );
      assert.equal(({} as { polluted?: boolean }).polluted, undefined, 'Object.prototype was polluted');
    });

    it('projects events whose types are Object.prototype keys to their own handlers only', async () => {
      const store = await createStore();
      const seen: string[] = [];
      const handle = (event: RecordedEvent): void => void seen.push(`${event.type}:${event.streamVersion}`);
      const projection = defineProjection<{ type: string; data: unknown }>({
        name: 'prototype-keys',
        handlers: { ['__proto__']: handle, constructor: handle, Plain: handle },
      });
      assert.deepEqual([...(projection.filter?.eventTypes ?? [])].sort(), [
        'Plain',
        '__proto__',
        'constructor',
      ]);
      const types = [...PROTOTYPE_KEYS, 'Plain', 'isPrototypeOf'];
      await store.appendToStream(
        's-1',
        types.map((type) => ({ type, data: {} })),
      );
      const signal = new AbortController().signal;
      for await (const event of store.readAll({ filter: projection.filter! }))
        await projection.handle(event, { signal });
      // An event of a type without its own handler is ignored even when delivered.
      for (const event of await collect(store.readAll())) await projection.handle(event, { signal });
      assert.deepEqual(seen, [
        '__proto__:1',
        'constructor:2',
        'Plain:6',
        '__proto__:1',
        'constructor:2',
        'Plain:6',
      ]);
    });
  });

  describe('withUpcasting over the store', () => {
    const upcaster = createUpcaster({ Deposited: [(v1: { euros: number }) => ({ cents: v1.euros * 100 })] });

    it('keeps an explicit metadata.schemaVersion and stamps the current one only when none is given', async () => {
      const raw = await createStore();
      const store = withUpcasting(raw, upcaster);
      await store.appendToStream('s-1', [
        { type: 'Deposited', data: { euros: 2 }, metadata: { schemaVersion: 1 } },
        { type: 'Deposited', data: { cents: 50 } },
      ]);
      const stored = await collect(raw.readStream('s-1'));
      assert.deepEqual(
        stored.map((event) => event.metadata['schemaVersion']),
        [1, 2],
      );
      const upcast = await collect(store.readStream('s-1'));
      assertEqual(
        upcast.map((event) => event.data),
        [{ cents: 200 }, { cents: 50 }],
        'reads come upcast to the newest shape',
      );
    });
  });
}
