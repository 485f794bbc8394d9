import type { Redis } from 'ioredis';

/** One lock key in {@link fakeLockRedis}: its owner (TTLs are not simulated: tests move owners by hand). */
interface FakeLock {
  owner: string;
  ttl: number;
}

/**
 * Test-only: an ioredis stand-in that runs the three lock scripts on a map, so lock tests
 * drive time with a `ManualClock`. `failNext(name)` makes the next call of a script reject.
 */
export function fakeLockRedis() {
  const locks = new Map<string, FakeLock>();
  const fences = new Map<string, number>();
  const calls: { name: string; args: (string | number)[] }[] = [];
  const failures = new Map<string, Error[]>();
  const scripts: Record<string, (args: (string | number)[]) => unknown> = {
    keelLockAcquireV2: ([key, fence, owner, ttl]) => {
      if (locks.has(String(key))) return [0, locks.get(String(key))!.ttl];
      locks.set(String(key), { owner: String(owner), ttl: Number(ttl) });
      const token = (fences.get(String(fence)) ?? 0) + 1;
      fences.set(String(fence), token);
      return [1, token];
    },
    keelLockRelease: ([key, owner]) => {
      if (locks.get(String(key))?.owner !== owner) return 0;
      locks.delete(String(key));
      return 1;
    },
    keelLockExtend: ([key, owner, ttl]) => {
      const lock = locks.get(String(key));
      if (lock === undefined || lock.owner !== owner) return 0;
      lock.ttl = Number(ttl);
      return 1;
    },
  };
  const client = {
    defineCommand(name: string) {
      (this as unknown as Record<string, unknown>)[name] = async (...args: (string | number)[]) => {
        calls.push({ name, args });
        const failure = failures.get(name)?.shift();
        if (failure !== undefined) throw failure;
        return scripts[name]!(args);
      };
    },
  } as unknown as Redis;
  return {
    client,
    locks,
    calls,
    /** How many times the script `name` ran (or was attempted). */
    count: (name: string) => calls.filter((call) => call.name === name).length,
    /** Makes the next call of script `name` reject with `error`. */
    failNext(name: string, error: Error) {
      failures.set(name, [...(failures.get(name) ?? []), error]);
    },
  };
}
