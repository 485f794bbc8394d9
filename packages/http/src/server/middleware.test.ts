import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
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

async function serve(limitBytes: number): Promise<number> {
  const server = createServer(
    compose([], async (req, res) => {
      const body = await readRawBody(req, limitBytes);
      res.end(`got ${body.length}`);
    }),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('readRawBody past its limit', () => {
  it(
    'answers 413 with Connection: close and closes the keep-alive connection',
    { timeout: 5_000 },
    async () => {
      const port = await serve(1_000);
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => {});
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      const body = 'a'.repeat(5_000);
      socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      // A second request on the same connection: the server must not leave it waiting.
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
      await closed;
      expect([received.startsWith('HTTP/1.1 413'), /\r\nconnection: close\r\n/i.test(received)]).toEqual([
        true,
        true,
      ]);
    },
  );

  it('keeps the connection of a body within the limit', async () => {
    const port = await serve(1_000);
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'abc' });
    expect([res.status, res.headers.get('connection'), await res.text()]).toEqual([
      200,
      'keep-alive',
      'got 3',
    ]);
  });
});
