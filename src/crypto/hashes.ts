/**
 * The hash functions SCRAM can use, with what each needs to know about them.
 * Hashes and HMACs run on the crypto backend package.json's `#crypto-backend`
 * import selects: `node:crypto` in Node, `@noble/hashes` elsewhere (same
 * bytes either way).
 *
 * @module
 */
import { backend } from '#crypto-backend';

/** A hash name as it appears in a SCRAM mechanism name. */
export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-512' | 'SHA3-512';

/** A hash function and the SCRAM parameters tied to it. */
export interface HashAlgorithm {
  /** The name as used in `SCRAM-<name>`, e.g. `'SHA-256'`. */
  readonly name: HashName;
  /** Output length in bytes. */
  readonly outputLength: number;
  /** The WebCrypto name for native PBKDF2, or `null` where WebCrypto has none. */
  readonly webCryptoName: 'SHA-1' | 'SHA-256' | 'SHA-512' | null;
  /**
   * The smallest iteration count servers should announce for this hash, and
   * saslkit's default for new verifiers: RFC 5802 §5.1's 4096 for SHA-1 and
   * SHA-256 (RFC 7677 §4), the SHA-512 drafts' 10000 for the 512-bit hashes.
   * (The SCRAM client's own floor is 4096 for every hash:
   * `DEFAULT_MIN_ITERATION_COUNT` in mechanisms/scram.ts explains why.)
   */
  readonly minimumIterationCount: number;
  /** Relative strength, used to order mechanisms strongest first. */
  readonly strength: number;
  /** Hash `data`. */
  digest(data: Uint8Array): Uint8Array;
  /** HMAC of `data` under `key`. */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * HMAC under one key prepared once (a Node `KeyObject`, or the portable
   * backend's keyed state): for a key used many times, such as a stored
   * verifier's StoredKey. `hmacWithKey(k)(d)` equals `hmac(k, d)`.
   */
  hmacWithKey(key: Uint8Array): (data: Uint8Array) => Uint8Array;
}

function algorithm(
  name: HashName,
  outputLength: number,
  webCryptoName: HashAlgorithm['webCryptoName'],
  minimumIterationCount: number,
  strength: number,
): HashAlgorithm {
  return Object.freeze({
    name,
    outputLength,
    webCryptoName,
    minimumIterationCount,
    strength,
    digest: (data: Uint8Array) => backend.digest(name, data),
    hmac: (key: Uint8Array, data: Uint8Array) => backend.hmac(name, key, data),
    hmacWithKey: (key: Uint8Array) => backend.hmacWithKey(name, key),
  });
}

/** Every supported hash, strongest first. */
export const HASHES: readonly HashAlgorithm[] = Object.freeze([
  algorithm('SHA3-512', 64, null, 10000, 40),
  algorithm('SHA-512', 64, 'SHA-512', 10000, 30),
  algorithm('SHA-256', 32, 'SHA-256', 4096, 20),
  algorithm('SHA-1', 20, 'SHA-1', 4096, 10),
]);

/**
 * Look up a hash by its SCRAM name (case-insensitive).
 *
 * @param name - e.g. `'SHA-256'`
 * @returns the algorithm, or `undefined` when unsupported
 */
export function hashByName(name: string): HashAlgorithm | undefined {
  if (typeof name !== 'string') return undefined;
  // The exact name first (what stored verifiers hold): no string made per lookup.
  for (const h of HASHES) if (h.name === name) return h;
  const upper = name.toUpperCase();
  return HASHES.find((h) => h.name === upper);
}
