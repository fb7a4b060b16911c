/**
 * Turns what a user hands us (PEM text, a PEM file read as bytes, or DER)
 * into the DER bytes of one certificate, with a precise reason when that is
 * not possible. Like `openssl x509 -in`, the first CERTIFICATE block of a
 * PEM file is used and other blocks (a key in a combined HAProxy .pem, the
 * rest of a chain) are skipped.
 */
import { CertificateInputError } from './errors';
import { DerError, Tag, children, isUniversal, readNode } from './der-reader';

/** PEM text or DER; a Buffer is a Uint8Array. */
export type CertificateInput = string | Uint8Array | ArrayBuffer;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);

/** Returns the DER encoding of what should be the certificate in `input`. */
export function certificateDer(input: CertificateInput): Uint8Array {
  if (typeof input === 'string') return derFromPem(input);
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) bytes = input;
  else if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
  else {
    throw new CertificateInputError(
      'unsupported_input',
      `certificate input must be PEM text or DER bytes (string, Uint8Array or ArrayBuffer), got ${describe(input)}`,
    );
  }

  const text = Buffer.from(bytes).toString('latin1');
  if (text.trim() === '') {
    throw new CertificateInputError('empty_input', 'certificate input is empty');
  }
  // A file read from disk may be PEM; DER always starts with a SEQUENCE tag.
  if (bytes[0] !== 0x30) {
    if (text.includes('-----BEGIN ')) return derFromPem(text);
    if (/^[\x20-\x7e\t\r\n]*$/.test(text)) {
      throw new CertificateInputError('not_pem', 'input is text but not PEM: expected a "-----BEGIN CERTIFICATE-----" block');
    }
    throw new CertificateInputError(
      'not_a_certificate',
      'input is neither PEM (no "-----BEGIN" line) nor DER (it does not start with a SEQUENCE)',
    );
  }
  return checkDer(bytes);
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (typeof input === 'object') return (input as object).constructor?.name ?? 'object';
  return typeof input;
}

function derFromPem(text: string): Uint8Array {
  if (text.trim() === '') {
    throw new CertificateInputError('empty_input', 'certificate input is empty');
  }
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], body: m[2] }));
  const certificate = blocks.find((b) => CERTIFICATE_LABELS.has(b.label));
  if (certificate) return checkDer(decodePemBody(certificate.label, certificate.body));

  if (blocks.some((b) => b.label.endsWith('PRIVATE KEY'))) {
    throw new CertificateInputError(
      'private_key',
      'input holds a private key, not a certificate; pass the certificate (BEGIN CERTIFICATE) instead',
    );
  }
  if (blocks.length > 0) {
    const labels = blocks.map((b) => b.label).join(', ');
    throw new CertificateInputError('not_a_certificate', `PEM input holds ${labels}, not a CERTIFICATE`);
  }
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text);
  if (begin) {
    const reason = begin[1].endsWith('PRIVATE KEY') ? 'private_key' : 'not_pem';
    throw new CertificateInputError(reason, `PEM block "BEGIN ${begin[1]}" has no matching END line (truncated file?)`);
  }
  throw new CertificateInputError(
    'not_pem',
    'input is not PEM: expected a "-----BEGIN CERTIFICATE-----" block (pass DER as bytes)',
  );
}

function decodePemBody(label: string, body: string): Uint8Array {
  // RFC 1421 headers ("Proc-Type: ...") may precede the base64 text.
  const lines = body.split(/\r?\n/).filter((line) => !line.includes(':'));
  const base64 = lines.join('').replace(/\s+/g, '');
  if (base64 === '') {
    throw new CertificateInputError('empty_input', `PEM block "${label}" is empty`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1) {
    throw new CertificateInputError('bad_base64', `PEM block "${label}" is not valid base64`);
  }
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/**
 * Outer checks that give precise reasons; whether the content is really a
 * certificate is decided in client-certificate.ts.
 */
function checkDer(der: Uint8Array): Uint8Array {
  let outer;
  try {
    outer = readNode(der);
  } catch (e) {
    const err = e as DerError;
    throw new CertificateInputError(
      err.truncated ? 'truncated_der' : 'not_a_certificate',
      err.truncated
        ? `DER is truncated: ${err.message} (input has ${der.length} bytes)`
        : `input is not DER: ${err.message}`,
    );
  }
  if (outer.tlv.length < der.length) {
    throw new CertificateInputError(
      'trailing_data',
      `${der.length - outer.tlv.length} bytes follow the certificate's DER encoding`,
    );
  }
  if (looksLikePrivateKey(outer.tlv)) {
    throw new CertificateInputError('private_key', 'input is a DER private key, not a certificate');
  }
  return der;
}

/** PKCS #8 PrivateKeyInfo or a PKCS #1 / SEC 1 key: SEQUENCE { INTEGER (version), ... }. */
function looksLikePrivateKey(der: Uint8Array): boolean {
  try {
    const parts = children(readNode(der));
    if (parts.length < 2 || !isUniversal(parts[0], Tag.INTEGER)) return false;
    const version = parts[0].content;
    if (version.length !== 1 || version[0] > 1) return false;
    const second = parts[1];
    const pkcs8 = isUniversal(second, Tag.SEQUENCE) && parts.length >= 3 && isUniversal(parts[2], Tag.OCTET_STRING);
    const pkcs1 = isUniversal(second, Tag.INTEGER) && parts.length >= 9;
    const sec1 = isUniversal(second, Tag.OCTET_STRING);
    return pkcs8 || pkcs1 || sec1;
  } catch {
    return false;
  }
}
