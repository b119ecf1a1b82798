/**
 * The crypto backend seam: the hash, HMAC, PBKDF2 and base64 primitives SCRAM
 * runs on, in two interchangeable implementations that give identical bytes.
 *
 * - `backend-portable.ts`: `@noble/hashes` plus WebCrypto PBKDF2, for
 *   browsers, Deno, Bun and every other runtime;
 * - `backend.node.ts`: `node:crypto` (OpenSSL) and `Buffer`, several times
 *   faster per HMAC in Node.
 *
 * The choice is made by the module resolver, not at run time: package.json
 * maps the specifier `#crypto-backend` to the Node module under the `node`
 * condition and to the portable one by `default`, so a browser bundle never
 * sees `node:crypto`.
 *
 * @module
 * @internal
 */

/** The hash names of SCRAM (RFC 5802 §4, RFC 7677), as {@link HashName} in hashes.ts. */
export type BackendHashName = 'SHA-1' | 'SHA-256' | 'SHA-512' | 'SHA3-512';

/**
 * What a crypto backend provides. Every method is synchronous except PBKDF2,
 * which never blocks the event loop.
 * @internal
 */
export interface CryptoBackend {
  /** `'node'` or `'portable'`, for the benchmark and the tests. */
  readonly name: 'node' | 'portable';
  /** `H(data)`. */
  digest(hash: BackendHashName, data: Uint8Array): Uint8Array;
  /** `HMAC(key, data)` (RFC 2104). */
  hmac(hash: BackendHashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * HMAC under one key, prepared once (a Node `KeyObject`, a noble
   * precomputed inner/outer state), for a key used many times such as a
   * stored verifier's StoredKey.
   */
  hmacWithKey(hash: BackendHashName, key: Uint8Array): (data: Uint8Array) => Uint8Array;
  /**
   * PBKDF2 (RFC 8018) off the event loop, `length` bytes; `null` when this
   * backend has no native PBKDF2 for the hash (the caller then uses the
   * portable one).
   */
  pbkdf2(hash: BackendHashName, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Promise<Uint8Array | null>;
  /** Standard padded base64 of `bytes`, or `null` when the runtime has no fast path. */
  base64Encode(bytes: Uint8Array): string | null;
  /**
   * Strict standard base64 decoding (canonical encodings only), `undefined`
   * when the runtime has no fast path, `null` when `text` is not canonical
   * base64 (the caller then explains why with its own decoder).
   */
  base64Decode(text: string): Uint8Array | null | undefined;
}
