/**
 * The base class of client mechanisms, as aiosasl's `SASLMechanism`.
 *
 * @module
 */
import { SASLFailure, type AuthenticationFailure } from './errors.js';
import type { runMechanism } from './negotiate.js';
import type { SASLStateMachine } from './state-machine.js';
import { SASLState } from './state.js';

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

  /**
   * Whether this mechanism proves the caller's own credentials (a password,
   * a key): when the server then refuses with a condition about the
   * credentials (`not-authorized`, `account-disabled`, `credentials-expired`,
   * `invalid-authzid`), the framework ({@link runMechanism}) promotes the
   * failure to an {@link AuthenticationFailure}, so no further mechanism is
   * tried with the same credentials. Default false (EXTERNAL, ANONYMOUS).
   */
  get sendsCredentials(): boolean {
    return false;
  }

  /**
   * Whether this mechanism can bind to the channel right now (RFC 5056): true
   * for a -PLUS mechanism whose provider gives channel-binding data. The
   * negotiation loop asks every mechanism in the caller's list so that a
   * mechanism without binding can send the GS2 flag `y` when the server
   * offered no -PLUS (RFC 5802 §6). Default false.
   */
  async canBindChannel(): Promise<boolean> {
    return false;
  }
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

/**
 * Base for a mechanism with one registered name (PLAIN, LOGIN, EXTERNAL...):
 * {@link SASLMechanism.anySupported} is "is my name offered?", and the token
 * is the name itself.
 *
 * @typeParam Name - the mechanism name, e.g. `'PLAIN'`
 */
export abstract class NamedMechanism<Name extends string> extends SASLMechanism<Name> {
  /** The registered mechanism name (upper case). */
  readonly mechanismName: Name;

  /**
   * Set the mechanism's name.
   *
   * @param mechanismName - the registered name, upper case
   */
  constructor(mechanismName: Name) {
    super();
    this.mechanismName = mechanismName;
  }

  /**
   * @param mechanisms - the offered mechanism names
   * @returns the mechanism name when offered (case-insensitively), else `null`
   */
  override anySupported(mechanisms: Iterable<string>): Name | null {
    return offeredSet(mechanisms).has(this.mechanismName) ? this.mechanismName : null;
  }
}

/**
 * End a mechanism that expects the server's verdict now: resolve on
 * {@link SASLState.SUCCESS} or on success with zero-length additional data
 * (answered here); otherwise abort any open challenge (so the protocol is
 * ready for another attempt) and throw a protocol-violation
 * {@link SASLFailure}. Mechanisms run by {@link runMechanism} (and so by
 * `authenticate`) need not call it: the framework ends the exchange the
 * same way.
 *
 * @param sm - the exchange's state machine
 * @param state - the state the last step returned
 * @param mechanism - the mechanism name, for the message
 */
export async function requireSuccess(sm: SASLStateMachine, state: SASLState, mechanism: string): Promise<void> {
  if (state === SASLState.SUCCESS) return;
  if (sm.state === SASLState.SUCCESS_SIMULATE_CHALLENGE && sm.successData?.length === 0) {
    await sm.response(new Uint8Array(0));
    return;
  }
  if (state === SASLState.CHALLENGE && sm.state === SASLState.CHALLENGE) {
    try {
      await sm.abort();
    } catch {
      // report the violation below, not the abort's fate
    }
  }
  throw new SASLFailure(null, `${mechanism}: protocol violation: the server did not answer with success`);
}

/**
 * Refuse to send a password in clear over a channel not known to be secure
 * (RFC 4616 §6, RFC 4422 §9): used by PLAIN and LOGIN before they send
 * anything. Passes when `sm.interface.secure` is true or the caller opted in.
 *
 * @param sm - the exchange's state machine
 * @param mechanism - the mechanism name, for the message
 * @param allowInsecureChannel - the caller's explicit opt-in
 * @throws {@link SASLFailure} (local, `opaqueError === null`) when refused; the
 *   negotiation loop then tries the next mechanism
 */
export function requireSecureChannel(sm: SASLStateMachine, mechanism: string, allowInsecureChannel: boolean): void {
  if (allowInsecureChannel || sm.interface.secure === true) return;
  throw new SASLFailure(
    null,
    `${mechanism}: refusing to send a password over a channel that is not known to be secure (use TLS, or pass allowInsecureChannel: true)`,
  );
}
