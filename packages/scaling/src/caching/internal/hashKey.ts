/** Hashes any cache key to a 32-bit integer for the frequency sketch; collisions only blur estimates. */
export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return hashString(key, 0x9747b28c);
    case 'number':
      return hashNumber(key);
    case 'object':
    case 'function':
      return key === null ? 0x1b873593 : identityHash(key);
    case 'boolean':
      return key ? 0x2c1b3c6d : 0x297a2d39;
    case 'undefined':
      return 0x68e31da4;
    case 'bigint':
      return hashString(key.toString(), 0x5bd1e995);
    default:
      return hashString(String((key as symbol).description), 0xcc9e2d51);
  }
}

const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);

function hashNumber(value: number): number {
  // Integers (the common case) skip the float view; the seed keeps 1 and '1' apart.
  if ((value | 0) === value) return mix(Math.imul(value, 0x9e3779b1) ^ 0x3c6ef372);
  float[0] = value;
  return mix(words[0]! ^ Math.imul(words[1]!, 0x85ebca6b));
}

/** FNV-1a over UTF-16 code units, finished with a murmur mix. */
export function hashString(text: string, seed: number): number {
  let hash = seed ^ text.length;
  for (let at = 0; at < text.length; at++) hash = Math.imul(hash ^ text.charCodeAt(at), 0x01000193);
  return mix(hash);
}

/** The murmur3 32-bit finaliser: spreads every input bit over the output. */
export function mix(input: number): number {
  let hash = input;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) | 0;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

function identityHash(key: object): number {
  let id = identities.get(key);
  if (id === undefined) {
    id = mix(nextIdentity++ ^ 0x27d4eb2f);
    identities.set(key, id);
  }
  return id;
}
