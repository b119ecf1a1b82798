/**
 * Which of the negotiation loop's attempts the CLI reports. `authenticate()`
 * throws the last attempt's error and lists every attempt in
 * `err.attempts`; the last one is often not the one that explains the
 * failure (a fallback to a weaker mechanism fails for its own reasons).
 *
 * @module
 */
import { AuthenticationFailure, SASLError, type MechanismAttempt } from '../core/errors.js';

/** Conditions a server sends when it refuses the credentials or the authorization (as `isFailedLogin`). */
const REFUSAL_CONDITIONS: ReadonlySet<string> = new Set(['not-authorized', 'invalid-authzid', 'account-disabled', 'credentials-expired']);

/**
 * Whether the server refused the credentials or the authorization: a
 * failure carrying a refusal condition, or an {@link AuthenticationFailure}
 * carrying any condition from the server. Which class the library used
 * (it depends on the mechanism and on whether other attempts followed)
 * does not matter.
 *
 * @param err - an error
 */
export function isServerRefusal(err: unknown): boolean {
  if (!(err instanceof SASLError) || err.opaqueError === null) return false;
  return REFUSAL_CONDITIONS.has(err.opaqueError) || (err instanceof AuthenticationFailure && err.opaqueError !== 'invalid-mechanism');
}

/**
 * Whether the client itself refused the server's part of the exchange: a
 * SASL failure raised locally by a mechanism (`opaqueError === null`), such
 * as a SCRAM iteration count above the maximum or a wrong server signature.
 *
 * @param err - an error
 */
export function isClientRefusal(err: unknown): boolean {
  return err instanceof SASLError && err.opaqueError === null && (err instanceof AuthenticationFailure || err.kind === 'SASL failure');
}

/**
 * The error that matters: the server's refusal of the credentials when there
 * is one, else an {@link AuthenticationFailure} (a reason that ended
 * negotiation) when there is one, else
 * the first attempt's error: the mechanism the user preferred.
 *
 * @param err - what the command threw
 * @returns the error to report, and the other attempts
 */
export function decisiveError(err: unknown): { readonly error: unknown; readonly others: readonly MechanismAttempt[] } {
  if (!(err instanceof SASLError) || err.attempts.length < 2) return { error: err, others: [] };
  const attempts = err.attempts;
  const chosen = attempts.find((a) => isServerRefusal(a.error)) ?? attempts.find((a) => a.error instanceof AuthenticationFailure) ?? attempts[0]!;
  return { error: chosen.error, others: attempts.filter((a) => a !== chosen) };
}
