/**
 * `tokenless x509 ...`: what each TLS terminator passes for a client
 * certificate, and the Keystone identity provider id it leads to.
 *
 *   x509 inspect CERT [--format F] [--json] [--now TIME]
 *   x509 idp-id CERT [--format F]
 *
 * CERT is a PEM or DER file, or "-" for standard input. Bad input (an
 * unreadable file, something that is not a certificate, an unknown format)
 * prints one line to stderr and sets exit code 2.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  CertificateInputError,
  CertificateInspection,
  DnFormat,
  ISSUER_FORMATS,
  idpId,
  inspectCertificate,
  isDnFormat,
} from '../../../../libs/x509/src';

const EXIT_BAD_INPUT = 2;

/** An input problem the user can fix; reported without a stack trace. */
class BadInput extends Error {}

export function registerX509Commands(program: Command): void {
  const x509 = program
    .command('x509')
    .description('inspect client certificates the way Apache mod_ssl, HAProxy and openssl see them');

  x509
    .command('inspect')
    .description('DN strings, IdP ids, Apache environment and HAProxy headers for a certificate')
    .argument('<cert>', 'PEM or DER certificate file, "-" for stdin')
    .option('--format <format>', `show only one DN format: ${ISSUER_FORMATS.join(', ')}`)
    .option('--json', 'print one JSON object with every format')
    .option('--now <time>', 'ISO 8601 time SSL_CLIENT_V_REMAIN counts from (default: now)')
    .action((cert: string, options: { format?: string; json?: boolean; now?: string }) =>
      reportingBadInput(() => {
        const format = options.format === undefined ? undefined : parseFormat(options.format);
        const inspection = inspectCertificate(readCertificateFile(cert), { now: parseNow(options.now) });
        process.stdout.write(
          options.json ? JSON.stringify(inspection, null, 2) + '\n' : humanReport(inspection, format),
        );
      }),
    );

  x509
    .command('idp-id')
    .description('the IdP id (SHA-256 of the issuer DN string) for one terminator format')
    .argument('<cert>', 'PEM or DER certificate file, "-" for stdin')
    .option('--format <format>', `issuer DN format: ${ISSUER_FORMATS.join(', ')}`, 'apache')
    .action((cert: string, options: { format: string }) =>
      reportingBadInput(() => {
        const format = parseFormat(options.format);
        process.stdout.write(idpId(readCertificateFile(cert), format) + '\n');
      }),
    );
}

function reportingBadInput(run: () => void): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof BadInput || e instanceof CertificateInputError)) throw e;
    process.stderr.write(`tokenless x509: ${e.message}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  }
}

function parseFormat(value: string): DnFormat {
  if (isDnFormat(value)) return value;
  throw new BadInput(`unknown format "${value}"; use one of ${ISSUER_FORMATS.join(', ')}`);
}

function parseNow(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const now = new Date(value);
  if (Number.isNaN(now.getTime())) throw new BadInput(`--now "${value}" is not an ISO 8601 time`);
  return now;
}

function readCertificateFile(path: string): Buffer {
  try {
    return readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInput(`cannot read ${path === '-' ? 'standard input' : path}: ${code ?? (e as Error).message}`);
  }
}

/**
 * Control characters are shown as \xNN so that a CR or an escape sequence
 * in a certificate cannot rewrite the terminal; --json gives exact values.
 */
function visible(value: string): string {
  return value.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

function humanReport(inspection: CertificateInspection, only: DnFormat | undefined): string {
  const lines: string[] = [];
  if (only) {
    lines.push(`subject: ${visible(inspection.subject[only])}`);
    lines.push(`issuer:  ${visible(inspection.issuer[only])}`);
    lines.push(`idp id:  ${inspection.idp_id[only]}`);
    return lines.join('\n') + '\n';
  }

  const width = Math.max(...ISSUER_FORMATS.map((f) => f.length));
  const section = (title: string, values: Record<DnFormat, string>): void => {
    lines.push(title);
    for (const format of ISSUER_FORMATS) lines.push(`  ${format.padEnd(width)}  ${visible(values[format])}`);
    lines.push('');
  };
  section('Subject DN', inspection.subject);
  section('Issuer DN', inspection.issuer);
  section('IdP id (SHA-256 of the issuer DN string)', inspection.idp_id);

  lines.push('Apache mod_ssl environment (+StdEnvVars +ExportCertData)');
  for (const [name, value] of Object.entries(inspection.apache_env)) {
    const shown = name.startsWith('SSL_CLIENT_CERT') && value.includes('\n') ? '(PEM, see --json)' : visible(value);
    lines.push(`  ${name}=${shown}`);
  }
  lines.push('');
  lines.push("HAProxy request headers (the guide's frontend)");
  for (const [name, value] of Object.entries(inspection.haproxy_headers)) {
    lines.push(`  ${name}: ${visible(value)}`);
  }
  return lines.join('\n') + '\n';
}
