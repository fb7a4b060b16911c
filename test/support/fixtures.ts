import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The shared cases copied into the repository, so a fresh clone tests itself. */
export const FIXTURES = join(process.cwd(), 'test', 'fixtures');

export function loadCases<T = any>(kind: string): { name: string; data: T }[] {
  const dir = join(FIXTURES, 'cases', kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), data: JSON.parse(readFileSync(join(dir, f), 'utf8')) as T }));
}

export function loadCase<T = any>(kind: string, name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, 'cases', kind, `${name}.json`), 'utf8')) as T;
}
