/** CRC16-CCITT (XMODEM) lookup table: the checksum Redis Cluster hashes keys with. */
const TABLE = new Uint16Array(256).map((_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  return crc & 0xffff;
});

const encoder = new TextEncoder();

/** The part of `key` Redis Cluster hashes: the first non-empty `{...}`, or the whole key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** The Redis Cluster hash slot (0-16383) of `key`, as `CLUSTER KEYSLOT` computes it. */
export function keySlot(key: string): number {
  let crc = 0;
  for (const byte of encoder.encode(hashTagOf(key)))
    crc = ((crc << 8) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!) & 0xffff;
  return crc % 16384;
}
