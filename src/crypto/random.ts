/**
 * Randomness from `crypto.getRandomValues`, available in browsers, Node >= 19,
 * Deno and Bun.
 *
 * @module
 */
import { SASLError } from '../core/errors.js';
import { checkInteger } from '../core/checks.js';

/**
 * Fill a new array with `length` cryptographically secure random bytes.
 *
 * @param length - how many bytes
 */
export function randomBytes(length: number): Uint8Array {
  const c = globalThis.crypto;
  if (!c || typeof c.getRandomValues !== 'function') {
    throw new SASLError(null, 'unsupported runtime', 'crypto.getRandomValues is not available');
  }
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let o = 0; o < length; o += 65536) c.getRandomValues(out.subarray(o, Math.min(length, o + 65536)));
  return out;
}

/**
 * The alphabet saslkit draws nonces from: the 62 ASCII letters and digits.
 *
 * RFC 5802 §5.1 allows any `printable` character but `,` (0x21-0x7E), and a
 * peer must accept all of them; saslkit does (see `checkNonce`). But some
 * clients and servers misread a nonce holding `"`, `\`, `=` or other
 * punctuation (xmpp.js and stanza split on `"`), so, conservative in what it
 * sends, saslkit sends letters and digits only, as most implementations do.
 * 24 characters carry 24 × log2(62) ≈ 142.9 bits.
 */
const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Make a nonce of `length` characters drawn uniformly from the 62 ASCII
 * letters and digits, by rejection sampling over `crypto.getRandomValues`
 * bytes. They are a subset of RFC 5802's `printable`, which every peer must
 * accept, and the part of it no peer misreads.
 *
 * @param length - number of characters, an integer from 1 to 1024
 * @returns the nonce
 * @throws {@link SASLError} (`invalid argument`) for any other length;
 *   (`unsupported runtime`) without `crypto.getRandomValues`
 */
export function randomNonce(length: number): string {
  checkInteger(length, 'nonce length', 1, 1024);
  const n = NONCE_ALPHABET.length; // 62
  const limit = 256 - (256 % n); // reject bytes >= limit to stay uniform
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit) out += NONCE_ALPHABET[b % n];
      if (out.length === length) break;
    }
  }
  return out;
}
