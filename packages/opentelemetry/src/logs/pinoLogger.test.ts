import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Logger as Pino } from 'pino';
import { KeelError, withSpan } from '@keel/core';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';
import { pinoLogger } from './pinoLogger.js';

type Line = Record<string, unknown>;

function capture(level = 'debug'): { lines: Line[]; base: Pino } {
  const lines: Line[] = [];
  const base = pino(
    { level, base: null, timestamp: false },
    { write: (text: string) => lines.push(JSON.parse(text) as Line) },
  );
  return { lines, base };
}

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

describe('pinoLogger', () => {
  it("writes Keel's (message, fields) as pino's (fields, message) with pino's level numbers", () => {
    const { lines, base } = capture();
    const logger = pinoLogger(base);
    logger.debug('d');
    logger.info('placed order', { orderId: 'o-1', total: 42 });
    logger.warn('w', { n: 1 });
    logger.error('e');
    expect(lines).toEqual([
      { level: 20, msg: 'd' },
      { level: 30, msg: 'placed order', orderId: 'o-1', total: 42 },
      { level: 40, msg: 'w', n: 1 },
      { level: 50, msg: 'e' },
    ]);
  });

  it("leaves level filtering to the pino logger's own level", () => {
    const { lines, base } = capture('warn');
    const logger = pinoLogger(base);
    logger.debug('hidden');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => line['msg'])).toEqual(['shown']);
  });

  it("puts an Error under `error` into pino's `err`, serialised by pino with type, message and stack", () => {
    const { lines, base } = capture();
    const error = new KeelError('ORDER_REJECTED', 'Order o-1 was rejected.');
    pinoLogger(base).error('failed', { error, attempt: 3 });
    const err = lines[0]!['err'] as Record<string, unknown>;
    expect(err['type']).toBe('KeelError');
    expect(err['message']).toBe('Order o-1 was rejected.');
    expect(err['code']).toBe('ORDER_REJECTED');
    expect(String(err['stack'])).toContain('Order o-1 was rejected.');
    expect(lines[0]).not.toHaveProperty('error');
    expect(lines[0]!['attempt']).toBe(3);
  });

  it('serialises Errors under other keys as plain data instead of an empty object', () => {
    const { lines, base } = capture();
    pinoLogger(base).warn('two failures', { error: new Error('first'), previous: new TypeError('second') });
    expect((lines[0]!['err'] as Line)['message']).toBe('first');
    expect(lines[0]!['previous']).toMatchObject({ type: 'TypeError', message: 'second' });
  });

  it('attaches the trace ids of the active OpenTelemetry span', async () => {
    const { lines, base } = capture();
    const logger = pinoLogger(base);
    await withSpan('handle', {}, async () => logger.info('inside', { a: 1 }));
    logger.info('outside');
    const span = kit.span('handle').spanContext();
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      a: 1,
      trace_id: span.traceId,
      span_id: span.spanId,
      trace_flags: '01',
    });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it("maps child() to pino's child, so bindings appear once on every entry and trace ids stay current", async () => {
    const { lines, base } = capture();
    const child = pinoLogger(base).child({ component: 'orders' }).child({ worker: 2 });
    await withSpan('work', {}, async () => child.info('hello'));
    expect(lines[0]).toMatchObject({ component: 'orders', worker: 2, msg: 'hello' });
    expect(lines[0]!['trace_id']).toBe(kit.span('work').spanContext().traceId);
  });

  it('writes the message as it is, without printf-style interpolation', () => {
    const { lines, base } = capture();
    pinoLogger(base).info('100%s done %d', {});
    expect(lines[0]!['msg']).toBe('100%s done %d');
  });

  it('refuses something that is not a pino logger', () => {
    expect(() => pinoLogger(undefined as never)).toThrow(TypeError);
    expect(() => pinoLogger({} as never)).toThrow(/pino logger/);
  });
});
