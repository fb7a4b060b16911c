/** The registry's JSON answers as the tests read them. */

/** An event that opened or closed an interval. */
export interface EventRef {
  position: number;
  recorded_at: string;
  type: string;
  actor: string;
  reason: string | null;
}

export interface IdentityRef {
  id: string;
  issuer: string;
  subject: string;
}

/** One interval of `GET /v1/audit/grants` (and of holders, with its identity). */
export interface GrantInterval {
  identity: IdentityRef;
  project_id?: string;
  domain_id?: string;
  roles: string[];
  from: string;
  to: string | null;
  opened_by: EventRef;
  closed_by: EventRef | null;
}

/** `GET /v1/audit/identities`: a followed identity, registered or named by a mapping. */
export interface FollowedIdentity extends IdentityRef {
  since_position: number;
}

/** One event of `GET /v1/events`. */
export interface LoggedEvent {
  position: number;
  stream: string;
  type: string;
  version: number;
  data: {
    token?: { id: string; name: string; secret_sha256?: string };
    changes?: Record<string, unknown>;
    previous?: Record<string, unknown>;
  } & Record<string, unknown>;
  metadata: { actor: string; actor_kind: string; reason?: string; client_address?: string };
}

/** One change of `GET /v1/history/{type}/{id}`. */
export interface HistoryEntry {
  event_type: string;
  request_id: string;
  actor: string;
  actor_kind: string;
  reason: string | null;
  client_address: string | null;
  changes: Record<string, unknown>;
}

/** One row of `GET /v1/audit/seen`. */
export interface SeenRow {
  identity: IdentityRef;
  project_id?: string;
  domain_id?: string;
  requested_scope?: Record<string, string>;
  outcome: string;
  reason: string | null;
  roles: string[];
  count: number;
  first_seen: string;
  last_seen: string;
}

/** `POST /v1/authorize`: a granted context or a refusal, with the position it was computed at. */
export interface AuthorizeAnswer {
  position: number;
  auth_context?: { roles: string[] } & Record<string, unknown>;
  error?: { code: number; title: string; message: string; reason: string };
}

/** `GET /ready`. */
export interface ReadyAnswer {
  status: string;
  position: number;
  audit: { fail_mode: string; recording: boolean; buffered_rows: number; recorded: number; dropped: number };
}
