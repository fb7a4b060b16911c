/**
 * The fields of a certificate that SSL terminators turn into strings, read
 * once from the DER. Nothing here formats anything: each producer's format
 * lives in its own module.
 */
import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { Asn1Time, asn1TimeFromTag } from './asn1-time';
import { CertificateInput, certificateDer } from './certificate-input';
import { DerNode, children, isContext, readNode } from './der-reader';
import { DistinguishedName, UnreadableNameError, readName } from './distinguished-name';
import { CertificateInputError } from './errors';
import { oidToDotted } from './object-identifier';
import { OID_SUBJECT_ALT_NAME } from './oid-names';
import { SerialNumber, serialFromContent } from './serial-number';

/** One subjectAltName entry, kept as raw as the consumers need it. */
export type AltName =
  | { readonly kind: 'email' | 'dns'; readonly value: Uint8Array }
  | { readonly kind: 'otherName'; readonly typeId: string; readonly value: DerNode | undefined }
  | { readonly kind: 'other'; readonly tag: number };

export interface ClientCertificate {
  readonly der: Uint8Array;
  /** X509_get_version() + 1: 3 for a v3 certificate. */
  readonly version: number;
  readonly serial: SerialNumber;
  /** The outer signatureAlgorithm (what X509_get_signature_nid reads). */
  readonly signatureAlgorithmOid: string;
  readonly publicKeyAlgorithmOid: string;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Asn1Time;
  readonly notAfter: Asn1Time;
  /** Empty when there is no (decodable) subjectAltName extension. */
  readonly altNames: readonly AltName[];
}

/**
 * Parses PEM or DER input; throws CertificateInputError. The DN values are
 * checked first, because OpenSSL's reason for refusing a certificate is
 * more useful than a schema mismatch; @peculiar/x509 then confirms the
 * whole structure is an X.509 certificate.
 */
export function readCertificate(input: CertificateInput): ClientCertificate {
  const der = certificateDer(input);
  let fields: ClientCertificate | undefined;
  let fieldError = '';
  try {
    fields = fieldsOf(der);
  } catch (e) {
    fieldError = (e as Error).message;
    if (e instanceof UnreadableNameError) {
      throw new CertificateInputError(
        'unreadable_name',
        `${e.message}; OpenSSL (and so Apache and HAProxy) refuses such a certificate`,
      );
    }
  }
  try {
    new X509Certificate(der);
  } catch (e) {
    throw new CertificateInputError('not_a_certificate', `input is not an X.509 certificate: ${(e as Error).message}`);
  }
  if (!fields) {
    throw new CertificateInputError('not_a_certificate', `input is not an X.509 certificate: ${fieldError}`);
  }
  return fields;
}

function fieldsOf(der: Uint8Array): ClientCertificate {
  const [tbs, signatureAlgorithm] = children(readNode(der));
  const fields = children(tbs);
  let i = 0;
  let version = 1;
  if (isContext(fields[0], 0)) {
    const [v] = children(fields[0]);
    version = Number(v.content[v.content.length - 1] ?? 0) + 1;
    i = 1;
  }
  const serial = fields[i];
  const issuer = fields[i + 2];
  const validity = children(fields[i + 3]);
  const subject = fields[i + 4];
  const spki = fields[i + 5];
  const extensions = fields.slice(i + 6).find((f) => isContext(f, 3));

  return {
    der,
    version,
    serial: serialFromContent(serial.content),
    signatureAlgorithmOid: algorithmOid(signatureAlgorithm),
    publicKeyAlgorithmOid: algorithmOid(children(spki)[0]),
    issuer: nameOrThrow('issuer', issuer),
    subject: nameOrThrow('subject', subject),
    notBefore: asn1TimeFromTag(validity[0].tagNumber, validity[0].content),
    notAfter: asn1TimeFromTag(validity[1].tagNumber, validity[1].content),
    altNames: extensions ? altNamesOf(extensions) : [],
  };
}

function nameOrThrow(which: string, node: DerNode): DistinguishedName {
  try {
    return readName(node);
  } catch (e) {
    if (e instanceof UnreadableNameError) throw new UnreadableNameError(`${which} DN: ${e.message}`);
    throw e;
  }
}

function algorithmOid(algorithmIdentifier: DerNode): string {
  return oidToDotted(children(algorithmIdentifier)[0].content);
}

/**
 * OpenSSL ignores a subjectAltName it cannot decode (X509_get_ext_d2i gives
 * NULL), so a malformed one yields no entries rather than an error.
 */
function altNamesOf(extensionsField: DerNode): AltName[] {
  try {
    const [list] = children(extensionsField);
    for (const extension of children(list)) {
      const parts = children(extension);
      if (oidToDotted(parts[0].content) !== OID_SUBJECT_ALT_NAME) continue;
      const value = parts[parts.length - 1];
      return children(readNode(value.content)).map(altNameOf);
    }
  } catch {
    return [];
  }
  return [];
}

function altNameOf(node: DerNode): AltName {
  if (isContext(node, 1)) return { kind: 'email', value: node.content };
  if (isContext(node, 2)) return { kind: 'dns', value: node.content };
  if (isContext(node, 0)) {
    const [typeId, wrapped] = children(node);
    const value = wrapped && isContext(wrapped, 0) ? children(wrapped)[0] : undefined;
    return { kind: 'otherName', typeId: oidToDotted(typeId.content), value };
  }
  return { kind: 'other', tag: node.tagNumber };
}
