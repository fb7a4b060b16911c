import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Locates `test/fixtures/cases`: $REGISTRY_ROOT, else the nearest
 * directory above this file holding package.json, else the working
 * directory (tests run from the repository root).
 */
export function fixturesRoot(): string {
  const candidates: string[] = [];
  if (process.env.REGISTRY_ROOT) candidates.push(process.env.REGISTRY_ROOT);
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      candidates.push(dir);
      break;
    }
    if (dirname(dir) === dir) break;
  }
  candidates.push(process.cwd());
  for (const root of candidates) {
    const path = resolve(root, 'test/fixtures/cases');
    if (existsSync(join(path, 'mapping'))) return path;
  }
  throw new Error(`test/fixtures/cases not found (tried ${candidates.join(', ')})`);
}

export function readCases<T>(subdir: string, filter: (name: string) => boolean = () => true): Array<{ name: string; data: T }> {
  const dir = join(fixturesRoot(), subdir);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json') && filter(name))
    .sort()
    .map((name) => ({ name, data: JSON.parse(readFileSync(join(dir, name), 'utf8')) as T }));
}
