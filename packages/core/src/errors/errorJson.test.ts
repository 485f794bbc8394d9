import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { WorkerStopError } from '../workers/workerErrors.js';
import { NotFoundError, ValidationError } from './errors.js';
import { KeelError } from './keelError.js';

describe('KeelError.toJSON', () => {
  it('keeps the message, code, name and details when stringified', () => {
    const error = new NotFoundError('Order', 'o-1');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'NotFoundError',
      message: 'Order "o-1" was not found.',
      code: 'NOT_FOUND',
      details: { kind: 'Order', id: 'o-1' },
    });
  });

  it('writes each error of an AggregateError cause, as WorkerStopError has when several workers fail', () => {
    const error = new WorkerStopError([
      { name: 'a', error: new Error('a failed') },
      { name: 'b', error: new KeelError('B_DOWN', 'b failed') },
    ]);
    expect(error.toJSON().cause).toEqual({
      name: 'AggregateError',
      message: '',
      errors: [
        { name: 'Error', message: 'a failed' },
        { name: 'KeelError', message: 'b failed', code: 'B_DOWN', details: {} },
      ],
    });
  });

  it('writes the errors of an AggregateError given as it is, non-errors made safe', () => {
    const aggregate = new AggregateError([new RangeError('r'), 5n, 'text'], 'several');
    const json = JSON.parse(JSON.stringify(new KeelError('X', 'x', { cause: aggregate }))) as {
      cause: unknown;
    };
    expect(json.cause).toEqual({
      name: 'AggregateError',
      message: 'several',
      errors: [{ name: 'RangeError', message: 'r' }, '5', 'text'],
    });
  });

  it('writes a cause made in another realm (a vm context) as an error, not {}', () => {
    const foreign: unknown = runInNewContext(
      'Object.assign(new TypeError("from another realm"), { code: "E_VM" })',
    );
    expect(new KeelError('X', 'outer', { cause: foreign }).toJSON().cause).toEqual({
      name: 'TypeError',
      message: 'from another realm',
      code: 'E_VM',
    });
  });

  it('leaves the stack out', () => {
    expect(JSON.stringify(new KeelError('X', 'x'))).not.toContain('stack');
  });

  it('writes a chain of causes recursively, with a driver code on a plain error', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const middle = new KeelError('STORE_DOWN', 'The store is down.', {
      cause: socket,
      details: { store: 'events' },
    });
    const top = new KeelError('LOAD_FAILED', 'Could not load "o-1".', { cause: middle });
    expect(top.toJSON().cause).toEqual({
      name: 'KeelError',
      message: 'The store is down.',
      code: 'STORE_DOWN',
      details: { store: 'events' },
      cause: { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' },
    });
  });

  it('writes a cause that refers back to the error as [Circular] instead of looping', () => {
    const inner = new Error('inner');
    const outer = new KeelError('OUTER', 'outer', { cause: inner });
    (inner as { cause?: unknown }).cause = outer;
    expect(JSON.parse(JSON.stringify(outer)).cause).toEqual({
      name: 'Error',
      message: 'inner',
      cause: '[Circular]',
    });
  });

  it('writes non-error causes as safe JSON: strings as they are, BigInt as a string, cycles marked', () => {
    expect(new KeelError('X', 'x', { cause: 'boom' }).toJSON().cause).toBe('boom');
    const cyclic: Record<string, unknown> = { amount: 10n, run: () => 1 };
    cyclic['self'] = cyclic;
    expect(new KeelError('X', 'x', { cause: cyclic }).toJSON().cause).toEqual({
      amount: '10',
      self: '[Circular]',
    });
  });

  it('writes details JSON cannot hold without throwing', () => {
    const error = new KeelError('X', 'x', { details: { big: 2n ** 70n, at: new Date(0), nan: Number.NaN } });
    expect(JSON.parse(JSON.stringify(error)).details).toEqual({
      big: '1180591620717411303424',
      at: '1970-01-01T00:00:00.000Z',
      nan: 'NaN',
    });
  });

  it('writes a shared, non-cyclic value each time it appears', () => {
    const shared = { id: 1 };
    const error = new KeelError('X', 'x', { details: { a: shared, b: shared } });
    expect(error.toJSON().details).toEqual({ a: { id: 1 }, b: { id: 1 } });
  });

  it('stops a very deep cause chain with [Truncated]', () => {
    let error: Error = new Error('root');
    for (let index = 0; index < 30; index++) error = new KeelError('WRAP', `wrap ${index}`, { cause: error });
    const text = JSON.stringify(error);
    expect(text).toContain('[Truncated]');
    expect(text).not.toContain('root');
  });

  it('keeps a subclass’s issues, which live in its details', () => {
    const error = new ValidationError([{ path: ['amount', Symbol.for('x')], message: 'must be positive' }]);
    const json = error.toJSON();
    expect(json.code).toBe('VALIDATION_FAILED');
    expect(json.details['issues']).toEqual([{ path: ['amount', 'Symbol(x)'], message: 'must be positive' }]);
  });

  it('survives a cause whose getter throws', () => {
    const cause = new Error('odd');
    Object.defineProperty(cause, 'message', {
      get() {
        throw new Error('no');
      },
    });
    expect(new KeelError('X', 'x', { cause }).toJSON().cause).toEqual({
      name: 'Error',
      message: '[object Error]',
    });
  });
});
