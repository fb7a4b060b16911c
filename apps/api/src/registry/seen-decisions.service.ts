import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  trackedIdentityId,
  type AuthorizationIndex,
  type AuthorizeRequest,
  type AuthorizeResult,
} from '../../../../libs/domain/src';
import { REGISTRY_CONFIG, type AuditConfig, type RegistryConfig } from '../config';

/** One aggregated row: every decision with the same identity, scope, outcome and roles. */
interface SeenRow {
  issuer: string;
  subject: string;
  scopeType: 'project' | 'domain' | 'requested';
  scope: string;
  outcome: 'granted' | 'refused';
  reason: string | null;
  roles: string[];
  first: number;
  last: number;
  count: number;
  /** SSL_CLIENT_* of the first decision, kept when the grant timeline can follow the identity. */
  env?: Record<string, string>;
}

/** One decision as `SeenDecisionsService.seen` records it, with its row's key. */
export interface SeenDecision {
  readonly key: string;
  readonly issuer: string;
  readonly subject: string;
  readonly scopeType: SeenRow['scopeType'];
  readonly scope: string;
  readonly outcome: SeenRow['outcome'];
  readonly reason: string | null;
  readonly roles: string[];
  readonly issuerAttribute: string;
}

function described(
  issuer: string,
  subject: string,
  scopeType: SeenRow['scopeType'],
  scope: string,
  outcome: SeenRow['outcome'],
  reason: string | null,
  roles: string[],
  issuerAttribute: string,
): SeenDecision {
  // One row per distinct (identity, scope, outcome, reason, roles).
  const key = `${issuer}\u0000${subject}\u0000${scopeType}\u0000${scope}\u0000${outcome}\u0000${reason ?? ''}\u0000${roles.join('\u0000')}`;
  return { key, issuer, subject, scopeType, scope, outcome, reason, roles, issuerAttribute };
}

export interface SeenDecisionsStatus {
  fail_mode: 'open' | 'closed';
  /** False while decisions cannot be recorded (a write failed and none has succeeded since, or the buffer is full). */
  recording: boolean;
  /** Distinct rows in memory, waiting or being written. */
  buffered_rows: number;
  /** Decisions written since this process started. */
  recorded: number;
  /** Decisions answered but not recorded (AUDIT_FAIL_MODE=open) since this process started. */
  dropped: number;
}

/** Longest text kept per value; longer ones are cut, so memory stays bounded whatever a request carries. */
const MAX_TEXT = 2048;
/** Most attributes kept per identity. */
const MAX_ENV = 64;
/** Rows per INSERT statement. */
const CHUNK = 1000;
const NO_ROLES: string[] = [];

/** Refusals decided before the issuer was found trusted: such identities are not followed by the timeline. */
const BEFORE_TRUST = new Set(['no_trusted_issuers', 'issuer_attribute_missing', 'untrusted_issuer']);

/** The scope headers, in the order Keystone reads them, by lowercase name. */
const SCOPE_HEADERS = new Map(
  ['X-Project-Id', 'X-Project-Name', 'X-Project-Domain-Id', 'X-Project-Domain-Name', 'X-Domain-Id', 'X-Domain-Name'].map(
    (h) => [h.toLowerCase(), h],
  ),
);
const SCOPE_ORDER = [...SCOPE_HEADERS.values()];

const cap = (s: string) => (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);
const text = (v: unknown) => (typeof v === 'string' ? cap(v) : '');

/** The scope as the request asked for it, canonical JSON of the scope headers it carries ('{}' for none). */
export function requestedScope(headers: Record<string, unknown>): string {
  let found: Record<string, string> | undefined;
  for (const name in headers) {
    const canonical = SCOPE_HEADERS.get(name.toLowerCase());
    const value = headers[name];
    if (canonical === undefined || typeof value !== 'string' || value === '') continue;
    (found ??= {})[canonical] = cap(value);
  }
  if (!found) return '{}';
  const ordered: Record<string, string> = {};
  for (const h of SCOPE_ORDER) if (found[h] !== undefined) ordered[h] = found[h];
  return JSON.stringify(ordered);
}

/** The attributes the timeline evaluates: SSL_CLIENT_* (bar the certificate itself) and the issuer attribute. */
function identityEnv(env: Record<string, unknown>, issuerAttribute: string): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const name in env) {
    const value = env[name];
    if (typeof value !== 'string' || n >= MAX_ENV) continue;
    if ((name.startsWith('SSL_CLIENT_') && !name.startsWith('SSL_CLIENT_CERT')) || name === issuerAttribute) {
      out[name] = cap(value);
      n++;
    }
  }
  return out;
}

