/**
 * Dotted text of an OBJECT IDENTIFIER, as OpenSSL's OBJ_obj2txt(…, 1)
 * prints it. BigInt keeps arcs above 2^53 exact.
 */
export function oidToDotted(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let value = 0n;
  for (const b of content) {
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (arcs.length === 0) return '';

  // The first subidentifier packs two arcs: 40 * X + Y, with X at most 2.
  const head = arcs[0];
  const first = head < 40n ? 0n : head < 80n ? 1n : 2n;
  const parts = [first, head - first * 40n, ...arcs.slice(1)];
  return parts.map((arc) => arc.toString()).join('.');
}

/**
 * OpenSSL prints attribute types it does not know into fixed buffers and
 * silently cuts longer text: 80 bytes in X509_NAME_print_ex and
 * X509_NAME_oneline, 128 in HAProxy. Only absurd OIDs reach that length.
 */
export function truncateOidText(text: string, bufferSize: number): string {
  return text.length < bufferSize ? text : text.slice(0, bufferSize - 1);
}
