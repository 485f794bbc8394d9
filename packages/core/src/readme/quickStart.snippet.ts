import { createCommand, createEvent, ManualClock, parse, isValidationError } from '@keel/core';
import { z } from 'zod';

const PlaceOrder = z.object({ orderId: z.string(), total: z.number().positive() });
const data = parse(PlaceOrder, { orderId: 'o-1', total: 42 }, { subject: 'PlaceOrder' });
const command = createCommand('PlaceOrder', data);
const placed = createEvent('OrderPlaced', data, { causedBy: command });
console.log(placed.metadata.correlationId === command.metadata.messageId); // true

try {
  parse(PlaceOrder, { orderId: 7, total: -1 }, { subject: 'PlaceOrder' });
} catch (error) {
  if (isValidationError(error)) console.log(error.issues.length); // 2: every bad field at once
}

const clock = new ManualClock();
const waiting = clock.sleep(1_000);
await clock.tickAsync(1_000); // resolves `waiting` without real time passing
await waiting;
