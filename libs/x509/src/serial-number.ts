/**
 * The serial number in each producer's notation, from the DER content
 * octets (two's complement). OpenSSL keeps the sign apart from the
 * magnitude, which is why a negative serial prints as "-2A" in Apache and
 * openssl but as "2A" in HAProxy, which copies the magnitude bytes only.
 */
import { toUpperHex } from './bytes';

export interface SerialNumber {
  readonly negative: boolean;
  /** Magnitude, at least one byte ("00" for zero). */
  readonly magnitude: Uint8Array;
  readonly value: bigint;
}

export function serialFromContent(content: Uint8Array): SerialNumber {
  let value = 0n;
  for (const b of content) value = (value << 8n) | BigInt(b);
  const negative = content.length > 0 && (content[0] & 0x80) !== 0;
  if (negative) value -= 1n << BigInt(content.length * 8);

  const abs = negative ? -value : value;
  let hex = abs.toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  return { negative, magnitude: new Uint8Array(Buffer.from(hex, 'hex')), value };
}

/** i2a_ASN1_INTEGER: SSL_CLIENT_M_SERIAL and `openssl x509 -serial`. */
export function opensslSerialHex(serial: SerialNumber): string {
  return (serial.negative ? '-' : '') + toUpperHex(serial.magnitude);
}

/** HAProxy `ssl_c_serial,hex`: the magnitude only. */
export function haproxySerialHex(serial: SerialNumber): string {
  return toUpperHex(serial.magnitude);
}

/** The decimal form used inside SSL_CLIENT_CERT_RFC4523_CEA. */
export function serialDecimal(serial: SerialNumber): string {
  return serial.value.toString(10);
}
