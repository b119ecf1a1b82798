/**
 * The SCRAM wire format (RFC 5802 §7): attribute lists, `saslname` escaping
 * and the value checks shared by the client and server sides.
 *
 * @module
 */
import { SASLFailure } from '../core/errors.js';
import { base64Decode, utf8Decode } from '../core/bytes.js';

/** The longest SCRAM message either side accepts (bytes). */
export const SCRAM_MAX_MESSAGE_LENGTH = 16384;

/** One `x=value` attribute of a SCRAM message. */
export interface Attribute {
  /** The attribute letter. */
  readonly name: string;
  /** Its value (non-empty, no `,`). */
  readonly value: string;
}

/** Throw the SASLFailure all SCRAM syntax errors use. */
export function malformed(why: string): never {
  throw new SASLFailure('malformed-request', `SCRAM: ${why}`);
}

/**
 * Decode a SCRAM message: bounded, strict UTF-8, no NUL.
 *
 * @param bytes - the message
 * @param what - which message, for errors
 */
export function decodeMessage(bytes: Uint8Array, what: string): string {
  if (bytes.length === 0) malformed(`${what} is empty`);
  if (bytes.length > SCRAM_MAX_MESSAGE_LENGTH) malformed(`${what} is longer than ${SCRAM_MAX_MESSAGE_LENGTH} bytes`);
  const text = utf8Decode(bytes);
  if (text.includes('\0')) malformed(`${what} contains NUL`);
  return text;
}

/**
 * Split `text` into `x=value` attributes (RFC 5802 `attr-val`).
 *
 * @param text - a comma-separated attribute list
 * @param what - which message, for errors
 */
export function parseAttributes(text: string, what: string): Attribute[] {
  const parts = text.split(',');
  if (parts.length > 64) malformed(`${what} has too many attributes`);
  const attrs: Attribute[] = [];
  for (const part of parts) {
    const letter = part.charCodeAt(0) | 0x20; // ASCII lower case
    if (part.length < 3 || part.charCodeAt(1) !== 0x3d || letter < 0x61 || letter > 0x7a) {
      malformed(`${what} has a malformed attribute`);
    }
    attrs.push({ name: part[0]!, value: part.slice(2) });
  }
  return attrs;
}

/**
 * Decode a SCRAM message ({@link decodeMessage}) and split it into its
 * attributes ({@link parseAttributes}).
 *
 * @param bytes - the message
 * @param what - which message, for errors
 * @returns the text as received and its attributes
 */
export function readMessage(bytes: Uint8Array, what: string): { readonly text: string; readonly attrs: Attribute[] } {
  const text = decodeMessage(bytes, what);
  return { text, attrs: parseAttributes(text, what) };
}

/**
 * Take the next attribute, which must be `name`.
 *
 * @param attrs - the attributes
 * @param index - the position to read
 * @param name - the expected attribute letter
 * @param what - which message, for errors
 */
export function expectAttribute(attrs: readonly Attribute[], index: number, name: string, what: string): string {
  const attr = attrs[index];
  if (!attr) malformed(`${what} lacks the '${name}' attribute`);
  if (attr.name !== name) malformed(`${what}: expected '${name}=' but found '${attr.name}='`);
  return attr.value;
}

/** Attribute names RFC 5802 gives a fixed place in its messages. */
const DEFINED_ATTRIBUTES: ReadonlySet<string> = new Set(['a', 'c', 'e', 'i', 'm', 'n', 'p', 'r', 's', 'v']);

/**
 * Check the optional extensions of a message, from `from` on: none may reuse a
 * name RFC 5802 defines (e.g. a second `v=`), so that no two implementations
 * can read the same message differently.
 *
 * @param attrs - the attributes
 * @param from - the index of the first extension
 * @param what - which message, for errors
 */
export function checkExtensions(attrs: readonly Attribute[], from: number, what: string): void {
  for (let i = from; i < attrs.length; i++) {
    const name = attrs[i]!.name;
    if (DEFINED_ATTRIBUTES.has(name)) malformed(`${what} repeats or misplaces the '${name}' attribute`);
  }
}

/** RFC 5802 `printable`: 0x21-0x7E except `,`. */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;

/**
 * Check a nonce is non-empty `printable`.
 *
 * @param nonce - the nonce
 * @param what - which nonce, for errors
 */
export function checkNonce(nonce: string, what: string): string {
  if (nonce.length > 1024) malformed(`${what} is too long`);
  if (!PRINTABLE.test(nonce)) malformed(`${what} must be printable ASCII without ','`);
  return nonce;
}

/**
 * Parse `posit-number` (RFC 5802): a positive decimal integer with no sign,
 * no leading zero, no exponent, at most 10 digits.
 *
 * @param value - the text
 * @param what - which field, for errors
 */
export function parsePositiveInteger(value: string, what: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value)) malformed(`${what} must be a positive decimal integer`);
  return Number(value);
}

/**
 * Decode a base64 SCRAM field strictly.
 *
 * @param value - the base64 text
 * @param what - which field, for errors
 */
export function decodeBase64Field(value: string, what: string): Uint8Array {
  try {
    return base64Decode(value, what);
  } catch (err) {
    if (err instanceof SASLFailure) malformed(err.text ?? `${what} is not valid base64`);
    throw err;
  }
}
