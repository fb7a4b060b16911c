import { trackedIdentityId } from '../commands/decide-audit';
import type { TrackedIdentity } from '../model/resources';
import type { RegistryState } from '../model/state';
import { idpIdForIssuer } from './authorize';

const SUBJECT_PREFIX = 'SSL_CLIENT_S_DN';
/** A rule naming more combinations than this is not expanded (its values are likely a pattern). */
const MAX_PER_RULE = 1000;

interface NamedValues {
  type: string;
  values: string[];
}

function literalValues(remote: unknown): NamedValues | undefined {
  if (typeof remote !== 'object' || remote === null) return undefined;
  const r = remote as Record<string, unknown>;
  if (typeof r.type !== 'string' || r.regex === true) return undefined;
  const values = Array.isArray(r.any_one_of) ? r.any_one_of : Array.isArray(r.whitelist) ? r.whitelist : undefined;
  if (!values || values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) return undefined;
  return { type: r.type, values: values as string[] };
}

/**
 * The certificate identities that the mappings in use name explicitly: per
 * rule, every combination of the literal `whitelist` / `any_one_of` values
 * its remotes give for the issuer attribute and the subject attributes
 * (SSL_CLIENT_S_DN, SSL_CLIENT_S_DN_CN, ...). A rule that names no issuer
 * stands for the trusted issuers whose identity provider's protocol uses the
 * mapping. When the rule names only subject components, the subject DN is
 * written from them (`CN=ada,O=Example`), the way the audit shows it.
 */
export function namedIdentities(state: RegistryState): TrackedIdentity[] {
  const { issuer_attribute, protocol, trusted_issuer } = state.settings;
  const issuersOfMapping = new Map<string, string[]>();
  for (const issuer of trusted_issuer) {
    const found = state.protocols.get(`${idpIdForIssuer(issuer)}/${protocol}`);
    if (!found) continue;
    const list = issuersOfMapping.get(found.mapping_id) ?? [];
    list.push(issuer);
    issuersOfMapping.set(found.mapping_id, list);
  }
  const out = new Map<string, TrackedIdentity>();
  for (const mappingId of [...issuersOfMapping.keys()].sort()) {
    const mapping = state.mappings.get(mappingId);
    if (!mapping) continue;
    for (const rule of mapping.rules) {
      const remotes = (rule as { remote?: unknown }).remote;
      if (!Array.isArray(remotes)) continue;
      const named = remotes.map(literalValues).filter((n): n is NamedValues => n !== undefined);
      const subjects = named.filter((n) => n.type.startsWith(SUBJECT_PREFIX) && /^SSL_CLIENT_S_DN(?:_[A-Za-z0-9]+)?$/.test(n.type));
      if (subjects.length === 0) continue;
      const issuerNamed = named.find((n) => n.type === issuer_attribute);
      const issuers = issuerNamed ? issuerNamed.values : issuersOfMapping.get(mappingId)!;
      let combos: Record<string, string>[] = issuers.map((i) => ({ [issuer_attribute]: i }));
      for (const s of subjects) {
        const next: Record<string, string>[] = [];
        for (const combo of combos) {
          // Two remotes on one attribute must both hold: keep the values they share.
          if (combo[s.type] !== undefined) {
            if (s.values.includes(combo[s.type])) next.push(combo);
            continue;
          }
          for (const v of s.values) next.push({ ...combo, [s.type]: v });
        }
        combos = next;
        if (combos.length > MAX_PER_RULE) break;
      }
      if (combos.length > MAX_PER_RULE) continue;
      for (const env of combos) {
        const issuer = env[issuer_attribute];
        const subject =
          env[SUBJECT_PREFIX] ??
          Object.keys(env)
            .filter((k) => k.startsWith(`${SUBJECT_PREFIX}_`))
            .map((k) => `${k.slice(SUBJECT_PREFIX.length + 1)}=${env[k]}`)
            .join(',');
        const full = { SSL_CLIENT_I_DN: issuer, SSL_CLIENT_S_DN: subject, ...env };
        const id = trackedIdentityId(issuer, subject);
        if (!out.has(id)) out.set(id, { id, issuer, subject, env: full, label: `named by mapping ${mappingId}` });
      }
    }
  }
  return [...out.values()];
}
