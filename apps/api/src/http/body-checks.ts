/**
 * Keys that name JavaScript object machinery rather than data; libraries
 * that copy objects stumble on them, so a body holding one is refused.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Far deeper than any Keystone or registry body; recursive code downstream stays safe. */
const MAX_BODY_DEPTH = 64;

/** Why a parsed JSON body cannot be accepted, or undefined when it can. */
export function bodyProblem(value: unknown): { message: string; reason: string } | undefined {
  const stack: unknown[] = [value];
  const depths = new Map<object, number>();
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (!(v as string & { isWellFormed(): boolean }).isWellFormed() || v.includes('\u0000')) {
        return {
          message: 'The request body holds a string PostgreSQL cannot store (a lone surrogate or a NUL character).',
          reason: 'invalid_unicode',
        };
      }
    } else if (typeof v === 'object' && v !== null) {
      const depth = depths.get(v) ?? 1;
      if (depth > MAX_BODY_DEPTH) {
        return { message: `The request body nests deeper than ${MAX_BODY_DEPTH} levels.`, reason: 'body_too_deep' };
      }
      for (const [k, item] of Object.entries(v)) {
        if (RESERVED_KEYS.has(k)) {
          return { message: `The request body uses the reserved key "${k}".`, reason: 'reserved_key' };
        }
        if (typeof item === 'object' && item !== null) depths.set(item, depth + 1);
        stack.push(k, item);
      }
    }
  }
  return undefined;
}
