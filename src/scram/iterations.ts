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
 * The smallest iteration count the SCRAM client accepts when
 * `SCRAMOptions.enforceMinimumIterationCount` is on (the default): 4096,
 * for every hash.
 *
 * 4096 is the floor RFC 5802 §5.1 (SHA-1) and RFC 7677 §4 (SHA-256) ask
 * servers to announce at least. The SHA-512 drafts ask servers for 10000,
 * and saslkit's own server uses that for new 512-bit verifiers
 * (`defaultIterations`), but a client floor only guards against a server
 * (or an attacker before the proof) that makes the proof cheap to crack:
 * 4096 rounds of SHA-512 cost more than 4096 of SHA-256, which every client
 * accepts. A higher floor for the stronger hash would only make clients
 * refuse it: a stock Cyrus SASL server announces 4096 for every SCRAM, so a
 * client picking SCRAM-SHA-512 would then fail, or fall to PLAIN.
 */
export const DEFAULT_MIN_ITERATION_COUNT = 4096;

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
  if (iterations < DEFAULT_MIN_ITERATION_COUNT) {
    return (
      `SCRAM-${hash.name}: ${iterations} iterations are below the minimum of ${DEFAULT_MIN_ITERATION_COUNT} ` +
      `that SCRAM clients enforce by default (RFC 5802 §5.1, RFC 7677 §4): such clients will refuse to log in`
    );
  }
  return null;
}
