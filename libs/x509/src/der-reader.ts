/**
 * A minimal DER walker. @peculiar/x509 decides whether the input is a
 * certificate at all, but its decoded views normalise what we must copy
 * byte for byte (string types, raw time text, the sign of the serial), so
 * the few fields the terminators print are read from the raw TLVs here.
 */

export const TAG_CLASS_UNIVERSAL = 0;
export const TAG_CLASS_CONTEXT = 2;

export interface DerNode {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly tagClass: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** Content octets only. */
  readonly content: Uint8Array;
  /** The whole encoding: identifier, length and content. */
  readonly tlv: Uint8Array;
}

export class DerError extends Error {
  constructor(
    readonly truncated: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'DerError';
  }
}

/** Reads one TLV at `offset`; `end` bounds the enclosing value. */
export function readNode(bytes: Uint8Array, offset = 0, end = bytes.length): DerNode {
  let pos = offset;
  const need = (n: number, what: string): void => {
    if (pos + n > end) {
      throw new DerError(true, `DER ends inside ${what} at byte ${pos}`);
    }
  };

  need(1, 'a tag');
  const first = bytes[pos++];
  const tagClass = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (;;) {
      need(1, 'a long-form tag');
      const b = bytes[pos++];
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }

  need(1, 'a length');
  let length = bytes[pos++];
  if (length === 0x80) {
    throw new DerError(false, `indefinite length at byte ${pos - 1} is not DER`);
  }
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 6) throw new DerError(false, `length of ${count} octets at byte ${pos - 1}`);
    need(count, 'a long-form length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[pos++];
  }
  need(length, `a value of ${length} bytes`);

  return {
    tagClass,
    constructed,
    tagNumber,
    content: bytes.subarray(pos, pos + length),
    tlv: bytes.subarray(offset, pos + length),
  };
}

/** The children of a constructed node, in encoding order. */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const child = readNode(node.content, offset);
    out.push(child);
    offset += child.tlv.length;
  }
  return out;
}

export function isUniversal(node: DerNode, tagNumber: number): boolean {
  return node.tagClass === TAG_CLASS_UNIVERSAL && node.tagNumber === tagNumber;
}

/** A primitive universal node of the given tag, e.g. a UTF8String. */
export function isPrimitiveUniversal(node: DerNode | undefined, tagNumber: number): node is DerNode {
  return node !== undefined && isUniversal(node, tagNumber) && !node.constructed;
}

export function isContext(node: DerNode, tagNumber: number): boolean {
  return node.tagClass === TAG_CLASS_CONTEXT && node.tagNumber === tagNumber;
}

/** Universal tag numbers used below. */
export const Tag = {
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  NUMERIC_STRING: 18,
  PRINTABLE_STRING: 19,
  T61_STRING: 20,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  VISIBLE_STRING: 26,
  GENERAL_STRING: 27,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;
