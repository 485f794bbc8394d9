/** The version of one key while operations on it are in flight. */
interface KeyVersion {
  version: number;
  users: number;
}

/** What {@link KeyVersions.begin} hands an operation: the versions it started under. */
export interface VersionTicket {
  readonly key: string;
  readonly entry: KeyVersion;
  readonly version: number;
  readonly epoch: number;
}

/**
 * Per-key versions for the keys with an operation in flight, and one epoch for all keys: an
 * operation that read or wrote remote state may copy its result into a local cache only if
 * nothing changed the key (or every key) since it started. Keys without an operation in
 * flight are not tracked, so memory stays bounded by the concurrency, not the key space.
 */
export class KeyVersions {
  readonly #keys = new Map<string, KeyVersion>();
  #epoch = 0;

  /** Starts an operation on `key`; pair it with {@link end}. */
  begin(key: string): VersionTicket {
    let entry = this.#keys.get(key);
    if (entry === undefined) {
      entry = { version: 0, users: 0 };
      this.#keys.set(key, entry);
    }
    entry.users += 1;
    return { key, entry, version: entry.version, epoch: this.#epoch };
  }

  /** Ends an operation started with {@link begin}. */
  end(ticket: VersionTicket): void {
    ticket.entry.users -= 1;
    if (ticket.entry.users === 0 && this.#keys.get(ticket.key) === ticket.entry)
      this.#keys.delete(ticket.key);
  }

  /** Marks `key` changed: operations in flight on it must not fill the local cache. */
  bump(key: string): void {
    const entry = this.#keys.get(key);
    if (entry !== undefined) entry.version += 1;
  }

  /** Marks every key changed. */
  bumpAll(): void {
    this.#epoch += 1;
  }

  /** Whether nothing changed `ticket`'s key (or every key) since it began. */
  unchanged(ticket: VersionTicket): boolean {
    return ticket.entry.version === ticket.version && ticket.epoch === this.#epoch;
  }

  /** How many keys are tracked (operations in flight), for tests. */
  get size(): number {
    return this.#keys.size;
  }
}
