import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { isValidationError, KeelError, withSpan } from '@keel/core';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';
import { openTelemetryLogger } from './openTelemetryLogger.js';

let kit: OtelTestKit;
let exporter: InMemoryLogRecordExporter;
let loggerProvider: LoggerProvider;
beforeEach(() => {
  kit = otelTestKit();
  exporter = new InMemoryLogRecordExporter();
  loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
});
afterEach(async () => {
  await loggerProvider.shutdown();
  logs.disable();
  await kit.close();
});

const records = () => exporter.getFinishedLogRecords();

describe('openTelemetryLogger', () => {
  it('emits the message as the body, fields as attributes and the level as severity number and text', () => {
    const logger = openTelemetryLogger({ loggerProvider, level: 'debug' });
    logger.debug('d');
    logger.info('placed order', { orderId: 'o-1', total: 42, paid: true });
    logger.warn('w');
    logger.error('e');
    expect(records().map((record) => [record.severityNumber, record.severityText, record.body])).toEqual([
      [SeverityNumber.DEBUG, 'DEBUG', 'd'],
      [SeverityNumber.INFO, 'INFO', 'placed order'],
      [SeverityNumber.WARN, 'WARN', 'w'],
      [SeverityNumber.ERROR, 'ERROR', 'e'],
    ]);
    expect(records()[1]!.attributes).toEqual({ orderId: 'o-1', total: 42, paid: true });
    expect(records()[0]!.instrumentationScope.name).toBe('@keel/opentelemetry');
  });

  it('drops entries below the level, which defaults to info', () => {
    const logger = openTelemetryLogger({ loggerProvider, level: undefined });
    logger.debug('hidden');
    logger.info('shown');
    expect(records().map((record) => record.body)).toEqual(['shown']);
  });

  it("respects the SDK's minimum severity for the scope", async () => {
    const { createLoggerConfigurator } = await import('@opentelemetry/sdk-logs');
    const strict = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter })],
      loggerConfigurator: createLoggerConfigurator([
        { pattern: '*', config: { minimumSeverity: SeverityNumber.WARN } },
      ]),
    });
    const logger = openTelemetryLogger({ loggerProvider: strict, level: 'debug' });
    logger.info('hidden');
    logger.warn('shown');
    expect(records().map((record) => record.body)).toEqual(['shown']);
    await strict.shutdown();
  });

  it('carries the trace and span ids of the span active when it logs', async () => {
    const logger = openTelemetryLogger({ loggerProvider });
    await withSpan('handle', {}, async () => logger.info('inside'));
    logger.info('outside');
    const span = kit.span('handle').spanContext();
    expect(records()[0]!.spanContext).toMatchObject({ traceId: span.traceId, spanId: span.spanId });
    expect(records()[1]!.spanContext).toBeUndefined();
  });

  it("records an Error under `error` as the record's exception, typed by the Keel error code", () => {
    const logger = openTelemetryLogger({ loggerProvider });
    logger.error('failed', { error: new KeelError('ORDER_REJECTED', 'Order o-1 was rejected.'), attempt: 2 });
    const { attributes } = records()[0]!;
    expect(attributes['exception.type']).toBe('ORDER_REJECTED');
    expect(attributes['exception.message']).toBe('Order o-1 was rejected.');
    expect(String(attributes['exception.stacktrace'])).toContain('Order o-1 was rejected.');
    expect(attributes['attempt']).toBe(2);
    expect(attributes).not.toHaveProperty('error');
  });

  it('turns values attributes cannot hold into ones they can, and leaves out functions', () => {
    const logger = openTelemetryLogger({ loggerProvider });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    logger.info('values', {
      at: new Date(0),
      big: 12n,
      nested: { list: [1, 'two', undefined], cause: new TypeError('bad') },
      skip: () => 1,
      nothing: null,
      cyclic,
    });
    const { attributes } = records()[0]!;
    expect(attributes['at']).toBe('1970-01-01T00:00:00.000Z');
    expect(attributes['big']).toBe('12');
    expect(attributes['nested']).toMatchObject({
      list: [1, 'two', null],
      cause: { type: 'TypeError', message: 'bad' },
    });
    expect(attributes).not.toHaveProperty('skip');
    expect(attributes['nothing']).toBeNull();
    expect(JSON.stringify(attributes['cyclic'])).toContain('[too deep]');
  });

  it('adds bindings and child bindings to every record, later ones winning', () => {
    const logger = openTelemetryLogger({ loggerProvider, bindings: { service: 'orders', region: 'eu' } });
    logger.child({ region: 'us', worker: 1 }).info('hello', { worker: 2 });
    expect(records()[0]!.attributes).toEqual({ service: 'orders', region: 'us', worker: 2 });
  });

  it('writes to the global logger provider by default', () => {
    logs.setGlobalLoggerProvider(loggerProvider);
    openTelemetryLogger().warn('global');
    expect(records().map((record) => record.body)).toEqual(['global']);
  });

  it('refuses bad options with one ValidationError listing each', () => {
    let caught: unknown;
    try {
      openTelemetryLogger({ level: 'trace' as never, loggerProvider: {} as never, scope: '' });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/3 problems/);
  });
});
