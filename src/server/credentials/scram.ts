/**
 * SCRAM verifiers: what a server stores instead of a password (RFC 5802 §3).
 *
 * @module
 */
import { utf8Encode } from '../../core/bytes.js';
import { SASLError } from '../../core/errors.js';
import { saslprep } from '../../core/saslprep.js';
import { timingSafeEqual } from '../../crypto/constant-time.js';
import { hashByName, type HashAlgorithm, type HashName } from '../../crypto/hashes.js';
import { PBKDF2_HARD_LIMIT } from '../../crypto/pbkdf2.js';
import { randomBytes } from '../../crypto/random.js';
import { saltPassword, scramKeysOf } from '../../scram/keys.js';

/**
 * One user's SCRAM verifier for one hash. Holds no password: `storedKey`
 * lets the server check a client proof and `serverKey` lets it prove itself,
 * but neither lets anyone log in as the user elsewhere without a fresh
 * PBKDF2 search.
 */
export interface ScramCredential {
  /** The SCRAM hash, e.g. `'SHA-256'` for SCRAM-SHA-256(-PLUS). */
  readonly hash: HashName;
  /** The salt. */
  readonly salt: Uint8Array;
  /** The PBKDF2 iteration count. */
  readonly iterations: number;
  /** `H(HMAC(SaltedPassword, "Client Key"))`. */
  readonly storedKey: Uint8Array;
  /** `HMAC(SaltedPassword, "Server Key")`. */
  readonly serverKey: Uint8Array;
}

/** Options of {@link deriveScramCredentials}. */
export interface DeriveScramOptions {
  /** The SCRAM hash. */
  readonly hash: HashName;
  /** PBKDF2 iterations; default {@link defaultIterationCount}. */
  readonly iterations?: number;
  /** The salt; default 16 random bytes. */
  readonly salt?: Uint8Array;
}

/** Length of the salts saslkit makes (and of the fake salts of unknown users). */
export const DEFAULT_SALT_LENGTH = 16;

/**
 * The default iteration count for `hash`: the smallest count clients accept
 * by default (4096 for SHA-1 and SHA-256, as PostgreSQL and Dovecot use;
 * 10000 for the 512-bit hashes). Raise it if all your clients accept more.
 *
 * @param hash - the SCRAM hash
 */
export function defaultIterationCount(hash: HashName): number {
  return requireHash(hash).minimumIterationCount;
}

/** @internal look up a hash or throw a precise error */
export function requireHash(hash: string): HashAlgorithm {
  const h = typeof hash === 'string' ? hashByName(hash) : undefined;
  if (!h || h.name !== hash) throw new SASLError(null, 'invalid argument', `unsupported SCRAM hash: ${String(hash)}`);
  return h;
}

function checkIterations(iterations: number): number {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > PBKDF2_HARD_LIMIT) {
    throw new SASLError(null, 'invalid argument', `iteration count must be an integer from 1 to ${PBKDF2_HARD_LIMIT}`);
  }
  return iterations;
}

/**
 * Derive the SCRAM verifier of `password`. The password is prepared with
 * SASLprep as a stored string (RFC 4013), as RFC 5802 requires.
 *
 * @param password - the user's password
 * @param options - hash, iterations and salt
 * @returns the verifier; the password itself is not kept
 * @throws {@link SASLError} for a bad option, {@link SASLFailure} when SASLprep refuses the password
 */
export async function deriveScramCredentials(password: string, options: DeriveScramOptions): Promise<ScramCredential> {
  const hash = requireHash(options?.hash);
  const iterations = checkIterations(options.iterations ?? hash.minimumIterationCount);
  const salt = options.salt ?? randomBytes(DEFAULT_SALT_LENGTH);
  if (!(salt instanceof Uint8Array) || salt.length === 0) throw new SASLError(null, 'invalid argument', 'salt must be a non-empty Uint8Array');
  const prepared = saslprep(password);
  if (prepared.length === 0) throw new SASLError(null, 'invalid argument', 'password is empty after SASLprep');
  const keys = scramKeysOf(hash, await saltPassword(hash, prepared, salt, iterations));
  return { hash: hash.name, salt: salt.slice(), iterations, storedKey: keys.storedKey, serverKey: keys.serverKey };
}

/**
 * Check a candidate password against a stored verifier in constant time
 * (PLAIN over a SCRAM-only store). The password must already be prepared.
 *
 * @param credential - the stored verifier
 * @param preparedPassword - the password after SASLprep
 */
export async function verifyScramPassword(credential: ScramCredential, preparedPassword: string): Promise<boolean> {
  const hash = requireHash(credential.hash);
  const keys = scramKeysOf(hash, await saltPassword(hash, preparedPassword, credential.salt, credential.iterations));
  return timingSafeEqual(keys.storedKey, credential.storedKey);
}

/**
 * The verifier the server pretends an unknown user has, so that an unknown
 * name goes through the same messages as a known one: its salt is
 * `HMAC-SHA-256(secret, hash | username)` truncated, stable for a given
 * name as long as `secret` is; its keys match no password.
 *
 * @param secret - the server secret
 * @param hash - the SCRAM hash
 * @param username - the (prepared) name the client gave
 * @param iterations - the iteration count to show (use the one real users have)
 * @param saltLength - the salt length to show (use the one real users have)
 */
export function unknownUserCredential(
  secret: Uint8Array,
  hash: HashName,
  username: string,
  iterations: number = defaultIterationCount(hash),
  saltLength: number = DEFAULT_SALT_LENGTH,
): ScramCredential {
  const h = requireHash(hash);
  const mac = requireHash('SHA-256');
  const label = (what: string) => utf8Encode(`saslkit unknown user ${what}\0${h.name}\0${username}`);
  const salt = mac.hmac(secret, label('salt')).slice(0, Math.max(1, Math.min(32, saltLength)));
  const keyMaterial = h.hmac(secret, label('keys'));
  return { hash: h.name, salt, iterations, storedKey: h.digest(keyMaterial), serverKey: h.hmac(keyMaterial, label('server')) };
}

/**
 * Check that `credential` is a well-formed {@link ScramCredential}: a known
 * hash, a non-empty salt, a usable iteration count and keys of the hash's
 * length.
 *
 * @param credential - the value to check
 * @returns the same credential
 * @throws {@link SASLError} of kind `'invalid credential'` when it is not
 */
export function checkScramCredential(credential: ScramCredential): ScramCredential {
  const hash = requireHash(credential?.hash);
  const fail = (why: string): never => {
    throw new SASLError(null, 'invalid credential', `SCRAM-${hash.name} credential: ${why}`);
  };
  if (!(credential.salt instanceof Uint8Array) || credential.salt.length === 0) fail('the salt must be a non-empty Uint8Array');
  if (!Number.isSafeInteger(credential.iterations) || credential.iterations < 1 || credential.iterations > PBKDF2_HARD_LIMIT) {
    fail(`the iteration count must be an integer from 1 to ${PBKDF2_HARD_LIMIT}`);
  }
  for (const key of ['storedKey', 'serverKey'] as const) {
    const value = credential[key];
    if (!(value instanceof Uint8Array) || value.length !== hash.outputLength) fail(`${key} must be ${hash.outputLength} bytes`);
  }
  return credential;
}
