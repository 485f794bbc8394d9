import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDistributedIfReachable } from './launcher.js';
import { DEFAULT_NATS_URL, DEFAULT_PG_URL, hostOf, serverUrls, unreachableServers } from './servers.js';

// A port that accepts connections, and one that refuses them (opened, then closed), on this machine.
let listening: Server;
let openPort: number;
let closedPort: number;

async function listen(): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: Server): number => (server.address() as { port: number }).port;

beforeAll(async () => {
  listening = await listen();
  openPort = portOf(listening);
  const closed = await listen();
  closedPort = portOf(closed);
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  await new Promise((resolve) => listening.close(resolve));
});

describe('serverUrls', () => {
  it("uses Keel's local defaults when the variables are unset or empty", () => {
    expect(serverUrls({})).toEqual({ pgUrl: DEFAULT_PG_URL, natsUrl: DEFAULT_NATS_URL });
    expect(serverUrls({ KEEL_PG_URL: '', KEEL_NATS_URL: '' })).toEqual({
      pgUrl: DEFAULT_PG_URL,
      natsUrl: DEFAULT_NATS_URL,
    });
  });

  it('takes KEEL_PG_URL and KEEL_NATS_URL when they are set', () => {
    const env = { KEEL_PG_URL: 'postgres://db:6543/x', KEEL_NATS_URL: 'nats://bus:5222' };
    expect(serverUrls(env)).toEqual({ pgUrl: env.KEEL_PG_URL, natsUrl: env.KEEL_NATS_URL });
  });
});

describe('hostOf', () => {
  it('shows host and port without credentials, with the default port when the URL has none', () => {
    expect(hostOf('postgres://admin:secret@db.internal:6543/app', 5432)).toBe('db.internal:6543');
    expect(hostOf('nats://bus.internal', 4222)).toBe('bus.internal:4222');
  });
});

describe('unreachableServers', () => {
  it('returns undefined when both servers accept connections', async () => {
    const url = `tcp://127.0.0.1:${openPort}`;
    expect(await unreachableServers({ pgUrl: url, natsUrl: url })).toBeUndefined();
  });

  it('names every server that refuses connections, with the variable that points at it', async () => {
    const closed = `tcp://127.0.0.1:${closedPort}`;
    expect(await unreachableServers({ pgUrl: closed, natsUrl: closed })).toBe(
      `PostgreSQL is not reachable at 127.0.0.1:${closedPort} (KEEL_PG_URL) and ` +
        `NATS is not reachable at 127.0.0.1:${closedPort} (KEEL_NATS_URL)`,
    );
    expect(await unreachableServers({ pgUrl: `tcp://127.0.0.1:${openPort}`, natsUrl: closed })).toBe(
      `NATS is not reachable at 127.0.0.1:${closedPort} (KEEL_NATS_URL)`,
    );
  });
});

describe('runDistributedIfReachable', () => {
  it('prints one line saying it is skipped and why, and runs nothing, when a server is missing', async () => {
    const lines: string[] = [];
    const result = await runDistributedIfReachable({
      pgUrl: `postgres://127.0.0.1:${openPort}/test`,
      natsUrl: `nats://127.0.0.1:${closedPort}`,
      say: (line) => lines.push(line),
    });
    expect(result).toBeUndefined();
    expect(lines).toEqual([
      `\nDistributed choreography skipped: NATS is not reachable at 127.0.0.1:${closedPort} (KEEL_NATS_URL); ` +
        'start both servers, then run pnpm start:distributed.',
    ]);
  });
});
