/**
 * What SCRAM clients accept as an iteration count by default, and the
 * warnings a server-side credential tool gives when a verifier falls
 * outside it: a verifier no default client accepts locks every user of it
 * out, and the client's refusal is easy to misread as a wrong password.
 *
 * @module
 */
import type { HashAlgorithm } from '../crypto/hashes.js';

/**
 * The largest iteration count a saslkit SCRAM client accepts by default
 * (`SCRAMOptions.maxIterationCount`), so a hostile server cannot make the
 * client spin: 100000.
 */
export const DEFAULT_MAX_ITERATION_COUNT = 100_000;

/**
 * Why a verifier with `iterations` would be refused by a saslkit SCRAM
 * client with default options (and by most other clients), if it would.
 *
 * @param hash - the verifier's hash
 * @param iterations - its PBKDF2 iteration count
 * @returns a warning for people (no secret in it), or `null` when default
 *   clients accept the count
 */
export function iterationCountWarning(hash: HashAlgorithm, iterations: number): string | null {
  if (iterations > DEFAULT_MAX_ITERATION_COUNT) {
    return (
      `SCRAM-${hash.name}: ${iterations} iterations exceed the ${DEFAULT_MAX_ITERATION_COUNT} that SCRAM clients ` +
      `accept by default (saslkit's maxIterationCount, "saslkit client --max-iterations"): such clients will refuse to log in`
    );
  }
  if (iterations < hash.minimumIterationCount) {
    return (
      `SCRAM-${hash.name}: ${iterations} iterations are below the minimum of ${hash.minimumIterationCount} ` +
      `that SCRAM clients enforce by default (RFC 7677 §4): such clients will refuse to log in`
    );
  }
  return null;
}
