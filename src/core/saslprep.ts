/**
 * SASLprep (RFC 4013), the string preparation of user names and passwords.
 *
 * @module
 */
import { SASLError, SASLFailure } from './errors.js';
import { saslprepBackend } from './saslprep-backend.js';

/** Options of {@link saslprep}. */
export interface SASLprepOptions {
  /**
   * Allow code points unassigned in Unicode 3.2: right for "queries"
   * (e.g. a user name typed at login), wrong for "stored strings" (e.g. a
   * password set in a database). RFC 3454 §7. Default false.
   */
  readonly allowUnassigned?: boolean;
}

/** The longest string saslkit will prepare (UTF-16 code units). */
export const SASLPREP_MAX_LENGTH = 8192;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Prepare `value` with SASLprep (RFC 4013): map non-ASCII spaces to SPACE,
 * drop "commonly mapped to nothing" characters, normalise to NFKC, and refuse
 * prohibited characters, bad bidirectional text and (unless allowed)
 * unassigned code points.
 *
 * @param value - the string to prepare
 * @param options - see {@link SASLprepOptions}
 * @returns the prepared string
 * @throws {@link SASLFailure} with condition `malformed-request` when `value`
 *   is prohibited by the profile; {@link SASLError} when it is not a string
 */
export function saslprep(value: string, options: SASLprepOptions = {}): string {
  if (typeof value !== 'string') {
    throw new SASLError(null, 'invalid argument', `saslprep expects a string, got ${typeof value}`);
  }
  if (value.length > SASLPREP_MAX_LENGTH) {
    throw new SASLFailure('malformed-request', `string longer than ${SASLPREP_MAX_LENGTH} characters`);
  }
  // Printable ASCII (U+0020-U+007E) is mapped, normalized and checked to
  // itself by every step of RFC 4013 §2 (nothing in it is mapped, changed by
  // NFKC, prohibited, bidirectional RandALCat or unassigned): the common case,
  // answered without the tables.
  if (PRINTABLE_ASCII.test(value)) return value;
  try {
    return saslprepBackend(value, options.allowUnassigned === true);
  } catch (err) {
    // The package's messages name the rule broken, never the input itself.
    const why = err instanceof Error ? err.message.replace(/,? see https?:\S+/, '') : 'rejected';
    throw new SASLFailure('malformed-request', `SASLprep: ${why}`);
  }
}
