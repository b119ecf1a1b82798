/**
 * The client negotiation loop from aiosasl's documentation, and the part of
 * every exchange that belongs to the framework rather than to a mechanism.
 *
 * A mechanism walks its RFC steps and returns. {@link runMechanism} then:
 * - answers success with zero-length additional data (XMPP's
 *   `<success>=</success>`, shown by the state machine as an empty final
 *   challenge) with the empty response that ends the exchange;
 * - aborts an exchange the mechanism left open (a challenge it did not
 *   expect, or an error it threw mid-exchange), so the protocol is ready for
 *   another attempt;
 * - promotes a server's credential verdict (`not-authorized`, ...) to an
 *   {@link AuthenticationFailure} for mechanisms that send credentials.
 *
 * @module
 */
import { AuthenticationFailure, SASLError, SASLFailure, promoteCredentialFailure, type MechanismAttempt } from './errors.js';
import type { SASLInterface } from './interface.js';
import type { SASLMechanism } from './mechanism.js';
import { SASLStateMachine } from './state-machine.js';
import { SASLState } from './state.js';

/** Whether the server considers the exchange over and successful. */
function serverReportedSuccess(sm: SASLStateMachine): boolean {
  return sm.state === SASLState.SUCCESS || sm.state === SASLState.SUCCESS_SIMULATE_CHALLENGE;
}

function label(impl: SASLMechanism<unknown>, sm: SASLStateMachine, token: unknown): string {
  if (sm.mechanism !== null) return sm.mechanism;
  if (typeof token === 'string') return token;
  // A token carrying the choice (SCRAM's `{ name, hash }`) names the mechanism.
  const name = typeof token === 'object' && token !== null ? (token as { name?: unknown }).name : undefined;
  if (typeof name === 'string') return name;
  return impl.constructor.name;
}

/**
 * Run one mechanism over `sm` and end the exchange as the framework's rules
 * say (see the module comment).
 *
 * Outcomes after the mechanism returned:
 * - {@link SASLState.SUCCESS}: done;
 * - success with zero-length additional data not yet answered, or an open
 *   empty challenge (how IMAP and SMTP carry zero-length additional data
 *   with success, RFC 4422 §5): answered with an empty response, which must
 *   lead to success;
 * - success with non-empty additional data the mechanism did not answer: a
 *   protocol violation ({@link SASLFailure}); the server has already
 *   reported success, so {@link authenticate} tries no further mechanism;
 * - an open challenge: aborted, then a protocol-violation {@link SASLFailure};
 * - never started: a {@link SASLError} `'invalid state'`.
 *
 * When the mechanism throws, an open challenge is aborted (the abort's own
 * fate is not reported) and the error re-thrown, promoted to an
 * {@link AuthenticationFailure} when the mechanism sends credentials
 * ({@link SASLMechanism.sendsCredentials}) and the server's condition is
 * about them.
 *
 * @param impl - the mechanism
 * @param sm - a fresh state machine
 * @param token - what `impl.anySupported` returned
 * @throws what the mechanism threw (see above), or the violations listed
 */
export async function runMechanism<Token>(impl: SASLMechanism<Token>, sm: SASLStateMachine, token: Token): Promise<void> {
  try {
    await impl.authenticate(sm, token);
  } catch (err) {
    await abortOpen(sm);
    throw impl.sendsCredentials ? promoteCredentialFailure(err) : err;
  }
  const name = label(impl as SASLMechanism<unknown>, sm, token);
  if (sm.state === SASLState.CHALLENGE && sm.openChallenge?.length === 0) {
    try {
      await sm.response(new Uint8Array(0));
    } catch (err) {
      await abortOpen(sm);
      throw impl.sendsCredentials ? promoteCredentialFailure(err) : err;
    }
  }
  switch (sm.state) {
    case SASLState.SUCCESS:
      return;
    case SASLState.SUCCESS_SIMULATE_CHALLENGE:
      if (sm.successData?.length === 0) {
        await sm.response(new Uint8Array(0));
        return;
      }
      throw new SASLFailure(null, `${name}: protocol violation: the server sent additional data with success that the mechanism does not define`);
    case SASLState.CHALLENGE:
      await abortOpen(sm);
      throw new SASLFailure(null, `${name}: protocol violation: the server did not answer with success`);
    case SASLState.INITIAL:
      throw new SASLError(null, 'invalid state', 'mechanism finished without starting an exchange');
    default:
      throw new SASLError(null, 'invalid state', `${name}: the mechanism returned although the exchange failed`);
  }
}

