import { describe, expect, it } from 'vitest';
import { parseArgs } from './main.js';
import { starterEnv } from './verify.js';

describe('parseArgs', () => {
  it('resolves the folder against the given working directory and reads the flags', () => {
    expect(parseArgs(['bank-account', '../shop', '--local'], '/home/ann/work')).toEqual({
      example: 'bank-account',
      dir: '/home/ann/shop',
      local: true,
      build: true,
    });
    expect(parseArgs(['--no-build', 'a', 'b'], '/x')).toMatchObject({ local: false, build: false });
  });

  it('refuses a missing folder and unknown options with the usage line', () => {
    expect(() => parseArgs(['bank-account'], '/x')).toThrow(/Usage: pnpm starter <example> <dir>/);
    expect(() => parseArgs(['a', 'b', '--fast'], '/x')).toThrow(/Unknown option --fast/);
  });
});

describe('starterEnv', () => {
  it('sets CI, removes KEEL_PG_URL and npm settings of the calling process, keeps the rest', () => {
    const env = starterEnv({ KEEL_PG_URL: 'postgres://x', npm_config_user_agent: 'pnpm', PATH: '/bin' });
    expect(env).toEqual({ CI: 'true', PATH: '/bin' });
  });
});
