/**
 * Where a SASL server gets user credentials from.
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';
import { saslprep } from '../../core/saslprep.js';
import type { HashName } from '../../crypto/hashes.js';
import { parseScramVerifier } from './formats.js';
import { checkScramVerifier, deriveScramVerifier, profileOf, requireHash, type ScramVerifier, type VerifierProfile } from './scram.js';
import { iterationCountWarning } from '../../scram/iterations.js';
import type { DEFAULT_MAX_ITERATION_COUNT } from '../../scram/iterations.js';

/**
 * A source of user credentials. Implement it over your database, LDAP, ...;
 * every method may be async.
 *
 * Names passed in are already prepared with SASLprep (as "query" strings).
 * Return `null` (or `[]`) for an unknown user: the mechanisms make an
 * unknown user indistinguishable from a wrong password. To refuse a disabled
 * account, do it in the {@link Authorizer} (which runs after the password
 * was proven), not here, or the refusal reveals that the account exists.
 */
export interface CredentialStore {
  /**
   * The SCRAM verifiers stored for `username`, any hashes, or `null` when unknown.
   *
   * @param username - the prepared user name
   */
  scramCredentials(username: string): Promise<readonly ScramVerifier[] | null> | readonly ScramVerifier[] | null;
  /**
   * Optional: check a plaintext password directly (e.g. an LDAP bind). When
   * present, PLAIN uses it; otherwise PLAIN verifies against the SCRAM
   * verifiers, so no plaintext password needs to be stored anywhere.
   *
   * @param username - the prepared user name
   * @param password - the prepared password
   * @returns true when the password is right; false for a wrong password or unknown user
   */
  verifyPassword?(username: string, password: string): Promise<boolean> | boolean;
  /**
   * Optional: the profiles (hash, iteration count, salt length) of a
   * typical user's verifiers, one per hash that user has. An unknown name
   * is then checked, and shown by SCRAM, as such a user would be, so it
   * costs the same and looks the same. Called on every unknown-user
   * attempt: keep it cheap (a cached value). Absent (or empty): the profile
   * last seen on a known user of this store is used, else every hash at
   * its default count.
   */
  verifierProfiles?(): Promise<readonly VerifierProfile[]> | readonly VerifierProfile[];
}

/** Options of {@link MemoryCredentialStore.addUser}. */
export interface AddUserOptions {
  /** The SCRAM hashes to derive verifiers for; default SHA-1, SHA-256, SHA-512 and SHA3-512. */
  readonly hashes?: readonly HashName[];
  /** PBKDF2 iterations; default per hash, see `defaultIterationCount`. */
  readonly iterations?: number;
  /**
   * Called with a warning (text for people, no secret) when the iteration
   * count is one that SCRAM clients refuse with their default options:
   * above {@link DEFAULT_MAX_ITERATION_COUNT}, or below the hash's minimum.
   * Default: `console.warn`. Pass `() => {}` to silence it.
   */
  readonly onWarning?: (warning: string) => void;
}

const ALL_HASHES: readonly HashName[] = ['SHA-1', 'SHA-256', 'SHA-512', 'SHA3-512'];

function prepareName(username: string): string {
  const name = saslprep(username);
  if (name.length === 0) throw new SASLError(null, 'invalid argument', 'user name is empty after SASLprep');
  return name;
}

/**
 * The in-memory {@link CredentialStore}: for tests, small deployments, or as
 * a cache. Stores only SCRAM verifiers (salt, iterations, StoredKey,
 * ServerKey), never a password.
 */
export class MemoryCredentialStore implements CredentialStore {
  readonly #users = new Map<string, Map<HashName, ScramVerifier>>();
  /** How many users have each set of verifier profiles, by its signature. */
  readonly #profiles = new Map<string, { count: number; readonly profiles: readonly VerifierProfile[] }>();
  #typical: readonly VerifierProfile[] | null = null;

  #count(entry: Map<HashName, ScramVerifier> | undefined, delta: 1 | -1): void {
    if (!entry || entry.size === 0) return;
    const profiles = [...entry.values()].map(profileOf);
    const signature = profiles.map((p) => `${p.hash}:${p.iterations}:${p.saltLength}`).sort().join(',');
    const slot = this.#profiles.get(signature) ?? { count: 0, profiles };
    slot.count += delta;
    if (slot.count > 0) this.#profiles.set(signature, slot);
    else this.#profiles.delete(signature);
    this.#typical = null;
  }

  #set(name: string, entry: Map<HashName, ScramVerifier>): void {
    this.#count(this.#users.get(name), -1);
    this.#users.set(name, entry);
    this.#count(entry, 1);
  }

  /**
   * Add (or replace) a user, deriving a verifier for each hash.
   *
   * @param username - the user name (prepared with SASLprep as a stored string)
   * @param password - the password (likewise); it is not kept
   * @param options - hashes and iteration count
   */
  async addUser(username: string, password: string, options: AddUserOptions = {}): Promise<void> {
    const name = prepareName(username);
    const hashes = options.hashes ?? ALL_HASHES;
    const creds = await Promise.all(
      hashes.map((hash) => deriveScramVerifier(password, { hash, ...(options.iterations === undefined ? {} : { iterations: options.iterations }) })),
    );
    const warn = options.onWarning ?? ((warning: string) => console.warn(`saslkit: ${warning}`));
    for (const c of creds) {
      const warning = iterationCountWarning(requireHash(c.hash), c.iterations);
      if (warning !== null) warn(warning);
    }
    this.#set(name, new Map(creds.map((c) => [c.hash, c])));
  }

  /**
   * Add verifiers to a user (creating it if needed), e.g. migrated hashes.
   * One verifier per hash: a new one replaces the old.
   *
   * @param username - the user name (prepared with SASLprep as a stored string)
   * @param credentials - verifiers, or strings in any format {@link parseScramVerifier} reads
   */
  addCredentials(username: string, ...credentials: readonly (ScramVerifier | string)[]): void {
    const name = prepareName(username);
    const parsed = credentials.map((c) => (typeof c === 'string' ? parseScramVerifier(c) : checkScramVerifier(c)));
    const entry = new Map<HashName, ScramVerifier>(this.#users.get(name) ?? []);
    for (const c of parsed) entry.set(c.hash, c);
    this.#set(name, entry);
  }

  /**
   * Remove a user.
   *
   * @param username - the user name
   * @returns whether the user existed
   */
  deleteUser(username: string): boolean {
    const name = prepareName(username);
    this.#count(this.#users.get(name), -1);
    return this.#users.delete(name);
  }

  /**
   * The verifier profiles most users of this store have (the most common
   * set; on a tie, the one seen first), so that an unknown name costs what
   * a typical user does. Empty while the store is empty.
   */
  verifierProfiles(): readonly VerifierProfile[] {
    if (this.#typical === null) {
      let best: { count: number; readonly profiles: readonly VerifierProfile[] } | null = null;
      for (const slot of this.#profiles.values()) if (!best || slot.count > best.count) best = slot;
      this.#typical = best ? best.profiles : [];
    }
    return this.#typical;
  }

  /**
   * @param username - the prepared user name
   * @returns the user's verifiers, or `null` when unknown
   */
  scramCredentials(username: string): readonly ScramVerifier[] | null {
    const entry = this.#users.get(username);
    return entry ? [...entry.values()] : null;
  }
}
