/**
 * PBKDF2 (RFC 8018) that never blocks the event loop: native where the
 * runtime has it for the hash (in Node `crypto.pbkdf2` on libuv's thread
 * pool, elsewhere WebCrypto's `deriveBits`), else `@noble/hashes`' async
 * PBKDF2, which yields to the event loop as it goes.
 *
 * @module
 */
import { backend } from '#crypto-backend';
import type { HashAlgorithm } from './hashes.js';
import { checkInteger, type CheckFailure } from '../core/checks.js';

/** The largest iteration count saslkit will ever compute, whatever the caller asks. */
export const PBKDF2_HARD_LIMIT = 10_000_000;

/**
 * The iteration-count rule, in one place: an integer from 1 to
 * {@link PBKDF2_HARD_LIMIT}, for PBKDF2 and for every verifier saslkit makes
 * or reads.
 *
 * @param iterations - the count
 * @param title - what it is, for the error
 * @param fail - makes the error; default a `SASLError` `'invalid argument'`
 * @returns `iterations`
 */
export function checkIterationCount(iterations: unknown, title = 'PBKDF2 iteration count', fail?: CheckFailure): number {
  return checkInteger(iterations, title, 1, PBKDF2_HARD_LIMIT, fail);
}

function check(iterations: number): void {
  checkIterationCount(iterations);
}

/**
 * PBKDF2 with `@noble/hashes` (pure JavaScript, async). Works for every hash.
 *
 * @param hash - the PRF's hash
 * @param password - the password bytes
 * @param salt - the salt
 * @param iterations - the iteration count
 * @returns `hash.outputLength` bytes
 */
export async function pbkdf2Portable(
  hash: HashAlgorithm,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  check(iterations);
  // Loaded on first use: in Node the native path covers every hash, so the
  // pure-JavaScript PBKDF2 and hash tables are never loaded there.
  const [{ pbkdf2Async }, { NOBLE }] = await Promise.all([import('@noble/hashes/pbkdf2.js'), import('./noble.js')]);
  return pbkdf2Async(NOBLE[hash.name], password, salt, { c: iterations, dkLen: hash.outputLength, asyncTick: 10 });
}

/**
 * PBKDF2 through the runtime's native code: `crypto.pbkdf2` on libuv's
 * thread pool in Node (every SCRAM hash), WebCrypto's
 * `crypto.subtle.deriveBits` elsewhere (SHA-1, SHA-256, SHA-512).
 *
 * @returns the derived bytes, or `null` when the runtime or hash has no native PBKDF2
 */
export async function pbkdf2Native(
  hash: HashAlgorithm,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array | null> {
  check(iterations);
  return backend.pbkdf2(hash.name, password, salt, iterations, hash.outputLength);
}

/**
 * PBKDF2 giving `hash.outputLength` bytes (SCRAM's `Hi()`), natively where
 * possible, else in portable JavaScript. Both give identical bytes.
 *
 * @param hash - the PRF's hash
 * @param password - the password bytes
 * @param salt - the salt
 * @param iterations - the iteration count (1 to `PBKDF2_HARD_LIMIT`)
 */
export async function pbkdf2(
  hash: HashAlgorithm,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  return (await pbkdf2Native(hash, password, salt, iterations)) ?? pbkdf2Portable(hash, password, salt, iterations);
}
