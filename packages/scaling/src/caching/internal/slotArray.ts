/** The links of a slot list: 16-bit while every slot number fits, 32-bit beyond. */
export type SlotArray = Uint16Array | Uint32Array;

/** The smallest typed array that can index `capacity` slots: half the memory for caches up to 65,535 entries. */
export function slotArray(capacity: number): SlotArray {
  return capacity <= 0x10000 ? new Uint16Array(capacity) : new Uint32Array(capacity);
}

/** Copies `from` into the larger `to` and returns `to`. */
export function resized<T extends SlotArray | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
