/**
 * Checking a presented password against a credential store, for the
 * mechanisms that receive one (PLAIN, LOGIN).
 *
 * @module
 */
import type { ServerMechanismContext } from '../mechanism.js';
import { unknownUserCredential, verifyScramPassword, type ScramCredential } from './scram.js';

/** Verifiers cheapest to check first: natively accelerated hashes before SHA3-512. */
const HASH_ORDER = ['SHA-256', 'SHA-512', 'SHA-1', 'SHA3-512'];

function pickVerifier(credentials: readonly ScramCredential[] | null): ScramCredential | undefined {
  const list = credentials ?? [];
  for (const name of HASH_ORDER) {
    const found = list.find((c) => c.hash === name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Check `password` for `authcid`: with the store's `verifyPassword` if it has
 * one, else against the user's SCRAM verifier (derive SaltedPassword, compare
 * StoredKey in constant time), so a store never needs plaintext passwords.
 * An unknown user costs the same PBKDF2 time as a known one.
 *
 * @param context - the mechanism context (store and server secret)
 * @param authcid - the prepared user name
 * @param password - the prepared password
 * @returns true when the password is right
 */
export async function verifyPasswordWithStore(context: ServerMechanismContext, authcid: string, password: string): Promise<boolean> {
  const store = context.credentials;
  if (typeof store.verifyPassword === 'function') return (await store.verifyPassword(authcid, password)) === true;
  const verifier = pickVerifier(await store.scramCredentials(authcid));
  if (verifier) return verifyScramPassword(verifier, password);
  // Unknown user: spend the same PBKDF2 time as for a known one, so timing
  // does not tell the two apart.
  await verifyScramPassword(unknownUserCredential(context.secret, 'SHA-256', authcid), password);
  return false;
}
