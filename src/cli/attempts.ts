/**
 * Which of the negotiation loop's attempts the CLI reports. `authenticate()`
 * throws the last attempt's error and lists every attempt in
 * `err.attempts`; the last one is often not the one that explains the
 * failure (a fallback to a weaker mechanism fails for its own reasons).
 *
 * @module
 */
import { AuthenticationFailure, SASLError, type MechanismAttempt } from '../core/errors.js';

/**
 * The error that matters: an {@link AuthenticationFailure} (a verdict on the
 * credentials, or a reason that ended negotiation) when there is one, else
 * the first attempt's error: the mechanism the user preferred.
 *
 * @param err - what the command threw
 * @returns the error to report, and the other attempts
 */
export function decisiveError(err: unknown): { readonly error: unknown; readonly others: readonly MechanismAttempt[] } {
  if (!(err instanceof SASLError) || err.attempts.length < 2) return { error: err, others: [] };
  const attempts = err.attempts;
  const chosen = attempts.find((a) => a.error instanceof AuthenticationFailure) ?? attempts[0]!;
  return { error: chosen.error, others: attempts.filter((a) => a !== chosen) };
}
