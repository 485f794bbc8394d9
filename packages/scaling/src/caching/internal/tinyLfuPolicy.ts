import { FrequencySketch } from './frequencySketch.js';
import { HillClimber } from './hillClimber.js';
import { SlotList } from './slotList.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const LISTS = 3;
/** Candidates at least this popular get a small random chance against a more popular victim. */
const FLOODING_THRESHOLD = 6;

/** The tuning of a {@link TinyLfuPolicy}. */
export interface TinyLfuSettings {
  readonly windowFraction: number;
  readonly protectedFraction: number;
  readonly adaptive: boolean;
  readonly doorkeeper: boolean;
  readonly random: () => number;
}

/**
 * The W-TinyLFU eviction policy over integer slots (Caffeine's design): an LRU window, a
 * segmented LRU main space (probation and protected), a frequency sketch deciding admission
 * from the window into main, and a hill climber sizing the window. The three segments are lists
 * of the {@link SlotList} `LruCache` also uses. The cache owns keys and values; the policy tells
 * it which slot to evict through `evict`.
 */
export class TinyLfuPolicy {
  /** The first slot number of an entry (lower numbers are the lists' sentinels). */
  static readonly FIRST_SLOT = LISTS;
  readonly #max: number;
  readonly #slots: SlotList;
  readonly #hashes: Int32Array;
  readonly #queues: Uint8Array;
  readonly #counts = [0, 0, 0];
  readonly #sketch: FrequencySketch;
  readonly #climber: HillClimber | undefined;
  readonly #settings: TinyLfuSettings;
  readonly #evict: (slot: number) => void;
  #windowMax: number;
  #protectedMax: number;

  constructor(max: number, settings: TinyLfuSettings, evict: (slot: number) => void) {
    this.#max = max;
    this.#settings = settings;
    this.#evict = evict;
    this.#slots = new SlotList(LISTS, max + 1);
    this.#hashes = new Int32Array(LISTS + max + 1);
    this.#queues = new Uint8Array(LISTS + max + 1);
    this.#sketch = new FrequencySketch(max, settings.doorkeeper);
    this.#climber = settings.adaptive && max >= 2 ? new HillClimber(max, this.#sketch.sampleSize) : undefined;
    this.#windowMax = Math.min(max, Math.max(1, Math.round(max * settings.windowFraction)));
    this.#protectedMax = Math.floor((max - this.#windowMax) * settings.protectedFraction);
  }

  /** How many slots the cache must be able to index (sentinels included). */
  get capacity(): number {
    return this.#hashes.length;
  }

  get windowSize(): number {
    return this.#windowMax;
  }

  get size(): number {
    return this.#counts[WINDOW]! + this.#counts[PROBATION]! + this.#counts[PROTECTED]!;
  }

  /** Takes a slot for a new key and puts it in the window; call {@link maintain} once it is stored. */
  admit(hash: number): number {
    const slot = this.#slots.allocate();
    this.#hashes[slot] = hash;
    this.#sketch.increment(hash);
    this.#link(slot, WINDOW);
    return slot;
  }

  /** Records a read of a stored slot. */
  onHit(slot: number): void {
    this.onUpdate(slot);
    this.#climb(true);
  }

  /** Records a read that found nothing. */
  onMiss(): void {
    this.#climb(false);
  }

  /** Records a write to a stored slot: it counts as a use. */
  onUpdate(slot: number): void {
    this.#sketch.increment(this.#hashes[slot]!);
    const queue = this.#queues[slot]!;
    if (queue === PROBATION) {
      this.#move(slot, PROTECTED);
      this.#demoteProtectedOverflow();
    } else {
      this.#slots.moveToFront(slot, queue);
    }
  }

  /** Forgets a slot the cache removed. */
  remove(slot: number): void {
    this.#counts[this.#queues[slot]!]!--;
    this.#slots.release(slot);
  }

  /** Forgets every slot. */
  reset(): void {
    this.#counts.fill(0);
    this.#slots.reset();
  }

  /** Every slot: protected (most recent first), then probation, then the window. */
  *slots(): Generator<number> {
    for (const list of [PROTECTED, PROBATION, WINDOW]) {
      for (let slot = this.#slots.first(list); slot !== list;) {
        const older = this.#slots.next[slot]!;
        yield slot;
        slot = older;
      }
    }
  }

  /** Moves window overflow into probation, then evicts (through `evict`) until `max` entries remain. */
  maintain(): void {
    let candidates = 0;
    let candidate = PROBATION;
    while (this.#counts[WINDOW]! > this.#windowMax) {
      const oldest = this.#slots.last(WINDOW);
      this.#move(oldest, PROBATION);
      if (candidates++ === 0) candidate = oldest;
    }
    while (this.size > this.#max) {
      if (candidates === 0) {
        this.#evictSlot(this.#fallbackVictim());
        continue;
      }
      const victim = this.#slots.last(PROBATION);
      const newer = this.#slots.prev[candidate]!;
      if (victim !== candidate && this.#admits(candidate, victim)) this.#evictSlot(victim);
      else this.#evictSlot(candidate);
      candidate = newer;
      candidates--;
    }
  }

  /** TinyLFU admission: the candidate must be estimated more popular than the victim. */
  #admits(candidate: number, victim: number): boolean {
    const candidateFrequency = this.#sketch.frequency(this.#hashes[candidate]!);
    const victimFrequency = this.#sketch.frequency(this.#hashes[victim]!);
    if (candidateFrequency > victimFrequency) return true;
    if (candidateFrequency < FLOODING_THRESHOLD) return false;
    return this.#settings.random() < 1 / 128;
  }

  #evictSlot(slot: number): void {
    this.#evict(slot);
    this.remove(slot);
  }

  #fallbackVictim(): number {
    for (const list of [PROBATION, PROTECTED, WINDOW])
      if (this.#counts[list]! > 0) return this.#slots.last(list);
    return WINDOW;
  }

  #demoteProtectedOverflow(): void {
    while (this.#counts[PROTECTED]! > this.#protectedMax) this.#move(this.#slots.last(PROTECTED), PROBATION);
  }

  #climb(hit: boolean): void {
    if (this.#climber === undefined) return;
    const adjustment = this.#climber.record(hit);
    if (adjustment !== 0) this.#resizeWindow(adjustment);
  }

  /** Grows (or shrinks) the window by taking quota from (or giving it to) the protected segment. */
  #resizeWindow(adjustment: number): void {
    const windowMax = Math.min(this.#max - 1, Math.max(1, this.#windowMax + adjustment));
    const growth = windowMax - this.#windowMax;
    if (growth === 0) return;
    this.#windowMax = windowMax;
    this.#protectedMax = Math.max(0, Math.floor((this.#max - windowMax) * this.#settings.protectedFraction));
    this.#demoteProtectedOverflow();
    // Growing the window pulls main's least recent entries into it; shrinking pushes the window's out.
    while (growth > 0 && this.#counts[WINDOW]! < windowMax && this.size > this.#counts[WINDOW]!) {
      this.#move(this.#slots.last(this.#counts[PROBATION]! > 0 ? PROBATION : PROTECTED), WINDOW);
    }
    while (this.#counts[WINDOW]! > windowMax) this.#move(this.#slots.last(WINDOW), PROBATION);
  }

  #link(slot: number, queue: number): void {
    this.#queues[slot] = queue;
    this.#counts[queue]!++;
    this.#slots.linkFront(slot, queue);
  }

  #move(slot: number, queue: number): void {
    this.#counts[this.#queues[slot]!]!--;
    this.#slots.unlink(slot);
    this.#link(slot, queue);
  }
}
