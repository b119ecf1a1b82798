/**
 * The credentials file of `saslkit server`: one `user credential` per line
 * (a tab or spaces between them), where the credential is a SCRAM verifier
 * in any form `parseScramCredential` reads: RFC 5803 / PostgreSQL
 * (`SCRAM-SHA-256$4096:...`), Dovecot or `gsasl --mkpasswd`
 * (`{SCRAM-SHA-256}4096,...`). Several lines for one user add verifiers for
 * several hashes. Blank lines and lines starting with `#` are ignored.
 *
 * @module
 */
import { SASLError, type HashName } from '../index.js';
import { parseScramCredential, type MemoryCredentialStore } from '../server/index.js';
import { UsageError } from './args.js';

/** The most lines a credentials file may have. */
const MAX_LINES = 100_000;

/**
 * Add every user of a credentials file to `store`.
 *
 * @param text - the file's content
 * @param store - where the verifiers go
 * @param path - the file name, for messages
 * @returns the SCRAM hashes the file has verifiers for
 * @throws {@link UsageError} naming the line of the first bad entry (never its content)
 */
export function loadCredentialsFile(text: string, store: MemoryCredentialStore, path: string): Set<HashName> {
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LINES) throw new UsageError(`${path}: more than ${MAX_LINES} lines`);
  const hashes = new Set<HashName>();
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) return;
    const m = /^(\S+)\s+(\S+)$/.exec(line);
    if (!m) throw new UsageError(`${path}:${index + 1}: expected "user credential"`);
    try {
      const credential = parseScramCredential(m[2]!);
      store.addCredentials(m[1]!, credential);
      hashes.add(credential.hash);
    } catch (err) {
      // The library's reason says what is wrong without echoing the keys.
      const why = err instanceof SASLError ? (err.text ?? err.kind) : 'unreadable';
      throw new UsageError(`${path}:${index + 1}: ${why}`);
    }
  });
  return hashes;
}
