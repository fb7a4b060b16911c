/**
 * The two DN string families of OpenSSL 3.0: X509_NAME_print_ex with
 * XN_FLAG_RFC2253 and X509_NAME_oneline (what -nameopt compat prints and
 * what mod_ssl's +LegacyDNStringFormat passes).
 */
import { ByteSink, hex2 } from './bytes';
import { StringPrintFlags, printAsn1String } from './asn1-string-print';
import { Tag } from './der-reader';
import { DistinguishedName, NameEntry } from './distinguished-name';
import { truncateOidText } from './object-identifier';

/** ASN1_STRFLGS_RFC2253 with dump of unknown types as DER. */
const RFC2253_FLAGS: StringPrintFlags = {
  esc2253: true,
  escCtrl: true,
  escMsb: true,
  utf8Convert: true,
  dumpUnknown: true,
};

export interface Rfc2253Options {
  /**
   * Escape bytes above 0x7F as \XX (OpenSSL and HAProxy do). mod_ssl
   * clears this flag, which is the only difference of its SSL_CLIENT_S_DN.
   */
  readonly escapeNonAscii: boolean;
}

/**
 * RFC 2253 string: last RDN first, "," between RDNs, "+" inside one (also
 * reversed), short names, unknown types as dotted OID with a '#' dump.
 */
export function rfc2253Bytes(name: DistinguishedName, options: Rfc2253Options): Uint8Array {
  const out = new ByteSink();
  let previousSet = -1;
  for (let i = name.length - 1; i >= 0; i--) {
    const entry = name[i];
    if (previousSet !== -1) out.pushAscii(previousSet === entry.set ? '+' : ',');
    previousSet = entry.set;

    out.pushAscii(entry.shortName ?? truncateOidText(entry.oid, 80));
    out.pushAscii('=');
    const flags: StringPrintFlags = {
      ...RFC2253_FLAGS,
      escMsb: options.escapeNonAscii,
      dumpAll: entry.shortName === undefined,
    };
    if (!printAsn1String(entry.value, flags, out)) break;
  }
  return out.toBytes();
}

/**
 * X509_NAME_oneline: encoding order, "/" before each RDN and "+" inside
 * one, the raw content octets with every byte outside 0x20-0x7E as \xXX
 * and "/" "+" backslash-escaped (but not "\" itself, so it cannot be
 * parsed back unambiguously).
 */
export function onelineBytes(name: DistinguishedName): Uint8Array {
  const out = new ByteSink();
  let previousSet = -1;
  for (const entry of name) {
    out.pushAscii(previousSet === entry.set ? '+' : '/');
    previousSet = entry.set;
    out.pushAscii(entry.shortName ?? truncateOidText(entry.oid, 80));
    out.pushAscii('=');
    writeOnelineValue(entry, out);
  }
  return out.toBytes();
}

function writeOnelineValue(entry: NameEntry, out: ByteSink): void {
  const data = entry.value.data;
  const keep = generalStringMask(entry);
  data.forEach((b, j) => {
    if (!keep[j & 3]) return;
    if (b < 0x20 || b > 0x7e) out.pushAscii('\\x' + hex2(b));
    else if (b === 0x2f || b === 0x2b) out.push(0x5c, b);
    else out.push(b);
  });
}

/**
 * A legacy quirk kept for exactness: a GeneralString whose length is a
 * multiple of four and whose bytes 0-2 of every group are zero is printed
 * as one byte in four (it is taken for UCS-4 Latin-1 text).
 */
function generalStringMask(entry: NameEntry): readonly boolean[] {
  const data = entry.value.data;
  if (entry.value.type !== Tag.GENERAL_STRING || data.length % 4 !== 0) {
    return [true, true, true, true];
  }
  const nonZero = [false, false, false, false];
  data.forEach((b, j) => {
    if (b !== 0) nonZero[j & 3] = true;
  });
  if (nonZero[0] || nonZero[1] || nonZero[2]) return [true, true, true, true];
  return [false, false, false, true];
}
