/**
 * The SCRAM client's key cache (RFC 5802 §5.1: "client implementations MAY
 * cache ClientKey & ServerKey ... for subsequent authentication"), as GNU SASL,
 * rsasl and the MongoDB driver keep one.
 *
 * A SCRAM login costs one PBKDF2 of the password with the server's salt and
 * iteration count; ClientKey and ServerKey follow from that result alone. As
 * long as the server keeps the user's salt and count, the next login can
 * reuse them and cost a few HMACs instead of thousands.
 *
 * What is kept: per (hash, salt, iteration count, password) the ClientKey and
 * ServerKey, in memory only, never the password nor SaltedPassword. The
 * password enters the cache key as `HMAC-SHA-256(secret, password)` under a
 * random secret of the cache's own, so another password never hits, and
 * nothing in the cache compares to a password without that secret. Keys are
 * stored only after the server proved it knows them (its `v=` checked out),
 * so a mistyped password never fills the cache.
 *
 * Treat a cache like the password itself: ClientKey alone is enough to log in
 * to that server as that user. Callers that keep keys across processes (see
 * {@link ScramClientKeys}) must store them as secrets.
 *
 * @module
 */
import { base64Encode, utf8Encode } from '../core/bytes.js';
import { SASLError } from '../core/errors.js';
import { hashByName, type HashAlgorithm, type HashName } from '../crypto/hashes.js';
import { randomBytes } from '../crypto/random.js';
import { clientKeyOf, saltPassword, serverKeyOf } from './keys.js';
import { checkInteger, integerRule, isIntegerIn } from '../core/checks.js';

/**
 * The keys a SCRAM client derives from a password for one (hash, salt,
 * iteration count), as {@link SCRAMOptions.onKeys} hands them out and
 * {@link SCRAMOptions.keys} takes them back (RFC 5802 §3).
 */
export interface ScramClientKeys {
  /** The SCRAM hash, e.g. `'SHA-256'`. */
  readonly hash: HashName;
  /** The salt the server sent (`s=`), decoded. */
  readonly salt: Uint8Array;
  /** The iteration count the server sent (`i=`). */
  readonly iterations: number;
  /** `HMAC(SaltedPassword, "Client Key")`: `hash`'s output length. */
  readonly clientKey: Uint8Array;
  /** `HMAC(SaltedPassword, "Server Key")`: `hash`'s output length. */
  readonly serverKey: Uint8Array;
}

/** Options of {@link ScramKeyCache}. */
export interface ScramKeyCacheOptions {
  /** How many (hash, salt, count, password) entries to keep; the least recently used goes first. Default 16; 1 to 100000. */
  readonly maxEntries?: number;
}

/** Default for {@link ScramKeyCacheOptions.maxEntries}. */
export const DEFAULT_KEY_CACHE_ENTRIES = 16;

interface Entry {
  readonly clientKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

const TAG_HASH = 'SHA-256';

/**
 * A bounded, least-recently-used cache of SCRAM client keys (RFC 5802 §5.1).
 * {@link SCRAM} and {@link SCRAMPLUS} use {@link defaultScramKeyCache}
 * unless given their own or `cache: false`.
 *
 * ```ts
 * const cache = new ScramKeyCache({ maxEntries: 4 });
 * const scram = new SCRAM(credentials, { cache });
 * ```
 */
export class ScramKeyCache {
  /** The bound given at construction. */
  readonly maxEntries: number;
  // Made on first use, so importing saslkit draws no randomness.
  #secret: Uint8Array | undefined;
  readonly #entries = new Map<string, Entry>();

  /**
   * @param options - see {@link ScramKeyCacheOptions}
   * @throws {@link SASLError} of kind `'invalid argument'` for a bad `maxEntries`
   */
  constructor(options: ScramKeyCacheOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_KEY_CACHE_ENTRIES;
    this.maxEntries = checkInteger(max, 'maxEntries', 1, 100_000);
  }

  /** How many entries the cache holds now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Drop every entry. */
  clear(): void {
    this.#entries.clear();
  }

