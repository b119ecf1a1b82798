/**
 * Checking a presented password against a credential store, for the
 * mechanisms that receive one (PLAIN, LOGIN), and making an unknown user
 * cost what a known one does.
 *
 * An unknown name must not be cheaper to refuse than a known one, or timing
 * tells an attacker which names exist. A known user's password is checked
 * with one PBKDF2 of its verifier's hash and iteration count, so an unknown
 * name is checked, at the same cost, against a dummy verifier of the same
 * profile ({@link VerifierProfile}): the profile the store reports as its
 * users' typical one ({@link CredentialStore.verifierProfiles}), else the one
 * last seen on a known user of this store, else each hash at its default
 * count. The dummy verifier is memoised per profile ({@link dummyVerifier}).
 *
 * @module
 */
import type { HashName } from '../../crypto/hashes.js';
import type { ServerMechanismContext } from '../mechanism.js';
import { defaultIterationCount, DEFAULT_SALT_LENGTH, dummyVerifier, profileOf, verifyScramPassword, type ScramVerifier, type VerifierProfile } from './scram.js';
import type { CredentialStore } from './store.js';

/** Verifiers cheapest to check first: natively accelerated hashes before SHA3-512. */
const HASH_ORDER: readonly HashName[] = ['SHA-256', 'SHA-512', 'SHA-1', 'SHA3-512'];

/** What a store without profiles (and no known user seen yet) is assumed to hold: every hash at its default count. */
const DEFAULT_PROFILES: readonly VerifierProfile[] = HASH_ORDER.map((hash) => ({ hash, iterations: defaultIterationCount(hash), saltLength: DEFAULT_SALT_LENGTH }));

/** The profiles last seen on a known user, per store without `verifierProfiles`. */
const observed = new WeakMap<CredentialStore, readonly VerifierProfile[]>();

/** The verifier a password is checked against, of those a user has: the same rule for known and unknown users. */
function pickVerifier<T extends { readonly hash: HashName }>(list: readonly T[]): T | undefined {
  for (const name of HASH_ORDER) {
    const found = list.find((c) => c.hash === name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Remember the profile of a known user's verifiers, for a store that does
 * not report {@link CredentialStore.verifierProfiles}.
 *
 * @param store - the store the verifiers came from
 * @param credentials - the known user's verifiers
 */
export function observeVerifiers(store: CredentialStore, credentials: readonly ScramVerifier[]): void {
  if (typeof store.verifierProfiles !== 'function' && credentials.length > 0 && !sameProfiles(observed.get(store), credentials)) {
    observed.set(store, credentials.map(profileOf));
  }
}

/** Do `credentials` show exactly the profiles already remembered? (Then nothing is stored again: this runs on every login.) */
function sameProfiles(profiles: readonly VerifierProfile[] | undefined, credentials: readonly ScramVerifier[]): boolean {
  if (profiles === undefined || profiles.length !== credentials.length) return false;
  for (let i = 0; i < credentials.length; i++) {
    const p = profiles[i]!;
    const c = credentials[i]!;
    if (p.hash !== c.hash || p.iterations !== c.iterations || p.saltLength !== c.salt.length) return false;
  }
  return true;
}

/**
 * The verifier profiles of a typical user of the store: what the store
 * reports, else what was last seen on one of its known users, else every
 * hash at its default iteration count.
 *
 * @param store - the credential store
 */
export function typicalVerifierProfiles(store: CredentialStore): readonly VerifierProfile[] | Promise<readonly VerifierProfile[]> {
  const fallback = (reported: unknown): readonly VerifierProfile[] =>
    Array.isArray(reported) && reported.length > 0 ? (reported as readonly VerifierProfile[]) : (observed.get(store) ?? DEFAULT_PROFILES);
  if (typeof store.verifierProfiles !== 'function') return fallback(null);
  const reported = store.verifierProfiles();
  // A synchronous store (the in-memory one) answers without an await.
  return typeof (reported as { then?: unknown }).then === 'function' ? Promise.resolve(reported).then(fallback) : fallback(reported);
}

/**
 * The dummy verifier an unknown user's password is checked against: of the
 * store's typical profiles, the one a real user's password would be checked
 * against (the same hash preference), memoised per profile.
 *
 * @param context - the mechanism context (store and server secret)
 * @returns a verifier that matches no password
 */
export async function unknownUserVerifier(context: ServerMechanismContext): Promise<ScramVerifier> {
  const profile = pickVerifier(await typicalVerifierProfiles(context.credentials)) ?? DEFAULT_PROFILES[0]!;
  return dummyVerifier(context.secret, profile);
}

/**
 * Check `password` for `authcid`: with the store's `verifyPassword` if it has
 * one, else against the user's SCRAM verifier (derive SaltedPassword, compare
 * StoredKey in constant time), so a store never needs plaintext passwords.
 * An unknown user costs the same PBKDF2 as a known one: its password is
 * checked against {@link unknownUserVerifier}.
 *
 * @param context - the mechanism context (store and server secret)
 * @param authcid - the prepared user name
 * @param password - the prepared password
 * @returns true when the password is right
 */
export async function verifyPasswordWithStore(context: ServerMechanismContext, authcid: string, password: string): Promise<boolean> {
  const store = context.credentials;
  if (typeof store.verifyPassword === 'function') return (await store.verifyPassword(authcid, password)) === true;
  const credentials = (await store.scramCredentials(authcid)) ?? [];
  const verifier = pickVerifier(credentials);
  if (verifier) {
    observeVerifiers(store, credentials);
    return verifyScramPassword(verifier, password);
  }
  await verifyScramPassword(await unknownUserVerifier(context), password);
  return false;
}
