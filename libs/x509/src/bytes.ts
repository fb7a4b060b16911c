/**
 * Small byte helpers. Every terminator format is built as bytes first,
 * because the producers we copy work on bytes (a T61 value is one byte per
 * character, HAProxy copies raw octets) and a JS string cannot hold that
 * without choosing an encoding too early.
 */

const UPPER_HEX = '0123456789ABCDEF';

/** Collects bytes without knowing the final length up front. */
export class ByteSink {
  #chunks: number[] = [];

  push(...bytes: number[]): void {
    for (const b of bytes) this.#chunks.push(b & 0xff);
  }

  pushBytes(bytes: Uint8Array): void {
    for (const b of bytes) this.#chunks.push(b);
  }

  /** ASCII only: names, separators and escapes are always ASCII. */
  pushAscii(text: string): void {
    for (let i = 0; i < text.length; i++) this.#chunks.push(text.charCodeAt(i) & 0xff);
  }

  get length(): number {
    return this.#chunks.length;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.#chunks);
  }
}

/** Two upper-case hex digits, the case every producer uses in escapes. */
export function hex2(byte: number): string {
  return UPPER_HEX[(byte >> 4) & 15] + UPPER_HEX[byte & 15];
}

export function toUpperHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += hex2(b);
  return out;
}

export function asciiBytes(text: string): Uint8Array {
  const sink = new ByteSink();
  sink.pushAscii(text);
  return sink.toBytes();
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns terminator output into a JS string the way the corpus records it:
 * UTF-8 when the bytes are valid UTF-8, otherwise the ISO-8859-1 reading
 * (one character per byte). The Latin-1 reading is also what a PEP 3333
 * WSGI server hands Keystone, so hashing its UTF-8 form reproduces
 * Keystone's id for such a value.
 */
export function bytesToText(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return latin1Text(bytes);
  }
}

function latin1Text(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}
