/**
 * libs/x509: what Apache mod_ssl, HAProxy and the openssl CLI make of a
 * client certificate, byte for byte, and the Keystone identity provider id
 * each of them leads to. Pure: no NestJS, no HTTP, no database.
 */
import 'reflect-metadata';

export { CertificateInputError, CertificateInputReason } from './errors';
export { CertificateInput } from './certificate-input';
export { ClientCertificate, readCertificate } from './client-certificate';
export { DnFormat, ISSUER_FORMATS, isDnFormat } from './dn-formats';
export { idpIdFromIssuerString } from './idp-id';
export {
  CertificateInspection,
  InspectOptions,
  certificateFingerprint,
  idpId,
  inspectCertificate,
  issuerDn,
  subjectDn,
} from './inspect';
export { ApacheEnvOptions, apacheEnv, apacheEnvWithoutCertificate, apacheLegacyEnv } from './apache-env';
export {
  GUIDE_HAPROXY_HEADERS,
  HaproxyHeaderOptions,
  haproxyHeaders,
  haproxyHeadersWithoutCertificate,
} from './haproxy-headers';
export { GUIDE_SET_ENV_IF, HaproxyApacheEnvOptions, envFromHaproxyHeaders } from './haproxy-apache-env';
export { haproxyDnEntry } from './haproxy-dn-entry';