async function abortOpen(sm: SASLStateMachine): Promise<void> {
  if (sm.state !== SASLState.CHALLENGE) return;
  try {
    await sm.abort();
  } catch {
    // The mechanism's error (or the violation) is what the caller needs.
  }
}

/**
 * Authenticate over `intf` with the first mechanism implementation that
 * supports one of `offeredMechanisms` and succeeds.
 *
 * Implementations are tried in the given order (put the strongest first),
 * each through {@link runMechanism} with a fresh {@link SASLStateMachine}.
 * An {@link AuthenticationFailure} stops the loop and is re-thrown; a plain
 * {@link SASLFailure} moves on to the next implementation, except after the
 * server has reported success (another mechanism on an authenticated stream
 * would be a protocol error).
 *
 * Channel binding (RFC 5802 §6): each state machine is told whether the
 * client could bind (some implementation in the list says so through
 * {@link SASLMechanism.canBindChannel}) and whether the server offered a
 * -PLUS mechanism, so SCRAM sends the GS2 flag `y` when a man in the middle
 * may have stripped -PLUS from the offer.
 *
 * The error thrown carries every attempt: {@link SASLError.attempts} lists
 * each mechanism tried with the error that ended it, and `cause` is the
 * previous attempt's error.
 *
 * @param intf - the protocol's {@link SASLInterface}
 * @param offeredMechanisms - the mechanism names the server offers
 * @param mechanismImpls - the implementations to try, in order of preference
 * @returns the name of the mechanism that succeeded
 * @throws {@link AuthenticationFailure} when credentials were refused;
 *   {@link SASLFailure} (condition `invalid-mechanism` when none was usable, or
 *   the last attempt's failure) when no mechanism succeeded
 */
export async function authenticate(
  intf: SASLInterface,
  offeredMechanisms: Iterable<string>,
  mechanismImpls: Iterable<SASLMechanism<unknown>>,
): Promise<string> {
  const offered = [...offeredMechanisms];
  const impls = [...mechanismImpls];
  const serverOffers = offered.some((m) => typeof m === 'string' && /-PLUS$/i.test(m));
  let clientSupports: Promise<boolean> | null = null;
  const attempts: MechanismAttempt[] = [];
  const fail = (err: SASLError): SASLError => {
    const previous = attempts[attempts.length - 2]?.error;
    err.attempts = [...attempts];
    if (previous !== undefined && previous !== err && (err as { cause?: unknown }).cause === undefined) {
      (err as { cause?: unknown }).cause = previous;
    }
    return err;
  };
  for (const impl of impls) {
    const token = impl.anySupported(offered);
    if (token === null) continue;
    clientSupports ??= anyCanBind(impls);
    const sm = new SASLStateMachine(intf, { channelBinding: { clientSupports: await clientSupports, serverOffers } });
    try {
      await runMechanism(impl, sm, token);
    } catch (err) {
      if (!(err instanceof SASLFailure) && !(err instanceof AuthenticationFailure)) throw err;
      attempts.push({ mechanism: label(impl, sm, token), error: err });
      if (err instanceof AuthenticationFailure || serverReportedSuccess(sm)) throw fail(err);
      continue;
    }
    return sm.mechanism!;
  }
  const last = attempts[attempts.length - 1];
  if (last) throw fail(last.error);
  throw new SASLFailure('invalid-mechanism', `no usable mechanism among those offered: ${offered.slice(0, 32).join(' ') || '(none)'}`);
}

async function anyCanBind(impls: readonly SASLMechanism<unknown>[]): Promise<boolean> {
  for (const impl of impls) {
    try {
      if ((await impl.canBindChannel()) === true) return true;
    } catch {
      // a provider that fails cannot bind
    }
  }
  return false;
}
