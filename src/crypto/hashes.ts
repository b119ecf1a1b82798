/**
 * The hash functions SCRAM can use, with what each needs to know about them.
 *
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { hmac } from '@noble/hashes/hmac.js';
import type { CHash } from '@noble/hashes/utils.js';

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
}

type NobleHash = CHash;

function algorithm(
  name: HashName,
  fn: NobleHash,
  webCryptoName: HashAlgorithm['webCryptoName'],
  minimumIterationCount: number,
  strength: number,
): HashAlgorithm {
  return Object.freeze({
    name,
    outputLength: fn.outputLen,
    webCryptoName,
    minimumIterationCount,
    strength,
    digest: (data: Uint8Array) => fn(data),
    hmac: (key: Uint8Array, data: Uint8Array) => hmac(fn, key, data),
    noble: fn,
  });
}

/** Every supported hash, strongest first. */
export const HASHES: readonly HashAlgorithm[] = Object.freeze([
  algorithm('SHA3-512', sha3_512, null, 10000, 40),
  algorithm('SHA-512', sha512, 'SHA-512', 10000, 30),
  algorithm('SHA-256', sha256, 'SHA-256', 4096, 20),
  algorithm('SHA-1', sha1, 'SHA-1', 4096, 10),
]);

/**
 * Look up a hash by its SCRAM name (case-insensitive).
 *
 * @param name - e.g. `'SHA-256'`
 * @returns the algorithm, or `undefined` when unsupported
 */
export function hashByName(name: string): HashAlgorithm | undefined {
  const upper = typeof name === 'string' ? name.toUpperCase() : '';
  return HASHES.find((h) => h.name === upper);
}

/** @internal the noble function behind an algorithm, for the portable PBKDF2. */
export function nobleHashOf(h: HashAlgorithm): NobleHash {
  return (h as HashAlgorithm & { noble: NobleHash }).noble;
}
