import { type } from 'arktype';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { isValidationError, ValidationError } from '../errors/errors.js';
import { isKeelError } from '../errors/keelError.js';
import { isStandardSchema, parse, parseAsync } from './parse.js';

const order = { id: 'o-1', items: [{ sku: 'A', quantity: 2 }] };

describe('parse with zod 4', () => {
  const schema = z.object({
    id: z.string().min(1),
    items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
  });

  it('returns the parsed, typed value', () => {
    const parsed = parse(schema, order);
    expect(parsed).toEqual(order);
    expectTypeOf(parsed).toEqualTypeOf<{ id: string; items: { sku: string; quantity: number }[] }>();
  });

  it('throws a ValidationError listing every issue with its path', () => {
    let caught: unknown;
    try {
      parse(schema, { id: '', items: [{ sku: 'A', quantity: -1 }] }, { subject: 'PlaceOrder command' });
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    const error = caught as ValidationError;
    expect(error.issues.map((issue) => issue.path)).toEqual([['id'], ['items', 0, 'quantity']]);
    expect(error.message).toMatch(
      /^Invalid PlaceOrder command \(2 problems\): id: .+; items\[0\]\.quantity: /,
    );
  });

  it('asks for parseAsync when the schema is asynchronous', async () => {
    const asyncSchema = z.string().refine(async (value) => value === 'ok');
    expect(() => parse(asyncSchema, 'ok')).toThrow(/parseAsync/);
    let caught: unknown;
    try {
      parse(asyncSchema, 'ok');
    } catch (error) {
      caught = error;
    }
    expect(isKeelError(caught, 'SCHEMA_IS_ASYNC')).toBe(true);
    await expect(parseAsync(asyncSchema, 'ok')).resolves.toBe('ok');
    await expect(parseAsync(asyncSchema, 'no')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('parse with valibot', () => {
  const schema = v.object({
    id: v.pipe(v.string(), v.minLength(1)),
    quantity: v.pipe(v.number(), v.minValue(1)),
  });

  it('returns the parsed value', () => {
    expect(parse(schema, { id: 'x', quantity: 3 })).toEqual({ id: 'x', quantity: 3 });
  });

  it('reports every issue with its path', () => {
    expect(() => parse(schema, { id: '', quantity: 0 })).toThrow(ValidationError);
    try {
      parse(schema, { id: '', quantity: 0 });
    } catch (error) {
      expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([['id'], ['quantity']]);
    }
  });
});

describe('parse with arktype', () => {
  const schema = type({ id: 'string', quantity: 'number > 0' });

  it('validates through the same interface', () => {
    expect(parse(schema, { id: 'x', quantity: 1 })).toEqual({ id: 'x', quantity: 1 });
    expect(() => parse(schema, { id: 1, quantity: 0 })).toThrow(/2 problems/);
  });
});

describe('isStandardSchema', () => {
  it('recognises schemas and rejects everything else', () => {
    expect(isStandardSchema(z.string())).toBe(true);
    expect(isStandardSchema(v.string())).toBe(true);
    expect(isStandardSchema({})).toBe(false);
    expect(isStandardSchema(null)).toBe(false);
  });
});
