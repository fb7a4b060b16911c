/**
 * The one error type the mapping engine raises. It carries what the HTTP
 * layer needs to answer exactly as Keystone does:
 *
 * - `status`: Keystone's HTTP status (400 or 500);
 * - `keystoneClass`: the error class of the answer (`ValidationError`,
 *   `DirectMappingError`, `UnexpectedError`);
 * - `message`: the client-visible text. For every 500 it is Keystone's
 *   generic text; the detail lives in `debugMessage`;
 * - `reason`: a stable snake_case label for logs, metrics and tests;
 * - `debugMessage`: what Keystone shows only with `insecure_debug`;
 * - `detail`: the underlying exception text, for logs;
 * - `pythonClass`: the exception Keystone actually raised (`KeyError`,
 *   `re.error`, `TypeError`...), when it is not a Keystone class.
 */

export const GENERIC_SERVER_ERROR_MESSAGE =
  'An unexpected error prevented the server from fulfilling your request.';

export const NO_MATCHING_RULE_MESSAGE =
  'Could not map any federated user properties to identity values. ' +
  'Check debug logs or the mapping used for additional details.';

const INSECURE_DEBUG_SUFFIX = ' (Disable insecure_debug mode to suppress these details.)';

export type MappingErrorReason =
  | 'no_matching_rule'
  | 'invalid_rule'
  | 'invalid_mapping'
  | 'unsupported_user_type'
  | 'placeholder_out_of_range'
  | 'format_error'
  | 'invalid_regex'
  | 'unsupported_regex'
  | 'type_error'
  | 'malformed_rule'
  | 'invalid_group_json';

export interface MappingErrorInit {
  status: number;
  keystoneClass: string;
  message: string;
  reason: MappingErrorReason;
  debugMessage?: string;
  detail?: string;
  pythonClass?: string;
}

export class MappingError extends Error {
  override readonly name = 'MappingError';
  readonly status: number;
  readonly keystoneClass: string;
  readonly reason: MappingErrorReason;
  readonly debugMessage?: string;
  /** The underlying exception text (Python wording), when there is one. */
  readonly detail?: string;
  /** The Python exception class Keystone raised, when not a Keystone class. */
  readonly pythonClass?: string;

  constructor(init: MappingErrorInit) {
    super(init.message);
    this.status = init.status;
    this.keystoneClass = init.keystoneClass;
    this.reason = init.reason;
    if (init.debugMessage !== undefined) this.debugMessage = init.debugMessage;
    if (init.detail !== undefined) this.detail = init.detail;
    if (init.pythonClass !== undefined) this.pythonClass = init.pythonClass;
  }

  /** 400 ValidationError with a client-visible message. */
  static validation(message: string, reason: MappingErrorReason, pythonClass?: string): MappingError {
    return new MappingError({
      status: 400,
      keystoneClass: 'ValidationError',
      message,
      reason,
      ...(pythonClass ? { pythonClass } : {}),
    });
  }

  /**
   * 500 UnexpectedError with the generic text. `detail` (the Python
   * exception text) is kept in `detail` and, in Keystone's insecure_debug
   * wording, in `debugMessage`.
   */
  static unexpected(detail: string, reason: MappingErrorReason, pythonClass: string): MappingError {
    return new MappingError({
      status: 500,
      keystoneClass: 'UnexpectedError',
      message: GENERIC_SERVER_ERROR_MESSAGE,
      reason,
      debugMessage:
        `An unexpected error prevented the server from fulfilling your request: ${detail}.` +
        INSECURE_DEBUG_SUFFIX,
      detail,
      pythonClass,
    });
  }

  /** Keystone's DirectMappingError: a placeholder with no remote value. */
  static directMapping(mappingId: string, detail: string): MappingError {
    return new MappingError({
      status: 500,
      keystoneClass: 'DirectMappingError',
      message: GENERIC_SERVER_ERROR_MESSAGE,
      reason: 'placeholder_out_of_range',
      debugMessage:
        `Local section in mapping ${mappingId} refers to a remote match that doesn't exist ` +
        `(e.g. {0} in a local section).${INSECURE_DEBUG_SUFFIX}`,
      detail,
    });
  }
}
