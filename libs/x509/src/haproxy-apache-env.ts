/**
 * The guide's two-tier set-up: HAProxy terminates TLS and sends X-SSL-*
 * headers; Apache copies four of them into SSL_CLIENT_* with
 *
 *   SetEnvIf X-SSL-Issuer    "^(.*)$" SSL_CLIENT_I_DN=$0
 *   SetEnvIf X-SSL-Issuer-CN "^(.*)$" SSL_CLIENT_I_DN_CN=$0
 *   SetEnvIf X-SSL-Client-CN "^(.*)$" SSL_CLIENT_S_DN_CN=$0
 *   SetEnvIf X-SSL-Client-O  "^(.*)$" SSL_CLIENT_S_DN_O=$0
 *
 * and, as a CGI/WSGI server does, exposes every header as HTTP_*.
 */

/** Header (any case) to the variable its SetEnvIf line sets: the guide's four lines. */
export const GUIDE_SET_ENV_IF: ReadonlyArray<readonly [string, string]> = [
  ['x-ssl-issuer', 'SSL_CLIENT_I_DN'],
  ['x-ssl-issuer-cn', 'SSL_CLIENT_I_DN_CN'],
  ['x-ssl-client-cn', 'SSL_CLIENT_S_DN_CN'],
  ['x-ssl-client-o', 'SSL_CLIENT_S_DN_O'],
];

export interface HaproxyApacheEnvOptions {
  /** Also return the HTTP_* variables of every header (default true). */
  readonly includeHttpVariables?: boolean;
  /**
   * Header to variable pairs, one per `SetEnvIf <header> "^(.*)$" <variable>=$0`
   * line; the guide's four by default. Header names are matched in any case.
   */
  readonly setEnvIf?: ReadonlyArray<readonly [string, string]>;
}

/**
 * The environment Apache builds from HAProxy's headers. Apache's header
 * parser trims whitespace at both ends of a value, so "  padded  " arrives
 * as "padded"; an empty header still sets its variable, to "". Raw bytes
 * (as Latin-1 characters) and %XX text pass unchanged.
 */
export function envFromHaproxyHeaders(
  headers: Readonly<Record<string, string>>,
  options: HaproxyApacheEnvOptions = {},
): Record<string, string> {
  const trimmed = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    trimmed.set(name.toLowerCase(), trimHeaderValue(value));
  }

  const env: Record<string, string> = {};
  if (options.includeHttpVariables ?? true) {
    for (const [name, value] of trimmed) {
      // Apache 2.4 drops headers whose names hold anything but letters,
      // digits and '-' from the CGI environment (x-ssl-client-oid-1.2.3.4).
      if (!/^[A-Za-z0-9-]+$/.test(name)) continue;
      env['HTTP_' + name.toUpperCase().replace(/-/g, '_')] = value;
    }
  }
  for (const [header, variable] of options.setEnvIf ?? GUIDE_SET_ENV_IF) {
    const value = trimmed.get(header.toLowerCase());
    // "^(.*)$" cannot match across a line feed; HAProxy never sends one.
    if (value !== undefined && !value.includes('\n')) env[variable] = value;
  }

  const sorted: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) sorted[key] = env[key];
  return sorted;
}

/** apr_isspace at both ends: space, TAB, LF, VT, FF, CR. */
function trimHeaderValue(value: string): string {
  return value.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}
