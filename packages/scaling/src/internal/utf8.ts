const encoder = new TextEncoder();
let buffer = new Uint8Array(256);

/**
 * The UTF-8 bytes of `text` in a shared scratch buffer (valid until the next call) and their
 * count. Reusing one buffer keeps hashing of short keys free of allocations.
 */
export function utf8Bytes(text: string): { readonly bytes: Uint8Array; readonly length: number } {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  if (text.length * 3 > buffer.length) buffer = new Uint8Array(text.length * 3);
  let ascii = true;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x80) {
      ascii = false;
      break;
    }
    buffer[index] = code;
  }
  if (ascii) return { bytes: buffer, length: text.length };
  const { written } = encoder.encodeInto(text, buffer);
  return { bytes: buffer, length: written };
}
