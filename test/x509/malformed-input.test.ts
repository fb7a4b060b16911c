/**
 * Inputs that are not one certificate get a CertificateInputError with a
 * stable reason and a message that names the problem.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { CertificateInputError, CertificateInputReason, inspectCertificate, issuerDn } from '../../libs/x509/src';
import { loadCorpus } from './support/corpus';

const glance = loadCorpus().find((c) => c.file === 'doc-glance.json')!;
const pem = glance.cert_pem!;
const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
const intermediatePem = glance.chain_pem!.split(/(?<=-----END CERTIFICATE-----\n)/)[0];
const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function refuses(input: unknown, reason: CertificateInputReason, message: RegExp): void {
  assert.throws(
    () => inspectCertificate(input as string),
    (e: unknown) => {
      assert.ok(e instanceof CertificateInputError, `not a CertificateInputError: ${String(e)}`);
      assert.equal(e.reason, reason);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe('malformed certificate input', () => {
  it('empty string, whitespace, empty bytes', () => {
    refuses('', 'empty_input', /empty/);
    refuses(' \n\t', 'empty_input', /empty/);
    refuses(new Uint8Array(), 'empty_input', /empty/);
  });

  it('text that is not PEM', () => {
    refuses('hello world', 'not_pem', /not PEM/);
    refuses(Buffer.from('hello world\n'), 'not_pem', /text but not PEM/);
    refuses(der.toString('base64'), 'not_pem', /BEGIN CERTIFICATE/);
  });

  it('a PEM block cut before its END line', () => {
    refuses(pem.slice(0, 200), 'not_pem', /no matching END line/);
  });

  it('a PEM body that is not base64', () => {
    refuses('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n', 'bad_base64', /not valid base64/);
  });

  it('a private key, as PEM and as DER', () => {
    refuses(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'private_key', /private key/);
    refuses(keys.privateKey.export({ type: 'sec1', format: 'pem' }) as string, 'private_key', /private key/);
    refuses(keys.privateKey.export({ type: 'pkcs8', format: 'der' }), 'private_key', /private key/);
  });

  it('PEM of something else', () => {
    refuses(keys.publicKey.export({ type: 'spki', format: 'pem' }) as string, 'not_a_certificate', /PUBLIC KEY/);
  });

  it('DER cut short', () => {
    refuses(der.subarray(0, der.length - 10), 'truncated_der', /truncated/);
    refuses(der.subarray(0, 1), 'truncated_der', /truncated/);
  });

  it('bytes after the certificate', () => {
    refuses(Buffer.concat([der, Buffer.from([0, 0])]), 'trailing_data', /2 bytes follow/);
  });

  it('well-formed DER that is not a certificate', () => {
    refuses(keys.publicKey.export({ type: 'spki', format: 'der' }), 'not_a_certificate', /not an X\.509 certificate/);
    refuses(Buffer.from('3003020105', 'hex'), 'not_a_certificate', /not an X\.509 certificate/);
    refuses(Buffer.from('deadbeef', 'hex'), 'not_a_certificate', /neither PEM .* nor DER/);
  });

  it('neither text nor bytes', () => {
    refuses(42, 'unsupported_input', /got number/);
    refuses({ pem }, 'unsupported_input', /got Object/);
  });
});

describe('accepted input forms', () => {
  it('PEM string, PEM bytes, DER Buffer, DER ArrayBuffer give the same answer', () => {
    const expected = issuerDn(pem, 'apache');
    const arrayBuffer = der.buffer.slice(der.byteOffset, der.byteOffset + der.length);
    for (const input of [pem, Buffer.from(pem), der, new Uint8Array(der), arrayBuffer]) {
      assert.equal(issuerDn(input, 'apache'), expected);
    }
  });

  it('the first CERTIFICATE block wins, other blocks are skipped (as openssl x509 -in)', () => {
    const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    assert.equal(issuerDn(keyPem + pem + intermediatePem, 'apache'), issuerDn(pem, 'apache'));
    assert.equal(issuerDn('subject=junk\r\n' + pem.replace(/\n/g, '\r\n'), 'apache'), issuerDn(pem, 'apache'));
  });
});
