/**
 * SASL mechanism names (RFC 4422 §3.1), checked in one place: 1 to 20
 * characters of `A-Z`, `0-9`, `-` and `_`, upper case on the wire (a server
 * compares them case-insensitively). Also the names of the SCRAM family,
 * `SCRAM-<hash>` and `SCRAM-<hash>-PLUS` (RFC 5802 §4, RFC 7677), built and
 * parsed here rather than by string surgery at each use.
 *
 * @module
 */
import { SASLFailure } from './errors.js';

/** RFC 4422 §3.1 `sasl-mech`: 1 to 20 of `A-Z 0-9 - _`. */
export const MECHANISM_NAME = /^[A-Z0-9_-]{1,20}$/;

/** {@link MECHANISM_NAME} in any ASCII case (what a server accepts from a client). */
const MECHANISM_NAME_ANY_CASE = new RegExp(MECHANISM_NAME.source, 'i');

/**
 * Is `name` a SASL mechanism name (RFC 4422 §3.1)?
 *
 * @param name - anything
 * @param anyCase - accept lower-case letters too (a server reading a
 *   client's choice); default false (upper case only, as on the wire)
 */
export function isMechanismName(name: unknown, anyCase = false): name is string {
  return typeof name === 'string' && (anyCase ? MECHANISM_NAME_ANY_CASE : MECHANISM_NAME).test(name);
}

/**
 * Check a mechanism name before it is written on the wire, so a name can
 * never smuggle a line break or another field into the stream.
 *
 * @param name - the mechanism name
 * @returns the name
 * @throws {@link SASLFailure} with condition `invalid-mechanism` for anything else
 */
export function checkMechanismName(name: string): string {
  if (!isMechanismName(name)) {
    throw new SASLFailure('invalid-mechanism', 'not a SASL mechanism name (RFC 4422 §3.1: 1-20 of A-Z 0-9 - _)');
  }
  return name;
}

/** The parts of a SCRAM mechanism name. */
export interface ScramMechanismName {
  /** The hash as written in the name, upper case, e.g. `'SHA-256'`. */
  readonly hash: string;
  /** Whether it is the channel-binding variant (`-PLUS`). */
  readonly plus: boolean;
}

/**
 * Build `SCRAM-<hash>` or `SCRAM-<hash>-PLUS` (RFC 5802 §4).
 *
 * @param hash - the hash name, e.g. `'SHA-256'`
 * @param plus - the channel-binding variant
 */
export function scramMechanismName(hash: string, plus: boolean): string {
  return `SCRAM-${hash}${plus ? '-PLUS' : ''}`;
}

/**
 * Parse a SCRAM mechanism name, in any case: `'scram-sha-256-plus'` gives
 * `{ hash: 'SHA-256', plus: true }`. Whether the hash is one saslkit has is
 * the caller's question (`hashByName`).
 *
 * @param name - a mechanism name
 * @returns its parts, or `null` when it is not `SCRAM-<hash>[-PLUS]`
 */
export function parseScramMechanismName(name: unknown): ScramMechanismName | null {
  if (!isMechanismName(name, true)) return null;
  const m = /^SCRAM-(.+?)(-PLUS)?$/.exec(name.toUpperCase());
  return m ? { hash: m[1]!, plus: m[2] !== undefined } : null;
}
