/**
 * Doubly linked lists of integer slots in typed arrays. Slots `0 … lists - 1` are the sentinels
 * of circular lists: `next[list]` is a list's most recent slot, `prev[list]` its least recent.
 */
export class LinkedSlots {
  next: Uint32Array;
  prev: Uint32Array;
  readonly #lists: number;
  #free: Uint32Array;
  #freeCount = 0;
  #used: number;

  constructor(lists: number, capacity: number) {
    this.#lists = lists;
    this.#used = lists;
    this.next = new Uint32Array(lists + capacity);
    this.prev = new Uint32Array(lists + capacity);
    this.#free = new Uint32Array(lists + capacity);
    this.reset();
  }

  /** Empties every list and forgets every slot. */
  reset(): void {
    for (let list = 0; list < this.#lists; list++) this.next[list] = this.prev[list] = list;
    this.#freeCount = 0;
    this.#used = this.#lists;
  }

  /** A free slot: a recycled one, or the next never-used one. */
  allocate(): number {
    return this.#freeCount > 0 ? this.#free[--this.#freeCount]! : this.#used++;
  }

  /** Unlinks `slot` and makes it available to {@link allocate}. */
  release(slot: number): void {
    this.unlink(slot);
    this.#free[this.#freeCount++] = slot;
  }

  /** The most recent slot of `list`, or `list` itself when it is empty. */
  first(list: number): number {
    return this.next[list]!;
  }

  /** The least recent slot of `list`, or `list` itself when it is empty. */
  last(list: number): number {
    return this.prev[list]!;
  }

  linkFront(slot: number, list: number): void {
    const first = this.next[list]!;
    this.next[slot] = first;
    this.prev[slot] = list;
    this.prev[first] = slot;
    this.next[list] = slot;
  }

  unlink(slot: number): void {
    const before = this.prev[slot]!;
    const after = this.next[slot]!;
    this.next[before] = after;
    this.prev[after] = before;
  }

  moveToFront(slot: number, list: number): void {
    this.unlink(slot);
    this.linkFront(slot, list);
  }
}
