/**
 * The data lines of gsasl's command-line format: each SASL message is one
 * line of standard base64; an empty message is an empty line.
 *
 * @module
 */
import { base64Decode, base64Encode } from '../../core/bytes.js';

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

export { checkMechanismName } from '../../core/mechanism-name.js';

