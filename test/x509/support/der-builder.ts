/**
 * Builds certificates byte by byte, so tests can put into a DN what no
 * `openssl req` configuration produces (odd string types, broken lengths,
 * unknown OIDs) and then ask the real openssl CLI what it prints.
 */
import { createSign, generateKeyPairSync, KeyObject } from 'node:crypto';

export function tlv(tag: number, content: Uint8Array | number[]): Buffer {
  const body = Buffer.from(content);
  const n = body.length;
  let length: number[];
  if (n < 0x80) length = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

export const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
export const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const out: number[] = [];
  const encodeArc = (arc: bigint): void => {
    const bytes: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) bytes.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...bytes);
  };
  encodeArc(arcs[0] * 40n + arcs[1]);
  arcs.slice(2).forEach(encodeArc);
  return tlv(0x06, out);
}

/** One AVA: attribute OID, universal tag of the value, value content bytes. */
export interface Ava {
  readonly oid: string;
  readonly tag: number;
  readonly value: Uint8Array | string;
}

const valueBytes = (v: Uint8Array | string): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v));

/** A Name from RDNs, each a list of AVAs written in the given order. */
export function name(rdns: readonly (readonly Ava[])[]): Buffer {
  return seq(
    ...rdns.map((rdn) => set(...rdn.map((ava) => seq(oid(ava.oid), tlv(ava.tag, valueBytes(ava.value)))))),
  );
}

export const utf8 = (oidText: string, value: string): Ava => ({ oid: oidText, tag: 0x0c, value });

export function bmp(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i) >> 8, text.charCodeAt(i) & 0xff);
  return Uint8Array.from(out);
}

export function ucs4(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    out.push((c >>> 24) & 0xff, (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
  }
  return Uint8Array.from(out);
}

export interface CertificateSpec {
  readonly subject: readonly (readonly Ava[])[];
  readonly issuer?: readonly (readonly Ava[])[];
  /** Content octets of the serial INTEGER (two's complement). */
  readonly serial?: number[];
  readonly notBefore?: { readonly tag: number; readonly text: string };
  readonly notAfter?: { readonly tag: number; readonly text: string };
  /** Raw extensions SEQUENCE content, if any. */
  readonly extensions?: Buffer[];
}

let key: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

function signingKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  key ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return key;
}

const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), tlv(0x05, []));

/** A DER certificate signed by a throwaway RSA key (self-consistent, not trusted). */
export function buildCertificate(spec: CertificateSpec): Buffer {
  const { privateKey, publicKey } = signingKey();
  const time = (t: { tag: number; text: string }): Buffer => tlv(t.tag, Buffer.from(t.text, 'latin1'));
  const parts = [
    tlv(0xa0, tlv(0x02, [2])),
    tlv(0x02, spec.serial ?? [0x10, 0x02]),
    SHA256_WITH_RSA,
    name(spec.issuer ?? [[utf8('2.5.4.3', 'Test Issuer')]]),
    seq(
      time(spec.notBefore ?? { tag: 0x17, text: '250101000000Z' }),
      time(spec.notAfter ?? { tag: 0x17, text: '350101000000Z' }),
    ),
    name(spec.subject),
    publicKey.export({ type: 'spki', format: 'der' }),
  ];
  if (spec.extensions) parts.push(tlv(0xa3, seq(...spec.extensions)));
  const tbs = seq(...parts);
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  return seq(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
}

export function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
