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
import { checkIterationCount } from '../../crypto/pbkdf2.js';
import { randomBytes } from '../../crypto/random.js';
import { saltPassword, scramKeysOf } from '../../scram/keys.js';

/**
 * One user's SCRAM verifier for one hash. Holds no password: `storedKey`
 * lets the server check a client proof and `serverKey` lets it prove itself,
 * but neither lets anyone log in as the user elsewhere without a fresh
 * PBKDF2 search.
 */
export interface ScramVerifier {
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

/** Options of {@link deriveScramVerifier}. */
export interface DeriveScramOptions {
  /** The SCRAM hash. */
  readonly hash: HashName;
  /** PBKDF2 iterations; default `defaultIterationCount`. */
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
  return checkIterationCount(iterations, 'iteration count');
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
export async function deriveScramVerifier(password: string, options: DeriveScramOptions): Promise<ScramVerifier> {
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
export async function verifyScramPassword(credential: ScramVerifier, preparedPassword: string): Promise<boolean> {
  const hash = requireHash(credential.hash);
  const keys = scramKeysOf(hash, await saltPassword(hash, preparedPassword, credential.salt, credential.iterations));
  return timingSafeEqual(keys.storedKey, credential.storedKey);
}

/**
 * The cost profile of a verifier: what checking a password against it costs
 * (one PBKDF2 of `iterations` rounds with `hash`), and what SCRAM shows of it
 * (the iteration count and the salt length). Holds nothing secret.
 */
export interface VerifierProfile {
  /** The SCRAM hash. */
  readonly hash: HashName;
  /** The PBKDF2 iteration count. */
  readonly iterations: number;
  /** The salt length in bytes. */
  readonly saltLength: number;
}

/**
 * The profile of `credential`.
 *
 * @param credential - a verifier
 */
export function profileOf(credential: ScramVerifier): VerifierProfile {
  return { hash: credential.hash, iterations: credential.iterations, saltLength: credential.salt.length };
}

/** Fake keys per server secret and hash: they match no password, and no one ever sees them. */
const fakeKeys = new WeakMap<Uint8Array, Map<string, { readonly storedKey: Uint8Array; readonly serverKey: Uint8Array }>>();

function fakeKeysOf(secret: Uint8Array, h: HashAlgorithm): { readonly storedKey: Uint8Array; readonly serverKey: Uint8Array } {
  let perHash = fakeKeys.get(secret);
  if (!perHash) fakeKeys.set(secret, (perHash = new Map()));
  let keys = perHash.get(h.name);
  if (!keys) {
    const keyMaterial = h.hmac(secret, utf8Encode(`saslkit unknown user keys\0${h.name}`));
    keys = { storedKey: h.digest(keyMaterial), serverKey: h.hmac(keyMaterial, utf8Encode('saslkit unknown user server key')) };
    perHash.set(h.name, keys);
  }
  return keys;
}

/**
 * The verifier the server pretends an unknown user has, so that an unknown
 * name goes through the same messages and the same work as a known one:
 * its salt is `HMAC-SHA-256(secret, hash | username)` truncated, stable for
 * a given name as long as `secret` is (one HMAC, and the last 1024 names'
 * salts are kept, so a retried name costs a lookup); its keys match no password and are computed once per secret and hash,
 * then shared by every unknown name (they never leave the server). Treat
 * the returned keys as read-only.
 *
 * @param secret - the server secret
 * @param hash - the SCRAM hash
 * @param username - the (prepared) name the client gave
 * @param iterations - the iteration count to show (use the one real users have)
 * @param saltLength - the salt length to show (use the one real users have)
 */
export function unknownUserScramVerifier(
  secret: Uint8Array,
  hash: HashName,
  username: string,
  iterations: number = defaultIterationCount(hash),
  saltLength: number = DEFAULT_SALT_LENGTH,
): ScramVerifier {
  const h = requireHash(hash);
  const length = Math.max(1, Math.min(32, saltLength));
  let salts = fakeSalts.get(secret);
  if (!salts) fakeSalts.set(secret, (salts = new Map()));
  const key = `${h.name}\0${length}\0${username}`;
  let salt = salts.get(key);
  if (!salt) {
    let keyed = saltMacs.get(secret);
    if (!keyed) saltMacs.set(secret, (keyed = requireHash('SHA-256').hmacWithKey(secret)));
    // HMAC-SHA-256(secret, label), keyed once per secret, on the runtime's crypto backend.
    salt = keyed(utf8Encode(`saslkit unknown user salt\0${h.name}\0${username}`)).slice(0, length);
    if (salts.size >= FAKE_SALT_CACHE_SIZE) salts.clear();
    salts.set(key, salt);
  }
  return { hash: h.name, salt: salt.slice(), iterations, ...fakeKeysOf(secret, h) };
}

/** Unknown names' salts recently shown, per secret: a retried name costs a lookup instead of an HMAC. */
const fakeSalts = new WeakMap<Uint8Array, Map<string, Uint8Array>>();
const FAKE_SALT_CACHE_SIZE = 1024;
/** HMAC-SHA-256 keyed with each secret, its key prepared once. */
const saltMacs = new WeakMap<Uint8Array, (data: Uint8Array) => Uint8Array>();

/** The fake verifiers PLAIN and LOGIN check an unknown name against, per secret and profile. */
const dummyVerifiers = new WeakMap<Uint8Array, Map<string, ScramVerifier>>();

/**
 * A verifier of the given profile that matches no password, for checking
 * the password an unknown user presented at the cost a real verifier of
 * that profile has (PLAIN, LOGIN). Memoised per secret and profile (at most
 * 64 profiles per secret), so it costs a map lookup; the password check
 * itself (one PBKDF2 with the profile's hash and count) is the cost that
 * must be paid, as for a real user.
 *
 * @param secret - the server secret
 * @param profile - the profile of the verifier a real user would be checked against
 * @throws {@link SASLError} for an unsupported hash or an iteration count out of range
 */
export function dummyVerifier(secret: Uint8Array, profile: VerifierProfile): ScramVerifier {
  const h = requireHash(profile.hash);
  const iterations = checkIterations(profile.iterations);
  const saltLength = Math.max(1, Math.min(64, Number.isSafeInteger(profile.saltLength) ? profile.saltLength : DEFAULT_SALT_LENGTH));
  let perProfile = dummyVerifiers.get(secret);
  if (!perProfile) dummyVerifiers.set(secret, (perProfile = new Map()));
  const key = `${h.name}:${iterations}:${saltLength}`;
  let verifier = perProfile.get(key);
  if (!verifier) {
    const salt = new Uint8Array(saltLength);
    salt.set(requireHash('SHA-512').hmac(secret, utf8Encode(`saslkit dummy verifier salt\0${key}`)).subarray(0, saltLength));
    verifier = { hash: h.name, salt, iterations, ...fakeKeysOf(secret, h) };
    if (perProfile.size >= 64) perProfile.clear();
    perProfile.set(key, verifier);
  }
  return verifier;
}

function invalidCredential(hash: { readonly name: string }, why: string): SASLError {
  return new SASLError(null, 'invalid credential', `SCRAM-${hash.name} credential: ${why}`);
}

/**
 * Check that `credential` is a well-formed {@link ScramVerifier}: a known
 * hash, a non-empty salt, a usable iteration count and keys of the hash's
 * length.
 *
 * @param credential - the value to check
 * @returns the same credential
 * @throws {@link SASLError} of kind `'invalid credential'` when it is not
 */
export function checkScramVerifier(credential: ScramVerifier): ScramVerifier {
  const hash = requireHash(credential?.hash);
  // Module-level helpers rather than closures: this runs on every lookup.
  if (!(credential.salt instanceof Uint8Array) || credential.salt.length === 0) throw invalidCredential(hash, 'the salt must be a non-empty Uint8Array');
  checkIterationCount(credential.iterations, 'the iteration count', (why) => invalidCredential(hash, why));
  if (!(credential.storedKey instanceof Uint8Array) || credential.storedKey.length !== hash.outputLength) throw invalidCredential(hash, `storedKey must be ${hash.outputLength} bytes`);
  if (!(credential.serverKey instanceof Uint8Array) || credential.serverKey.length !== hash.outputLength) throw invalidCredential(hash, `serverKey must be ${hash.outputLength} bytes`);
  return credential;
}

/**
 * The earlier name of {@link ScramVerifier}.
 *
 * @deprecated use {@link ScramVerifier}: the stored SCRAM object is a verifier (RFC 5803's authPassword)
 */
export type ScramCredential = ScramVerifier;
/**
 * The earlier name of {@link checkScramVerifier}.
 *
 * @deprecated use {@link checkScramVerifier}
 */
export const checkScramCredential = checkScramVerifier;
/**
 * The earlier name of {@link unknownUserScramVerifier}.
 *
 * @deprecated use {@link unknownUserScramVerifier}
 */
export const unknownUserCredential = unknownUserScramVerifier;
/**
 * The earlier name of {@link deriveScramVerifier}.
 *
 * @deprecated use {@link deriveScramVerifier}
 */
export const deriveScramCredentials = deriveScramVerifier;
