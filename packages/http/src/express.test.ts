import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { currentRequestContext } from './context/requestContext.js';
import { EXPECTED_SCENARIO, runScenario, scenarioMiddleware } from './internal/adapterScenarios.fixture.js';
import { toExpress, toExpressAll } from './express.js';
import { validated } from './server/validation.js';
import { HttpProblem } from './server/problem.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function start(app: express.Express): Promise<string> {
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('@keel/http/express', () => {
  it('runs rate limit, idempotency, validation and correlation in a real Express app', async () => {
    const app = express();
    let orders = 0;
    app.post('/orders', ...toExpressAll(...scenarioMiddleware()), (req, res) => {
      const { sku } = validated<{ sku: string }>(req).body;
      res.status(201).json({ order: ++orders, sku, correlationId: currentRequestContext()?.correlationId });
    });
    expect(await runScenario(await start(app))).toEqual(EXPECTED_SCENARIO);
  });

  it('sends a problem thrown by a middleware as problem details', async () => {
    const app = express();
    app.use(
      toExpress(() => {
        throw new HttpProblem({ status: 418, title: "I'm a teapot" });
      }),
    );
    const res = await fetch(await start(app));
    expect([res.status, res.headers.get('content-type')]).toEqual([418, 'application/problem+json']);
  });
});
