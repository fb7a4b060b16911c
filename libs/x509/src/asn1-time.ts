/**
 * Validity times as the terminators print them. They need the raw ASN.1
 * text, not a Date: HAProxy copies the text itself, and OpenSSL prints
 * GeneralizedTime fractions and keeps the " GMT" suffix only for 'Z'.
 */
import { Tag } from './der-reader';

export interface Asn1Time {
  readonly type: 'UTCTime' | 'GeneralizedTime';
  /** The characters of the encoding, e.g. "261203162213Z". */
  readonly text: string;
}

export function asn1TimeFromTag(tag: number, content: Uint8Array): Asn1Time {
  const text = Buffer.from(content).toString('latin1');
  if (tag === Tag.UTC_TIME) return { type: 'UTCTime', text };
  if (tag === Tag.GENERALIZED_TIME) return { type: 'GeneralizedTime', text };
  throw new Error(`validity time has tag ${tag}`);
}

interface BrokenDownTime {
  /** Milliseconds since the epoch, UTC. */
  readonly epochMs: number;
  /** Fraction text including the dot (GeneralizedTime only), or "". */
  readonly fraction: string;
  /** True when the text ends in 'Z'. */
  readonly gmt: boolean;
}

const TIME_PATTERN = {
  UTCTime: /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/,
  GeneralizedTime: /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(\.\d+)?(Z|[+-]\d{4})$/,
};

function breakDown(time: Asn1Time): BrokenDownTime | undefined {
  const m = TIME_PATTERN[time.type].exec(time.text);
  if (!m) return undefined;
  let year: number;
  let rest: string[];
  let fraction = '';
  if (time.type === 'UTCTime') {
    // RFC 5280: two-digit years 50-99 are 19xx, 00-49 are 20xx.
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    rest = m.slice(2, 8);
  } else {
    year = Number(m[1]);
    rest = m.slice(2, 7);
    fraction = m[7] ?? '';
  }
  const [month, day, hour, minute, second = '00'] = rest;
  const zone = time.type === 'UTCTime' ? m[7] : m[8];
  let epochMs = Date.UTC(year, Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (zone !== 'Z') {
    const sign = zone[0] === '+' ? 1 : -1;
    const offsetMinutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5));
    epochMs -= sign * offsetMinutes * 60_000;
  }
  return { epochMs, fraction, gmt: zone === 'Z' };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * ASN1_TIME_print: "Mar  7 16:22:13 2029 GMT" (day padded with a space),
 * the form of `openssl x509 -enddate` and SSL_CLIENT_V_START / V_END.
 */
export function opensslTimeText(time: Asn1Time): string {
  const t = breakDown(time);
  if (!t) return 'Bad time value';
  const d = new Date(t.epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${t.fraction} ` +
    `${d.getUTCFullYear()}${t.gmt ? ' GMT' : ''}`
  );
}

/**
 * mod_ssl's SSL_CLIENT_V_REMAIN: whole days from `now` to the time, counted
 * in seconds as OpenSSL's ASN1_TIME_diff does, never below 0.
 */
export function daysRemaining(time: Asn1Time, now: Date): string {
  const t = breakDown(time);
  if (!t) return '0';
  const seconds = Math.floor(t.epochMs / 1000) - Math.floor(now.getTime() / 1000);
  const days = Math.trunc(seconds / 86_400);
  return String(days > 0 ? days : 0);
}

/**
 * HAProxy's ssl_c_notbefore / ssl_c_notafter: the raw text as YYMMDDhhmmssZ.
 * A GeneralizedTime loses its century (and is empty unless it starts with
 * "20"); a UTCTime of 1950-1999 is refused, which gives an empty header.
 */
export function haproxyTimeText(time: Asn1Time): string {
  if (time.type === 'GeneralizedTime') {
    if (time.text.length < 12 || !time.text.startsWith('20')) return '';
    return time.text.slice(2);
  }
  if (time.text.length < 10 || time.text.charCodeAt(0) >= 0x35) return '';
  return time.text;
}
