/**
 * Randomness from `crypto.getRandomValues`, available in browsers, Node >= 19,
 * Deno and Bun.
 *
 * @module
 */
import { SASLError } from '../core/errors.js';

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

/** Printable ASCII except ',' (RFC 5802 `printable`), the nonce alphabet. */
const NONCE_ALPHABET = (() => {
  let s = '';
  for (let c = 0x21; c <= 0x7e; c++) if (c !== 0x2c) s += String.fromCharCode(c);
  return s;
})();

/**
 * Make a nonce of `length` characters drawn uniformly from RFC 5802's
 * `printable` set (0x21-0x7E except `,`), by rejection sampling.
 *
 * @param length - number of characters (at least 1)
 */
export function randomNonce(length: number): string {
  if (!Number.isInteger(length) || length < 1 || length > 1024) {
    throw new SASLError(null, 'invalid argument', 'nonce length must be an integer from 1 to 1024');
  }
  const n = NONCE_ALPHABET.length; // 93
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
