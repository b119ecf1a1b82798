/**
 * The one failure vocabulary of saslkit: the SASL conditions of RFC 6120 §6.5.
 *
 * Protocol adapters translate these to and from their wire form (XMPP
 * condition elements, IMAP `NO`/`BAD`, SMTP reply codes).
 *
 * @module
 */

/** Every condition of RFC 6120 §6.5, in the RFC's order. */
export const SASL_CONDITIONS = [
  'aborted',
  'account-disabled',
  'credentials-expired',
  'encryption-required',
  'incorrect-encoding',
  'invalid-authzid',
  'invalid-mechanism',
  'malformed-request',
  'mechanism-too-weak',
  'not-authorized',
  'temporary-auth-failure',
] as const;

/** A SASL failure condition from RFC 6120 §6.5. */
export type SASLCondition = (typeof SASL_CONDITIONS)[number];

const CONDITION_SET: ReadonlySet<string> = new Set(SASL_CONDITIONS);

/**
 * Tell whether `value` is one of the RFC 6120 §6.5 conditions.
 *
 * @param value - any string, e.g. a condition element name read off the wire
 * @returns true when `value` is a {@link SASLCondition}
 */
export function isSASLCondition(value: unknown): value is SASLCondition {
  return typeof value === 'string' && CONDITION_SET.has(value);
}
