import { Socket } from 'node:net';

/** The PostgreSQL server used when `KEEL_PG_URL` is not set (Keel's local default). */
export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** The NATS server used when `KEEL_NATS_URL` is not set (Keel's local default). */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Where the distributed variant finds its servers. */
export interface ServerUrls {
  readonly pgUrl: string;
  readonly natsUrl: string;
}

/** The server URLs from `KEEL_PG_URL` and `KEEL_NATS_URL`, or Keel's local defaults when unset or empty. */
export function serverUrls(env: NodeJS.ProcessEnv = process.env): ServerUrls {
  return { pgUrl: env['KEEL_PG_URL'] || DEFAULT_PG_URL, natsUrl: env['KEEL_NATS_URL'] || DEFAULT_NATS_URL };
}

/** `host:port` of a server URL, without credentials, for messages. */
export function hostOf(url: string, defaultPort: number): string {
  const parsed = new URL(url);
  return `${parsed.hostname || '127.0.0.1'}:${parsed.port || defaultPort}`;
}

function accepts(address: string, timeoutMs: number): Promise<boolean> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host.replace(/^\[|\]$/g, ''), () => done(true));
  });
}

/**
 * Checks that PostgreSQL and NATS accept connections (a TCP connect each, at most `timeoutMs`).
 * @returns Why the distributed variant cannot run, naming every unreachable server, or `undefined`.
 */
export async function unreachableServers(urls: ServerUrls, timeoutMs = 1_000): Promise<string | undefined> {
  const servers = [
    { name: 'PostgreSQL', address: hostOf(urls.pgUrl, 5432), env: 'KEEL_PG_URL' },
    { name: 'NATS', address: hostOf(urls.natsUrl, 4222), env: 'KEEL_NATS_URL' },
  ];
  const results = await Promise.all(servers.map((server) => accepts(server.address, timeoutMs)));
  const down = servers.filter((_, index) => !results[index]);
  if (down.length === 0) return undefined;
  return down
    .map((server) => `${server.name} is not reachable at ${server.address} (${server.env})`)
    .join(' and ');
}