  #keyOf(hash: HashName, preparedPassword: string, salt: Uint8Array, iterations: number): string {
    this.#secret ??= randomBytes(32);
    const tag = hashByName(TAG_HASH)!.hmac(this.#secret, utf8Encode(preparedPassword));
    return `${hash}\0${iterations}\0${base64Encode(salt)}\0${base64Encode(tag)}`;
  }

  /**
   * The keys cached for these inputs, marked most recently used; `undefined`
   * on a miss.
   *
   * @param hash - the SCRAM hash
   * @param preparedPassword - the password after SASLprep
   * @param salt - the server's salt
   * @param iterations - the server's iteration count
   */
  get(hash: HashName, preparedPassword: string, salt: Uint8Array, iterations: number): ScramClientKeys | undefined {
    const key = this.#keyOf(hash, preparedPassword, salt, iterations);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return { hash, salt: salt.slice(), iterations, clientKey: entry.clientKey.slice(), serverKey: entry.serverKey.slice() };
  }

  /**
   * Keep `keys` for `preparedPassword`, evicting the least recently used
   * entry beyond {@link ScramKeyCache.maxEntries}.
   *
   * @param preparedPassword - the password after SASLprep the keys come from
   * @param keys - the keys, for `keys.hash`, `keys.salt` and `keys.iterations`
   */
  set(preparedPassword: string, keys: ScramClientKeys): void {
    const key = this.#keyOf(keys.hash, preparedPassword, keys.salt, keys.iterations);
    this.#entries.delete(key);
    this.#entries.set(key, { clientKey: keys.clientKey.slice(), serverKey: keys.serverKey.slice() });
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

/** The cache SCRAM clients share unless given another (16 entries). */
export const defaultScramKeyCache = new ScramKeyCache();

/**
 * Check handed-in keys at the boundary.
 *
 * @internal
 */
export function checkClientKeys(keys: ScramClientKeys): ScramClientKeys {
  const hash = typeof keys?.hash === 'string' ? hashByName(keys.hash) : undefined;
  const fail = (why: string): never => {
    throw new SASLError(null, 'invalid argument', `SCRAM keys: ${why}`);
  };
  if (!hash || hash.name !== keys.hash) fail('unsupported hash');
  if (!(keys.salt instanceof Uint8Array) || keys.salt.length === 0) fail('salt must be a non-empty Uint8Array');
  if (!isIntegerIn(keys.iterations)) fail(integerRule('iterations'));
  for (const name of ['clientKey', 'serverKey'] as const) {
    if (!(keys[name] instanceof Uint8Array) || keys[name].length !== hash!.outputLength) fail(`${name} must be ${hash!.outputLength} bytes`);
  }
  return keys;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Salts are public: an ordinary comparison is fine.
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Where a client's keys come from: handed in, a cache, or neither. @internal */
export interface ClientKeySource {
  readonly keys: readonly ScramClientKeys[];
  readonly cache: ScramKeyCache | null;
}

/**
 * ClientKey and ServerKey for one exchange: handed-in keys that match the
 * server's (hash, salt, count), else a cache hit, else a fresh PBKDF2.
 * `derived` says whether the caller should store the keys once the server
 * has proved itself.
 *
 * @internal
 */
export async function clientKeysFor(
  hash: HashAlgorithm,
  preparedPassword: string,
  salt: Uint8Array,
  iterations: number,
  source: ClientKeySource,
): Promise<{ readonly keys: ScramClientKeys; readonly derived: boolean }> {
  const given = source.keys.find((k) => k.hash === hash.name && k.iterations === iterations && sameBytes(k.salt, salt));
  if (given) return { keys: given, derived: false };
  const cached = source.cache?.get(hash.name, preparedPassword, salt, iterations);
  if (cached) return { keys: cached, derived: false };
  const salted = await saltPassword(hash, preparedPassword, salt, iterations);
  const keys = { hash: hash.name, salt, iterations, clientKey: clientKeyOf(hash, salted), serverKey: serverKeyOf(hash, salted) };
  salted.fill(0);
  return { keys, derived: true };
}
