import { KeyedQueue, Mutex, signalContext, whenAborted } from '@keel/core';

const balances = new Map<string, number>();
const queue = new KeyedQueue();
const deposit = (account: string, amount: number) =>
  queue.run(account, async () => {
    const before = balances.get(account) ?? 0;
    await Promise.resolve(); // an await between read and write: safe, calls of one key never overlap
    balances.set(account, before + amount);
  });
await Promise.all([deposit('a-1', 10), deposit('a-1', 5), deposit('a-2', 1)]);
console.log(balances.get('a-1')); // 15

const mutex = new Mutex();
const leave = new AbortController();
const busy = mutex.run(() => new Promise((resolve) => setTimeout(resolve, 10)));
const waiting = mutex.run(() => 'never runs', leave.signal);
leave.abort(new Error('caller left'));
await waiting.catch((error: Error) => console.log(error.message)); // caller left
await busy;

const stop = whenAborted(leave.signal, () => {}); // already aborted: called at once
stop();
console.log(signalContext(undefined).signal.aborted); // false: a fresh signal, made on first read
