/**
 * The package version, for `saslkit --version`, read from the package.json
 * this module ships in (one directory further up once built into dist/).
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** The saslkit version, or `'unknown'` when no package.json is found. */
export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'));
      if (pkg && typeof pkg === 'object' && (pkg as { name?: unknown }).name === 'saslkit') {
        const version = (pkg as { version?: unknown }).version;
        if (typeof version === 'string') return version;
      }
    } catch {
      // not here: try the next place
    }
  }
  return 'unknown';
}
