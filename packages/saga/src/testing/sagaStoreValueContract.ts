import assert from 'node:assert/strict';
import { isSerializationError } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import type { SagaHistoryEntry, SagaRecord, SagaStore } from '../store/sagaStore.js';
import { assertError } from './contractAssert.js';
import { sagaRecordFixture } from './sagaRecordFixture.js';

type Factory = () => SagaStore | Promise<SagaStore>;

/** Values PostgreSQL cannot hold: every store refuses them with a SerializationError. */
const REFUSED: readonly [string, unknown][] = [
  ['a NUL character', { note: 'a\u0000b' }],
  ['a NUL character in a key', { ['a\u0000b']: 1 }],
  ['a lone surrogate', { note: 'x\uD800y' }],
  ['a BigInt', { amount: 10n }],
  ['NaN', { amount: Number.NaN }],
  ['a Map', { items: new Map([['a', 1]]) }],
];

class Money {
  constructor(
    readonly amount: number,
    readonly currency: string,
  ) {}
  get doubled(): number {
    return this.amount * 2;
  }
}

const completed = (output: unknown): SagaHistoryEntry => ({
  type: 'stepCompleted',
  at: 2_000,
  step: 'reserve',
  output,
});

async function refusal(write: Promise<unknown>): Promise<unknown> {
  const error = await write.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  assertError(error, isSerializationError, 'SerializationError');
  return error;
}

/** Contract cases: values are refused and changed alike by every saga store. */
export function defineValueTests({ it }: ContractRunner, createStore: Factory): void {
  for (const [name, input] of REFUSED) {
    it(`refuses an input with ${name} with a SerializationError and stores nothing`, async () => {
      const store = await createStore();
      await refusal(store.create(sagaRecordFixture({ sagaId: 's-1', input })));
      assert.equal(await store.get('s-1'), undefined, 'a refused create stored the saga');
    });

    it(`refuses a step output with ${name} on save and keeps the record as it was`, async () => {
      const store = await createStore();
      const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1' }));
      await refusal(store.save({ ...record, history: [...record.history, completed(input)] }, 1));
      const kept = await store.get('s-1');
      assert.equal(kept?.version, 1, 'a refused save changed the version');
      assert.deepEqual(kept?.history, record.history);
      // The refused write had no effect: the next write at the same version succeeds.
      assert.equal((await store.save({ ...record, status: 'compensating' }, 1)).version, 2);
    });
  }

  it('refuses an error that cannot be stored on save', async () => {
    const store = await createStore();
    const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const error = { name: 'Error', message: 'bad \u0000 byte' };
    await refusal(store.save({ ...record, status: 'compensating', error }, 1));
    assert.equal((await store.get('s-1'))?.status, 'running', 'a refused save changed the status');
  });

  it('gives a Date back as its ISO string, from the write and from get', async () => {
    const store = await createStore();
    const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1', input: { at } }));
    assert.deepEqual(record.input, { at: '2024-01-02T03:04:05.006Z' });
    const saved = await store.save({ ...record, history: [...record.history, completed({ at })] }, 1);
    const stored = await store.get('s-1');
    for (const seen of [saved, stored] as SagaRecord[]) {
      assert.deepEqual(seen.input, { at: '2024-01-02T03:04:05.006Z' });
      assert.deepEqual(seen.history.at(-1), completed({ at: '2024-01-02T03:04:05.006Z' }));
    }
  });

  it('gives class instances back as plain objects and leaves out undefined properties', async () => {
    const store = await createStore();
    const input = { price: new Money(5, 'EUR'), gone: undefined, list: [1, undefined] };
    await store.create(sagaRecordFixture({ sagaId: 's-1', input }));
    const stored = (await store.get('s-1'))?.input as Record<string, unknown>;
    assert.deepStrictEqual(stored, { price: { amount: 5, currency: 'EUR' }, list: [1, null] });
    assert.ok(!(stored.price instanceof Money), 'a class instance came back as an instance of its class');
  });

  it('keeps strings with emoji (surrogate pairs) and other Unicode exactly', async () => {
    const store = await createStore();
    const input = { note: 'café 🚀 \u2028 \uFFFD' };
    await store.create(sagaRecordFixture({ sagaId: 's-1', input }));
    assert.deepEqual((await store.get('s-1'))?.input, input);
  });
}
