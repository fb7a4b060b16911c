/**
 * OpenSSL's ASN1_STRING_print_ex (crypto/asn1/a_strex.c, 3.0), the routine
 * behind every RFC 2253 string (openssl -nameopt rfc2253, Apache's
 * SSL_CLIENT_S_DN, HAProxy's rfc2253 fetches) and behind mod_ssl's
 * per-attribute variables. The escaping rules are subtle (only the first
 * leading and last trailing space, '#' only in first position, a backslash
 * doubled only when some escaping is on), so they are reproduced step by
 * step rather than approximated with a regular expression.
 */
import { ByteSink, hex2 } from './bytes';
import { Tag } from './der-reader';

/** The ASN1_STRFLGS_* bits a caller chooses. */
export interface StringPrintFlags {
  /** ESC_2253: backslash before , + " \ < > ; and edge spaces or '#'. */
  readonly esc2253?: boolean;
  /** ESC_CTRL: control characters as \XX. */
  readonly escCtrl?: boolean;
  /** ESC_MSB: bytes above 0x7F as \XX. */
  readonly escMsb?: boolean;
  /** UTF8_CONVERT: decode by string type, emit UTF-8. */
  readonly utf8Convert?: boolean;
  /** DUMP_UNKNOWN: string types without a width are hex-dumped. */
  readonly dumpUnknown?: boolean;
  /** DUMP_ALL: hex-dump whatever the type (unknown attribute types). */
  readonly dumpAll?: boolean;
}

// Bits of OpenSSL's char_type table (crypto/asn1/charmap.h) and escape flags.
const ESC_2253 = 0x01;
const ESC_CTRL = 0x02;
const ESC_MSB = 0x04;
const FIRST_ESC_2253 = 0x20;
const LAST_ESC_2253 = 0x40;
const BS_ESC = ESC_2253 | FIRST_ESC_2253 | LAST_ESC_2253;

/** char_type for 7-bit characters, reduced to the bits that matter here. */
function charType(c: number): number {
  if (c < 0x20 || c === 0x7f) return ESC_CTRL;
  switch (String.fromCharCode(c)) {
    case ' ':
      return FIRST_ESC_2253 | LAST_ESC_2253;
    case '#':
      return FIRST_ESC_2253;
    case '"':
    case '\\':
    case '+':
    case ',':
    case ';':
    case '<':
    case '>':
      return ESC_2253;
    default:
      return 0;
  }
}

/**
 * Bytes per character for each universal string tag (tag2nbyte): 0 means
 * UTF-8, -1 a type OpenSSL does not treat as text.
 */
function characterWidth(tag: number): number {
  switch (tag) {
    case Tag.UTF8_STRING:
      return 0;
    case Tag.NUMERIC_STRING:
    case Tag.PRINTABLE_STRING:
    case Tag.T61_STRING:
    case Tag.IA5_STRING:
    case Tag.UTC_TIME:
    case Tag.GENERALIZED_TIME:
    case Tag.VISIBLE_STRING:
      return 1;
    case Tag.UNIVERSAL_STRING:
      return 4;
    case Tag.BMP_STRING:
      return 2;
    default:
      return -1;
  }
}

/** An attribute value as OpenSSL holds it in an X509_NAME_ENTRY. */
export interface Asn1StringValue {
  /** Universal tag number, or -1 for anything OpenSSL cannot type. */
  readonly type: number;
  /** ASN1_STRING data: content octets (the whole TLV for SEQUENCE/SET). */
  readonly data: Uint8Array;
  /** The DER encoding, used by the '#' hex dump. */
  readonly tlv: Uint8Array;
}

/**
 * Appends the printed value to `out`. Returns false where OpenSSL fails
 * (a BMPString of odd length, for instance); OpenSSL has then already
 * written everything before this value, so callers stop there too.
 */
export function printAsn1String(
  value: Asn1StringValue,
  flags: StringPrintFlags,
  out: ByteSink,
): boolean {
  let width: number;
  if (flags.dumpAll) {
    width = -1;
  } else {
    width = value.type > 0 && value.type < 31 ? characterWidth(value.type) : -1;
    if (width === -1 && !flags.dumpUnknown) width = 1;
  }

  if (width === -1) {
    out.pushAscii('#');
    for (const b of value.tlv) out.pushAscii(hex2(b));
    return true;
  }

  // A UTF8String that is to be printed as UTF-8 is copied byte by byte:
  // OpenSSL avoids decoding and re-encoding it.
  let convert = false;
  if (flags.utf8Convert) {
    if (width === 0) width = 1;
    else convert = true;
  }

  const chars = decodeCharacters(value.data, width);
  if (chars === undefined) return false;

  const escFlags =
    (flags.esc2253 ? ESC_2253 : 0) | (flags.escCtrl ? ESC_CTRL : 0) | (flags.escMsb ? ESC_MSB : 0);
  chars.forEach((c, index) => {
    // The last-position flag replaces the first-position one, so a value
    // of one character is only escaped by the trailing-space rule.
    let position = 0;
    if (flags.esc2253 && index === 0) position = FIRST_ESC_2253;
    if (flags.esc2253 && index === chars.length - 1) position = LAST_ESC_2253;

    if (convert) {
      for (const b of utf8Encode(c)) escapeCharacter(b, escFlags | position, out);
    } else {
      escapeCharacter(c, escFlags | position, out);
    }
  });
  return true;
}

/** Splits content octets into code points by width; undefined if invalid. */
function decodeCharacters(data: Uint8Array, width: number): number[] | undefined {
  const chars: number[] = [];
  if (width === 1) {
    for (const b of data) chars.push(b);
    return chars;
  }
  if (width === 2 || width === 4) {
    if (data.length % width !== 0) return undefined;
    for (let i = 0; i < data.length; i += width) {
      let c = 0;
      for (let k = 0; k < width; k++) c = c * 256 + data[i + k];
      chars.push(c);
    }
    return chars;
  }
  // Width 0 without conversion: no caller in this library needs it, because
  // every producer we copy sets UTF8_CONVERT.
  return undefined;
}

/**
 * UTF8_putc: surrogates and values past U+10FFFF give no bytes at all, so
 * such characters disappear from the output, as they do in OpenSSL.
 */
function utf8Encode(c: number): number[] {
  if (c < 0x80) return [c];
  if (c < 0x800) return [0xc0 | (c >> 6), 0x80 | (c & 0x3f)];
  if (c < 0x10000) {
    if (c >= 0xd800 && c <= 0xdfff) return [];
    return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)];
  }
  if (c < 0x110000) {
    return [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)];
  }
  return [];
}

/** do_esc_char. */
function escapeCharacter(c: number, flags: number, out: ByteSink): void {
  if (c > 0xffff) {
    out.pushAscii('\\W' + c.toString(16).toUpperCase().padStart(8, '0'));
    return;
  }
  if (c > 0xff) {
    out.pushAscii('\\U' + c.toString(16).toUpperCase().padStart(4, '0'));
    return;
  }
  const chflags = c > 0x7f ? flags & ESC_MSB : charType(c) & flags;
  if (chflags & BS_ESC) {
    out.push(0x5c, c);
  } else if (chflags & (ESC_CTRL | ESC_MSB)) {
    out.pushAscii('\\' + hex2(c));
  } else if (c === 0x5c && (flags & (ESC_2253 | ESC_CTRL | ESC_MSB)) !== 0) {
    // Once any escaping is on, the escape character itself is escaped.
    out.push(0x5c, 0x5c);
  } else {
    out.push(c);
  }
}
