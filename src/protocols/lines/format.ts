/**
 * The data lines of gsasl's command-line format: each SASL message is one
 * line of standard base64; an empty message is an empty line.
 *
 * @module
 */
import { base64Decode, base64Encode } from '../../core/bytes.js';
import { SASLFailure } from '../../core/errors.js';

export { quotePeerText } from '../../core/peer-text.js';

/**
 * Encode one SASL message as a line: padded base64 (RFC 4648 §4) with no
 * wrapping, and the empty string for an empty message.
 *
 * @param message - the message bytes
 */
export function encodeLine(message: Uint8Array): string {
  return base64Encode(message);
}

/**
 * Decode one line into a SASL message. Strict: padding required, no
 * whitespace, nothing outside the base64 alphabet; an empty line is an empty
 * message.
 *
 * @param line - the line, without its terminator
 * @param what - what the line carries, for the error message
 * @throws `SASLFailure` with condition `incorrect-encoding` on bad base64
 */
export function decodeLine(line: string, what = 'SASL message'): Uint8Array {
  if (line.length === 0) return new Uint8Array(0);
  return base64Decode(line, what);
}

/** A registered SASL mechanism name (RFC 4422 §3.1): 1 to 20 of `A-Z 0-9 - _`. */
const MECHANISM_NAME = /^[A-Z0-9_-]{1,20}$/;

/**
 * Check a mechanism name before it is written on a line, so a name can never
 * smuggle a line break or another field into the stream.
 *
 * @param name - the mechanism name
 * @returns the name
 * @throws `SASLFailure` with condition `invalid-mechanism` for anything else
 */
export function checkMechanismName(name: string): string {
  if (typeof name !== 'string' || !MECHANISM_NAME.test(name)) {
    throw new SASLFailure('invalid-mechanism', 'not a SASL mechanism name (RFC 4422 §3.1: 1-20 of A-Z 0-9 - _)');
  }
  return name;
}

