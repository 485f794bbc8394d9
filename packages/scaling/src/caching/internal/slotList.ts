/** The links of a slot list: 16-bit while every slot number fits, 32-bit beyond. */
export type SlotArray = Uint16Array | Uint32Array;

/** The smallest typed array that can index `capacity` slots: half the memory up to 65,536 slots. */
export function slotArray(capacity: number): SlotArray {
  return capacity <= 0x10000 ? new Uint16Array(capacity) : new Uint32Array(capacity);
}

/** Copies `from` into the larger `to` and returns `to`. */
export function resized<T extends SlotArray | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * Doubly linked lists of integer slots in typed arrays, shared by `LruCache` (one list) and the
 * W-TinyLFU policy (window, probation, protected). Slots `0 … lists - 1` are the sentinels of
 * circular lists: `next[list]` is a list's most recent slot, `prev[list]` its least recent. The
 * caller keeps keys and values in its own arrays indexed by slot; nothing here allocates per
 * entry. Free slots are chained through `next` (slot 0, a sentinel, is never free, so 0 ends
 * the chain).
 */
export class SlotList {
  /** `next[slot]`: the next less recent slot of its list (the sentinel after the last). */
  next: SlotArray;
  /** `prev[slot]`: the next more recent slot of its list (the sentinel before the first). */
  prev: SlotArray;
  readonly #lists: number;
  /** The first free slot, 0 when none is free. */
  #free = 0;
  /** Slots below this number have been handed out at least once. */
  #used: number;

  /**
   * @param lists How many lists (and sentinel slots) there are.
   * @param entries How many entry slots to allocate up front; {@link allocate} doubles them as needed.
   */
  constructor(lists: number, entries: number) {
    this.#lists = lists;
    this.#used = lists;
    this.next = slotArray(lists + entries);
    this.prev = slotArray(lists + entries);
    this.reset();
  }

  /** How many slots (sentinels included) the arrays hold now; it grows in {@link allocate}. */
  get capacity(): number {
    return this.next.length;
  }

  /** Empties every list and forgets every slot. */
  reset(): void {
    for (let list = 0; list < this.#lists; list++) this.next[list] = this.prev[list] = list;
    this.#free = 0;
    this.#used = this.#lists;
  }

  /** A free slot, not linked anywhere: a released one, or the next never-used one (growing the arrays). */
  allocate(): number {
    const free = this.#free;
    if (free !== 0) {
      this.#free = this.next[free]!;
      return free;
    }
    if (this.#used === this.next.length) this.#grow();
    return this.#used++;
  }

  /** Unlinks `slot` and makes it available to {@link allocate}. */
  release(slot: number): void {
    this.unlink(slot);
    this.next[slot] = this.#free;
    this.#free = slot;
  }

  /** The most recent slot of `list`, or `list` itself when it is empty. */
  first(list: number): number {
    return this.next[list]!;
  }

  /** The least recent slot of `list`, or `list` itself when it is empty. */
  last(list: number): number {
    return this.prev[list]!;
  }

  /** Links an unlinked `slot` as the most recent of `list`. */
  linkFront(slot: number, list: number): void {
    const next = this.next;
    const first = next[list]!;
    next[slot] = first;
    this.prev[slot] = list;
    this.prev[first] = slot;
    next[list] = slot;
  }

  /** Takes `slot` out of its list (its own links are left as they were). */
  unlink(slot: number): void {
    const next = this.next;
    const prev = this.prev;
    const before = prev[slot]!;
    const after = next[slot]!;
    next[before] = after;
    prev[after] = before;
  }

  /** Makes a linked `slot` the most recent of `list` (its own list or another); no-op when it already is. */
  moveToFront(slot: number, list: number): void {
    // unlink + linkFront fused: the hot path of every cache hit, so the arrays are loaded once.
    const next = this.next;
    const first = next[list]!;
    if (first === slot) return;
    const prev = this.prev;
    const before = prev[slot]!;
    const after = next[slot]!;
    next[before] = after;
    prev[after] = before;
    // `first` is still the list's first slot: `slot` was not it, so unlinking left it in place.
    next[slot] = first;
    prev[slot] = list;
    prev[first] = slot;
    next[list] = slot;
  }

  #grow(): void {
    const capacity = this.next.length * 2;
    this.next = resized(this.next, slotArray(capacity));
    this.prev = resized(this.prev, slotArray(capacity));
  }
}
