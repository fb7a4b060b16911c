/**
 * A distinguished name as OpenSSL stores it (X509_NAME): a flat list of
 * entries in encoding order, each remembering which RDN ("set") it came
 * from. Every terminator format is a different walk over this list.
 */
import { Asn1StringValue } from './asn1-string-print';
import { DerNode, TAG_CLASS_UNIVERSAL, Tag, children, isUniversal } from './der-reader';
import { oidToDotted } from './object-identifier';
import { algorithmNames, attributeShortName } from './oid-names';

export interface NameEntry {
  /** Dotted attribute type. */
  readonly oid: string;
  /** OpenSSL's short name, undefined when OpenSSL has no name for it. */
  readonly shortName: string | undefined;
  /** Index of the RDN in the encoded SEQUENCE; equal for AVAs of one RDN. */
  readonly set: number;
  readonly value: Asn1StringValue;
}

export type DistinguishedName = readonly NameEntry[];

/**
 * A DN value OpenSSL refuses while decoding the certificate (so Apache and
 * HAProxy fail the handshake and never pass any string for it).
 */
export class UnreadableNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableNameError';
  }
}

/** Reads Name ::= SEQUENCE OF RelativeDistinguishedName. */
export function readName(node: DerNode): DistinguishedName {
  if (!isUniversal(node, Tag.SEQUENCE)) throw new Error('Name is not a SEQUENCE');
  const entries: NameEntry[] = [];
  children(node).forEach((rdn, set) => {
    if (!isUniversal(rdn, Tag.SET)) throw new Error('RDN is not a SET');
    // AVAs keep the order they have in the encoding: a CA sorts them as
    // DER SET OF requires, which is why mv-three lists serialNumber first.
    for (const ava of children(rdn)) {
      const [type, value] = children(ava);
      if (!type || !value || !isUniversal(type, Tag.OID)) {
        throw new Error('AttributeTypeAndValue is malformed');
      }
      const oid = oidToDotted(type.content);
      const shortName = knownShortName(oid);
      const problem = valueProblem(value);
      if (problem) throw new UnreadableNameError(`${shortName ?? oid} value ${problem}`);
      entries.push({ oid, shortName, set, value: asn1StringValue(value) });
    }
  });
  return entries;
}

/**
 * Universal tags OpenSSL accepts as a DN value (the B_ASN1_PRINTABLE mask of
 * X509_NAME_ENTRY, where tags without a bit of their own count as
 * "unknown" and pass): BIT STRING, SEQUENCE, the string types it knows and
 * the odd ones (7-9, 11, 13-15, 29). VisibleString, GeneralString,
 * OCTET STRING, INTEGER, times, SET and any non-universal tag are refused.
 */
const ACCEPTED_VALUE_TAGS = new Set([3, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 28, 29, 30]);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Why OpenSSL would refuse this value, or undefined. Besides the tag,
 * OpenSSL converts every text value to UTF-8 while decoding (to compare
 * names), which fails for invalid UTF-8, a BMPString or UniversalString
 * of the wrong length, surrogates and code points past U+10FFFF.
 */
function valueProblem(node: DerNode): string | undefined {
  if (node.tagClass !== TAG_CLASS_UNIVERSAL || !ACCEPTED_VALUE_TAGS.has(node.tagNumber)) {
    return `has ASN.1 tag ${node.tagClass === TAG_CLASS_UNIVERSAL ? node.tagNumber : `[${node.tagNumber}]`}, which OpenSSL does not accept in a name`;
  }
  if (node.constructed !== (node.tagNumber === Tag.SEQUENCE)) {
    return 'uses a constructed string encoding, which DER forbids';
  }
  const data = node.content;
  if (node.tagNumber === Tag.UTF8_STRING) {
    try {
      strictUtf8.decode(data);
    } catch {
      return 'is a UTF8String that is not valid UTF-8';
    }
  }
  const width = node.tagNumber === Tag.BMP_STRING ? 2 : node.tagNumber === Tag.UNIVERSAL_STRING ? 4 : 0;
  if (width > 0) {
    if (data.length % width !== 0) return `has a length that is not a multiple of ${width}`;
    for (let i = 0; i < data.length; i += width) {
      let c = 0;
      for (let k = 0; k < width; k++) c = c * 256 + data[i + k];
      if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
        return `holds U+${c.toString(16).toUpperCase()}, which is not a Unicode scalar value`;
      }
    }
  }
  return undefined;
}

function knownShortName(oid: string): string | undefined {
  return attributeShortName(oid) ?? algorithmNames(oid)?.short;
}

/**
 * OpenSSL keeps the content octets of a string, but the whole encoding of
 * a SEQUENCE value.
 */
function asn1StringValue(node: DerNode): Asn1StringValue {
  if (node.tagClass !== TAG_CLASS_UNIVERSAL) {
    return { type: -1, data: node.tlv, tlv: node.tlv };
  }
  if (node.tagNumber === Tag.SEQUENCE) return { type: Tag.SEQUENCE, data: node.tlv, tlv: node.tlv };
  // A BIT STRING's data excludes its leading unused-bits octet.
  const data = node.tagNumber === Tag.BIT_STRING ? node.content.subarray(1) : node.content;
  return { type: node.tagNumber, data, tlv: node.tlv };
}
