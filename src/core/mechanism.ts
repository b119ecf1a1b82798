/**
 * The base class of client mechanisms, as aiosasl's `SASLMechanism`.
 *
 * @module
 */
import type { SASLStateMachine } from './state-machine.js';

/**
 * A client-side SASL mechanism (or family of mechanisms).
 *
 * Instances hold configuration only (credentials provider, options) and are
 * reusable: all state of one exchange lives inside one
 * {@link SASLMechanism.authenticate} call.
 *
 * @typeParam Token - what {@link SASLMechanism.anySupported} hands to
 *   {@link SASLMechanism.authenticate}, typically the chosen mechanism name.
 */
export abstract class SASLMechanism<Token = string> {
  /**
   * Pick one of the mechanisms the server offers.
   *
   * @param mechanisms - the mechanism names the server offers
   * @returns `null` when this implementation can do none of them; any other
   *   value (even `false`) is a token for {@link SASLMechanism.authenticate}
   */
  abstract anySupported(mechanisms: Iterable<string>): Token | null;

  /**
   * Run the exchange through `sm`.
   *
   * Resolves when the exchange succeeded. Throws a {@link SASLFailure} when
   * this mechanism failed in a way another mechanism might not, and an
   * {@link AuthenticationFailure} when the credentials were refused or the
   * server failed to authenticate itself.
   *
   * @param sm - a fresh state machine for this attempt
   * @param token - the value returned by {@link SASLMechanism.anySupported}
   */
  abstract authenticate(sm: SASLStateMachine, token: Token): Promise<void>;
}

/**
 * Normalise an iterable of offered mechanism names to a set of upper-case
 * names, ignoring anything that is not a string. Mechanism names are
 * case-insensitive on the wire but registered in upper case (RFC 4422 §3.1).
 *
 * @param mechanisms - names as offered by the server
 */
export function offeredSet(mechanisms: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const m of mechanisms) if (typeof m === 'string') out.add(m.toUpperCase());
  return out;
}