/** Text PostgreSQL stores: no NUL, no lone UTF-16 surrogate. */
function storable(s: string): string {
  return s.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * The decisions the authorize endpoints have seen, written off the request
 * path. A decision is added to an in-memory map keyed by identity, scope,
 * outcome and roles (a count and a time; no I/O, no await), and the map is
 * written every AUDIT_FLUSH_MS, or as soon as it holds AUDIT_FLUSH_ROWS
 * rows, with one multi-row upsert that adds the counts. A failed write keeps
 * its rows for the next one. Memory is bounded by AUDIT_BUFFER_ROWS rows:
 * beyond it, and while writes fail, AUDIT_FAIL_MODE=open answers and counts
 * what it could not keep (warning in the log, `dropped` in GET /ready);
 * closed makes authorize refuse instead. The rest is written at shutdown.
 */
@Injectable()
export class SeenDecisionsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SeenDecisionsService.name);
  private readonly audit: AuditConfig;
  private readonly closedMode: boolean;
  private buffer = new Map<string, SeenRow>();
  /** Rows being written; counted against the bound, and merged back if the write fails. */
  private writing = 0;
  private flushing?: Promise<void>;
  private failing = false;
  private lastError: string | null = null;
  private recorded = 0;
  private dropped = 0;
  private droppedUnreported = 0;
  private timer?: NodeJS.Timeout;
  private kicked = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(REGISTRY_CONFIG) config: RegistryConfig,
  ) {
    this.audit = config.audit;
    this.closedMode = config.audit.failMode === 'closed';
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.tick(), this.audit.flushMs);
    this.timer.unref();
  }

  /** Writes what is left once the server has stopped taking requests. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    if (this.buffer.size > 0) {
      let lost = 0;
      for (const row of this.buffer.values()) lost += row.count;
      this.logger.error({ msg: 'decisions not recorded at shutdown', decisions: lost, err: this.lastError });
    }
  }

  /** False while decisions cannot be recorded (AUDIT_FAIL_MODE=closed then refuses authorize). */
  get recording(): boolean {
    return !this.failing && this.buffer.size + this.writing < this.audit.bufferRows;
  }

  status(): SeenDecisionsStatus {
    return {
      fail_mode: this.audit.failMode,
      recording: this.recording,
      buffered_rows: this.buffer.size + this.writing,
      recorded: this.recorded,
      dropped: this.dropped,
    };
  }

  /**
   * Hands over one decision of `authorize` (not a point-in-time one). With
   * `gatewayReason` a granted result was refused by the gateway's own rule
   * (forward-auth's `no_roles`). Returns false when the decision could not
   * be recorded and AUDIT_FAIL_MODE=closed: the caller answers 503 instead.
   */
  decision(index: AuthorizationIndex, request: AuthorizeRequest, result: AuthorizeResult, gatewayReason?: string): boolean {
    return this.seen(this.describe(index, request, result, gatewayReason), request.env);
  }

  /**
   * What `decision` records for this decision, worked out once: a caller
   * that meets the same request and result again (authorize's decision
   * cache) hands it to `seen` instead of working it out every time.
   */
  describe(index: AuthorizationIndex, request: AuthorizeRequest, result: AuthorizeResult, gatewayReason?: string): SeenDecision {
    const env = request.env;
    const issuerAttribute = index.state.settings.issuer_attribute;
    const issuer = text(env[issuerAttribute]);
    const subject = text(env.SSL_CLIENT_S_DN);
    if (result.outcome === 'granted') {
      const ctx = result.auth_context;
      const project = ctx.project_id;
      const refused = gatewayReason !== undefined;
      return described(
        issuer,
        subject,
        typeof project === 'string' ? 'project' : 'domain',
        text(typeof project === 'string' ? project : ctx.domain_id),
        refused ? 'refused' : 'granted',
        refused ? gatewayReason : null,
        refused ? NO_ROLES : ctx.roles,
        issuerAttribute,
      );
    }
    return described(issuer, subject, 'requested', requestedScope(request.headers), 'refused', result.reason, NO_ROLES, issuerAttribute);
  }

  /** Records a decision `describe` worked out for a request with attributes `env`; false as for `decision`. */
  seen(decision: SeenDecision, env: Record<string, unknown>): boolean {
    if (this.failing && this.closedMode) return false;
    const now = Date.now();
    const row = this.buffer.get(decision.key);
    if (row !== undefined) {
      row.count++;
      row.last = now;
      return true;
    }
    const { key, issuer, subject, scopeType, scope, outcome, reason, roles, issuerAttribute } = decision;
    if (this.buffer.size + this.writing >= this.audit.bufferRows) {
      if (this.closedMode) return false;
      this.dropped++;
      this.droppedUnreported++;
      return true;
    }
    const followed = issuer !== '' && subject !== '' && (reason === null || !BEFORE_TRUST.has(reason));
    this.buffer.set(key, {
      issuer,
      subject,
      scopeType,
      scope,
      outcome,
      reason,
      roles,
      first: now,
      last: now,
      count: 1,
      env: followed ? identityEnv(env, issuerAttribute) : undefined,
    });
    if (this.buffer.size >= this.audit.flushRows && !this.kicked) {
      this.kicked = true;
      setImmediate(() => void this.tick());
    }
    return true;
  }

  private async tick(): Promise<void> {
    this.kicked = false;
    if (this.droppedUnreported > 0) {
      this.logger.warn({
        msg: 'decisions answered but not recorded (AUDIT_FAIL_MODE=open)',
        dropped: this.droppedUnreported,
        dropped_total: this.dropped,
        err: this.lastError,
      });
      this.droppedUnreported = 0;
    }
    await this.flush();
  }

  /** Writes everything buffered (one write at a time); resolves when done, whether or not it succeeded. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.size === 0) return;
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
    // Rows that arrived during the write and already fill a batch go at once.
    if (!this.failing && !this.stopped && this.buffer.size >= this.audit.flushRows) await this.flush();
  }

  private async write(): Promise<void> {
    const batch = this.buffer;
    this.buffer = new Map();
    this.writing = batch.size;
    try {
      const rows = [...batch].map(([key, row]) => {
        const issuer = storable(row.issuer);
        const subject = storable(row.subject);
        let env: Record<string, string> | null = null;
        if (row.env) {
          env = {};
          for (const [k, v] of Object.entries(row.env)) env[storable(k)] = storable(v);
        }
        return {
          key: createHash('sha256').update(key, 'utf8').digest('hex'),
          identity_id: trackedIdentityId(issuer, subject),
          issuer_dn: issuer,
          subject_dn: subject,
          scope_type: row.scopeType,
          scope: storable(row.scope),
          outcome: row.outcome,
          reason: row.reason === null ? null : storable(row.reason),
          roles: row.roles.map(storable),
          first_seen: new Date(row.first).toISOString(),
          last_seen: new Date(row.last).toISOString(),
          count: row.count,
          env,
        };
      });
      const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      rows.sort((a, b) => order(a.key, b.key));
      const identities = rows.filter((r) => r.env !== null).sort((a, b) => order(a.identity_id, b.identity_id));
      await this.dataSource.transaction(async (m) => {
        for (let i = 0; i < identities.length; i += CHUNK) {
          await m.query(INSERT_IDENTITIES, [JSON.stringify(identities.slice(i, i + CHUNK))]);
        }
        for (let i = 0; i < rows.length; i += CHUNK) {
          await m.query(UPSERT_DECISIONS, [JSON.stringify(rows.slice(i, i + CHUNK))]);
        }
      });
      let decisions = 0;
      for (const row of batch.values()) decisions += row.count;
      this.recorded += decisions;
      if (this.failing) this.logger.log({ msg: 'decisions are recorded again', rows: batch.size });
      this.failing = false;
      this.lastError = null;
    } catch (err) {
      // Kept for the next write: they always fit, as rows being written count against the bound.
      for (const [key, row] of batch) {
        const newer = this.buffer.get(key);
        if (newer === undefined) {
          this.buffer.set(key, row);
          continue;
        }
        newer.count += row.count;
        newer.first = Math.min(newer.first, row.first);
        newer.last = Math.max(newer.last, row.last);
        newer.env = row.env ?? newer.env;
      }
      const message = err instanceof Error ? err.message : String(err);
      if (!this.failing || message !== this.lastError) {
        this.logger.warn({
          msg: `decisions cannot be recorded; ${this.closedMode ? 'authorize refuses until they can' : 'kept and retried'}`,
          rows: this.buffer.size,
          err: message,
        });
      }
      this.failing = true;
      this.lastError = message;
    } finally {
      this.writing = 0;
    }
  }
}

/**
 * Identities first seen with a usable environment, kept as first seen.
 * Identities, then decisions, each in key order: concurrent writers (other
 * API processes) take their row locks in the same order.
 */
