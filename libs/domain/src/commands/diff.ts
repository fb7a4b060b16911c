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
    const next = patch[key];
    if (next === undefined) continue;
    if (JSON.stringify(next) === JSON.stringify(current[key])) continue;
    changes[key] = next;
    previous[key] = current[key];
  }
  return { changes, previous };
}
