/**
 * Why a certificate input was refused. The values are stable: callers (the
 * CLI, the API's error envelope) branch on them, so never rename one.
 */
export type CertificateInputReason =
  | 'unsupported_input'
  | 'empty_input'
  | 'not_pem'
  | 'bad_base64'
  | 'private_key'
  | 'not_a_certificate'
  | 'truncated_der'
  | 'trailing_data'
  | 'unreadable_name';

/**
 * A certificate input that cannot be read. The message names the problem
 * in words an operator can act on; `reason` is the machine-readable form.
 */
export class CertificateInputError extends Error {
  constructor(
    readonly reason: CertificateInputReason,
    message: string,
  ) {
    super(message);
    this.name = 'CertificateInputError';
  }
}
