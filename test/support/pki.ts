import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway PKI made with the real openssl CLI, shaped like the guide's. */
export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'tokenless-pki-'));

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** A self-signed root, then a CA signed by it. Returns the CA's name. */
  ca(name: string, subject: string, signer?: string): string {
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    if (!signer) {
      this.openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
        '-days', '3650', ...subjectArgs(subject), '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    } else {
      this.openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, ...subjectArgs(subject)]);
      this.openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`,
        '-set_serial', String(0x1000 + Math.floor(Math.random() * 1000)), '-out', `${name}.pem`, '-days', '1000', '-extfile', ext]);
    }
    return name;
  }

  /** A client certificate signed by `signer`. Returns its name (`<name>.pem` in the folder). */
  client(name: string, subject: string, signer: string): string {
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
    this.openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, ...subjectArgs(subject)]);
    this.openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`,
      '-set_serial', '4098', '-out', `${name}.pem`, '-days', '365', '-extfile', ext]);
    return name;
  }

  /** A TLS server certificate for 127.0.0.1 / localhost, signed by `signer`. Returns its name. */
  server(name: string, subject: string, signer: string): string {
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(
      ext,
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
        'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
    );
    this.openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, ...subjectArgs(subject)]);
    this.openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`,
      '-set_serial', '8192', '-out', `${name}.pem`, '-days', '365', '-extfile', ext]);
    return name;
  }

  /** The absolute path of a file in the PKI folder. */
  path(file: string): string {
    return join(this.dir, file);
  }

  /** Concatenates PEM files into `out` (a CA bundle, HAProxy's cert+key file). */
  bundle(out: string, files: string[]): string {
    writeFileSync(join(this.dir, out), files.map((f) => readFileSync(join(this.dir, f), 'utf8')).join(''));
    return join(this.dir, out);
  }

  pem(name: string): string {
    return readFileSync(join(this.dir, `${name}.pem`), 'utf8');
  }

  /** Runs a shell pipeline in the PKI folder and returns its output. */
  sh(pipeline: string): string {
    return execSync(pipeline, { cwd: this.dir, shell: '/bin/bash', encoding: 'utf8' });
  }
}

/** `-subj`, with `-utf8` when the name is not ASCII (otherwise the string types stay openssl's defaults). */
function subjectArgs(subject: string): string[] {
  return /[^\x00-\x7f]/.test(subject) ? ['-utf8', '-subj', subject] : ['-subj', subject];
}
