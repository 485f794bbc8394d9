import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryIdempotencyStore } from '@keel/cqrs';
import { idempotencyKey } from './idempotency.js';
import { compose, readRawBody } from './middleware.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A server whose handler reads the request stream itself, after idempotencyKey. */
async function serve(): Promise<string> {
  const server = createServer(
    compose([idempotencyKey({ store: new InMemoryIdempotencyStore() })], async (req, res) => {
      let bytes = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) bytes += chunk.length;
      res.end(String(bytes));
    }),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('idempotencyKey middleware', () => {
  it('passes a large POST without Idempotency-Key on with its body unread', { timeout: 10_000 }, async () => {
    const url = await serve();
    const res = await fetch(url, { method: 'POST', body: new Uint8Array(2_000_000) });
    expect([res.status, await res.text()]).toEqual([200, '2000000']);
  });

  it('passes a PUT on with its body unread', { timeout: 5_000 }, async () => {
    const url = await serve();
    const res = await fetch(url, { method: 'PUT', body: 'hello' });
    expect([res.status, await res.text()]).toEqual([200, '5']);
  });

  it('still reads the body of a request it handles and shares it with the handler', async () => {
    const server = createServer(
      compose(
        [idempotencyKey({ store: new InMemoryIdempotencyStore() })],
        async (req: IncomingMessage, res) => {
          res.end((await readRawBody(req)).toString('utf8'));
        },
      ),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const send = () => fetch(url, { method: 'POST', body: 'order', headers: { 'idempotency-key': 'k1' } });
    const first = await send();
    const again = await send();
    expect([await first.text(), await again.text(), again.headers.get('idempotent-replayed')]).toEqual([
      'order',
      'order',
      'true',
    ]);
  });
});
