/**
 * Constant-time comparison of secrets.
 *
 * @module
 */

/**
 * Compare two byte arrays in time that depends only on their lengths, never
 * on where they differ. Used for SCRAM proofs, signatures and stored keys.
 *
 * @param a - first value
 * @param b - second value
 * @returns true when both hold the same bytes
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Lengths of SCRAM values are public (fixed by the hash), so an early exit
  // on length leaks nothing secret.
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * XOR two equal-length byte arrays.
 *
 * @param a - first value
 * @param b - second value, same length as `a`
 */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
