import { afterEach, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { currentRequestContext } from './context/requestContext.js';
import { EXPECTED_SCENARIO, runScenario, scenarioMiddleware } from './internal/adapterScenarios.fixture.js';
import { toFastify } from './fastify.js';
import { validated } from './server/validation.js';
import { HttpProblem } from './server/problem.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
});

describe('@keel/http/fastify', () => {
  it('runs rate limit, idempotency, validation and correlation in a real Fastify app', async () => {
    app = Fastify();
    let orders = 0;
    app.post('/orders', { preHandler: scenarioMiddleware().map(toFastify) }, async (request, reply) => {
      const { sku } = validated<{ sku: string }>(request.raw).body;
      return reply
        .code(201)
        .send({ order: ++orders, sku, correlationId: currentRequestContext()?.correlationId });
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    expect(await runScenario(url)).toEqual(EXPECTED_SCENARIO);
  });

  it('sends a problem thrown by a middleware as problem details', async () => {
    app = Fastify();
    app.addHook(
      'preHandler',
      toFastify(() => {
        throw new HttpProblem({ status: 418, title: "I'm a teapot" });
      }),
    );
    app.get('/', async () => 'never');
    const res = await fetch(await app.listen({ port: 0, host: '127.0.0.1' }));
    expect([res.status, res.headers.get('content-type')]).toEqual([418, 'application/problem+json']);
  });
});
