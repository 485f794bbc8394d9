import type { RedisClient } from './client.js';

/** A Lua script registered on a client with `defineCommand` (EVALSHA, EVAL on NOSCRIPT). */
export interface ScriptDefinition {
  /** The command name added to the client. */
  readonly name: string;
  /** How many leading arguments are keys; `undefined` when each call passes the count first. */
  readonly keys: number | undefined;
  /** The Lua source. */
  readonly lua: string;
}

type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Runs `script` on `client`, defining it first when needed. ioredis sends EVALSHA and falls
 * back to EVAL when the server answers NOSCRIPT (after a restart or SCRIPT FLUSH). On a cluster the
 * script goes to the node of its first key's slot, and each node loads it on its first NOSCRIPT.
 */
export function runScript(
  client: RedisClient,
  script: ScriptDefinition,
  args: readonly (string | number)[],
): Promise<unknown> {
  const commands = client as unknown as Record<string, ScriptCommand | undefined>;
  if (typeof commands[script.name] !== 'function') {
    const numberOfKeys = script.keys;
    client.defineCommand(
      script.name,
      numberOfKeys === undefined ? { lua: script.lua } : { numberOfKeys, lua: script.lua },
    );
  }
  return commands[script.name]!(...args);
}
