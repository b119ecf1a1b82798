/**
 * The SASLprep implementation for browsers: the SASLprep profile of
 * stringprep.ts, RFC 4013 step by step over the range tables of
 * saslprep-tables.ts, which are generated from the `saslprep` package's own
 * data, so it agrees with saslprep-backend.ts (the package) on every input.
 * Bundlers targeting browsers swap it in through package.json's `browser`
 * field, because the package reads a file at load.
 *
 * @module
 * @internal
 */
export { decodeRanges, inRanges, type Ranges } from './stringprep.js';
import { saslprepProfile } from './stringprep.js';

/**
 * SASLprep `value` (RFC 4013 §2), as the `saslprep` package does it.
 *
 * @param value - the string to prepare
 * @param allowUnassigned - accept code points unassigned in Unicode 3.2
 * @returns the prepared string
 * @throws Error naming the rule broken (never the input); saslprep.ts turns
 *   it into a SASLFailure
 * @internal
 */
export function saslprepBackend(value: string, allowUnassigned: boolean): string {
  return saslprepProfile(value, allowUnassigned);
}
