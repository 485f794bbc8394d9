import { describe, expect, it } from 'vitest';
import { SlotList } from './slotList.js';

function listed(slots: SlotList, list: number): number[] {
  const found: number[] = [];
  for (let slot = slots.first(list); slot !== list; slot = slots.next[slot]!) found.push(slot);
  return found;
}

describe('SlotList', () => {
  it('keeps each list most recent first, with slots moving between lists', () => {
    const slots = new SlotList(2, 4);
    const [a, b, c] = [slots.allocate(), slots.allocate(), slots.allocate()];
    slots.linkFront(a, 0);
    slots.linkFront(b, 0);
    slots.linkFront(c, 1);
    slots.moveToFront(a, 0);
    slots.moveToFront(b, 1);
    expect(listed(slots, 0)).toEqual([a]);
    expect(listed(slots, 1)).toEqual([b, c]);
    expect(slots.last(1)).toBe(c);
  });

  it('hands released slots out again before never-used ones', () => {
    const slots = new SlotList(1, 4);
    const [a, b] = [slots.allocate(), slots.allocate()];
    slots.linkFront(a, 0);
    slots.linkFront(b, 0);
    slots.release(a);
    slots.release(b);
    expect([slots.allocate(), slots.allocate(), slots.allocate()]).toEqual([b, a, 3]);
    expect(listed(slots, 0)).toEqual([]);
  });

  it('grows past its first capacity and from 16-bit to 32-bit links, keeping the order', () => {
    const slots = new SlotList(1, 2);
    expect(slots.next).toBeInstanceOf(Uint16Array);
    for (let count = 0; count < 70_000; count++) slots.linkFront(slots.allocate(), 0);
    expect(slots.next).toBeInstanceOf(Uint32Array);
    expect(slots.capacity).toBeGreaterThan(70_000);
    const order = listed(slots, 0);
    expect(order).toHaveLength(70_000);
    expect(order[0]).toBe(70_000);
    expect(order.at(-1)).toBe(1);
  });

  it('forgets every slot on reset', () => {
    const slots = new SlotList(3, 4);
    slots.linkFront(slots.allocate(), 1);
    slots.reset();
    expect([0, 1, 2].map((list) => listed(slots, list))).toEqual([[], [], []]);
    expect(slots.allocate()).toBe(3);
  });
});
