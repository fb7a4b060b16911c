/**
 * The fields of `patch` whose values differ from `current`, with the values
 * they replace. Unchanged fields are left out, so an update event records
 * exactly what changed.
 */
export function changedFields<T extends object>(
  current: T,
  patch: Partial<T>,
): { changes: Partial<T>; previous: Partial<T> } {
  const changes: Partial<T> = {};
  const previous: Partial<T> = {};
  for (const key of Object.keys(patch) as (keyof T)[]) {
    let next = patch[key] as T[keyof T] | undefined;
    if (next === undefined) continue;
    // Extra attributes merge into the ones already there, as Keystone's PATCH does. Merging here,
    // on the state the command is decided on, means concurrent updates never drop each other's.
    if (key === 'extra' && isObject(next) && isObject(current[key])) {
      next = { ...(current[key] as object), ...(next as object) } as T[keyof T];
    }
    if (JSON.stringify(next) === JSON.stringify(current[key])) continue;
    changes[key] = next;
    previous[key] = current[key];
  }
  return { changes, previous };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
