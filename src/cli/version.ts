import { readFileSync } from 'node:fs';

/** The version in package.json, found from here whether this runs from src/ (tsx) or dist/src/ (built). */
export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'latchkey' && pkg.version !== undefined) return pkg.version;
    } catch {
      // Not at this depth: try the next.
    }
  }
  return 'unknown';
}