const INSERT_IDENTITIES = `
  INSERT INTO audit_seen_identities (id, issuer_dn, subject_dn, env, first_seen)
  SELECT DISTINCT ON (identity_id) identity_id, issuer_dn, subject_dn, env, first_seen
  FROM jsonb_to_recordset($1::jsonb) AS r(identity_id text, issuer_dn text, subject_dn text, env jsonb, first_seen timestamptz)
  ORDER BY identity_id, first_seen
  ON CONFLICT (id) DO NOTHING`;

/** One multi-row upsert: counts add up, [first_seen, last_seen] widens. */
const UPSERT_DECISIONS = `
  INSERT INTO audit_seen_decisions AS t (key, identity_id, issuer_dn, subject_dn, scope_type, scope, outcome, reason,
    roles, first_seen, last_seen, count)
  SELECT key, identity_id, issuer_dn, subject_dn, scope_type, scope, outcome, reason,
    ARRAY(SELECT jsonb_array_elements_text(roles)), first_seen, last_seen, count
  FROM jsonb_to_recordset($1::jsonb) AS r(key text, identity_id text, issuer_dn text, subject_dn text,
    scope_type text, scope text, outcome text, reason text, roles jsonb, first_seen timestamptz,
    last_seen timestamptz, count bigint)
  ORDER BY key
  ON CONFLICT (key) DO UPDATE SET
    count = t.count + excluded.count,
    first_seen = least(t.first_seen, excluded.first_seen),
    last_seen = greatest(t.last_seen, excluded.last_seen)`;
