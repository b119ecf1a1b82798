/**
 * The credentials file of `saslkit server`, in either of two line forms
 * (they may be mixed):
 *
 * - `user credential` (a tab or spaces between them), where the credential
 *   is a SCRAM verifier in any form `parseScramVerifier` reads: RFC 5803 /
 *   PostgreSQL (`SCRAM-SHA-256$4096:...`), Dovecot or `gsasl --mkpasswd`
 *   (`{SCRAM-SHA-256}4096,...`);
 * - a Dovecot passwd-file line, `user:password:uid:gid:gecos:home:shell:extra_fields`
 *   where everything after the password is optional and ignored, and the
 *   password is `{SCRAM-SHA-1}...`, `{SCRAM-SHA-256}...` (what
 *   `doveadm pw -s SCRAM-SHA-256` prints) or `{SCRAM-SHA-512}...`.
 *   A line whose password uses another scheme (`{BLF-CRYPT}`,
 *   `{SHA512-CRYPT}`, `{PLAIN}`, ...) cannot serve SCRAM, PLAIN or LOGIN
 *   without the password: it is skipped with a warning naming its line
 *   and scheme.
 *
 * Several lines for one user add verifiers for several hashes. Blank lines
 * and lines starting with `#` are ignored.
 *
 * @module
 */
import { SASLError, type HashName } from '../index.js';
import { parseScramVerifier, type MemoryCredentialStore } from '../server/index.js';
import { UsageError } from './args.js';

/** The most lines a credentials file may have. */
const MAX_LINES = 100_000;

/** What {@link loadCredentialsFile} found. */
export interface LoadedCredentials {
  /** The SCRAM hashes the file has verifiers for. */
  readonly hashes: Set<HashName>;
  /** One line per skipped entry (line number and scheme, never content). */
  readonly warnings: string[];
  /** How many lines gave a verifier. */
  readonly verifiers: number;
  /** Each user's hashes with a verifier (a user with several lines has several). */
  readonly userHashes: Map<string, Set<HashName>>;
}

/** Split one line into user and credential, or `null` when it has neither form. */
function splitLine(line: string): { user: string; credential: string; passwdFile: boolean } | null {
  // Dovecot passwd-file (user:password[:uid:gid:gecos:home:shell:extra_fields]) when the
  // first word has a colon: the gecos field may hold spaces, a "user credential" user no colon.
  const colon = line.indexOf(':');
  if (colon < 0 || /\s/.test(line.slice(0, colon))) {
    const spaced = /^(\S+)\s+(\S+)$/.exec(line);
    return spaced ? { user: spaced[1]!, credential: spaced[2]!, passwdFile: false } : null;
  }
  if (colon === 0) return null;
  const rest = line.slice(colon + 1);
  const end = rest.indexOf(':');
  return { user: line.slice(0, colon), credential: end < 0 ? rest : rest.slice(0, end), passwdFile: true };
}

/**
 * Add every user of a credentials file to `store`.
 *
 * @param text - the file's content
 * @param store - where the verifiers go
 * @param path - the file name, for messages
 * @returns the hashes found and the warnings for skipped lines
 * @throws {@link UsageError} naming the line of the first bad entry (never its content)
 */
export function loadCredentialsFile(text: string, store: MemoryCredentialStore, path: string): LoadedCredentials {
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LINES) throw new UsageError(`${path}: more than ${MAX_LINES} lines`);
  const hashes = new Set<HashName>();
  const warnings: string[] = [];
  let verifiers = 0;
  const userHashes = new Map<string, Set<HashName>>();
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) return;
    const where = `${path}:${index + 1}`;
    const parts = splitLine(line);
    if (!parts) throw new UsageError(`${where}: expected "user credential" or a Dovecot passwd-file line "user:{SCRAM-SHA-256}..."`);
    const scheme = /^\{([A-Za-z0-9._-]{1,40})\}/.exec(parts.credential)?.[1]?.toUpperCase();
    if (parts.passwdFile && (scheme === undefined || !scheme.startsWith('SCRAM-'))) {
      warnings.push(`${where}: skipped: ${scheme === undefined ? 'no {SCHEME} prefix' : `{${scheme}}`} is not a SCRAM verifier (use "doveadm pw -s SCRAM-SHA-256")`);
      return;
    }
    try {
      const credential = parseScramVerifier(parts.credential);
      store.addCredentials(parts.user, credential);
      hashes.add(credential.hash);
      verifiers++;
      const mine = userHashes.get(parts.user) ?? new Set<HashName>();
      mine.add(credential.hash);
      userHashes.set(parts.user, mine);
    } catch (err) {
      // The library's reason says what is wrong without echoing the keys.
      const why = err instanceof SASLError ? (err.text ?? err.kind) : 'unreadable';
      throw new UsageError(`${where}: ${why}`);
    }
  });
  return { hashes, warnings, verifiers, userHashes };
}
