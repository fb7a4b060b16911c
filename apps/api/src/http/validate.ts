import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { validation } from '../../../../libs/domain/src';

function messages(errors: ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    for (const text of Object.values(e.constraints ?? {})) out.push(`${path}: ${text}`);
    out.push(...messages(e.children ?? [], path));
  }
  return out;
}

/**
 * Checks a request body against a DTO class and returns the typed instance;
 * every violation is listed, one per line, in a Keystone 400.
 */
export function validateBody<T extends object>(cls: ClassConstructor<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validation('The request body must be a JSON object.', 'invalid_body');
  }
  const instance = plainToInstance(cls, body);
  const errors = validateSync(instance, { forbidUnknownValues: false });
  if (errors.length > 0) throw validation(messages(errors).sort().join('\n'), 'invalid_body');
  return instance;
}

/** The attributes of a Keystone object that are not among `known`: Keystone keeps them as extras. */
export function extrasOf(obj: object, known: readonly string[]): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!known.includes(k)) extra[k] = v;
  return extra;
}
