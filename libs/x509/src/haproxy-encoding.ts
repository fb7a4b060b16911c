/**
 * How HAProxy 2.6 writes a sample into a header with
 * `http-request set-header NAME <log-format>`: bytes 0x00-0x08, 0x0A-0x1F
 * and 0x7F become %XX (upper case), everything else, TAB and bytes above
 * 0x7F included, passes raw. `%{+Q}` adds no quotes there; `+E` puts a
 * backslash before '"' and '\'.
 */
import { ByteSink, hex2 } from './bytes';

export interface HeaderEncodingOptions {
  /** The log-format `+E` option. */
  readonly backslashEscape?: boolean;
}

export function encodeHeaderValue(value: Uint8Array, options: HeaderEncodingOptions = {}): Uint8Array {
  const out = new ByteSink();
  for (const b of value) {
    if (b <= 0x08 || (b >= 0x0a && b <= 0x1f) || b === 0x7f) {
      out.pushAscii('%' + hex2(b));
    } else if (options.backslashEscape && (b === 0x22 || b === 0x5c)) {
      out.push(0x5c, b);
    } else {
      out.push(b);
    }
  }
  return out.toBytes();
}

/**
 * A binary sample (ssl_c_sha1 without `,hex`) reaches the header only up to
 * its first 0x00 byte: the cast to a string stops there.
 */
export function binarySampleAsString(value: Uint8Array): Uint8Array {
  const nul = value.indexOf(0);
  return nul === -1 ? value : value.subarray(0, nul);
}
