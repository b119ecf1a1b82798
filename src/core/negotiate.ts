/**
 * The client negotiation loop from aiosasl's documentation.
 *
 * @module
 */
import { AuthenticationFailure, SASLError, SASLFailure } from './errors.js';
import type { SASLInterface } from './interface.js';
import type { SASLMechanism } from './mechanism.js';
import { SASLStateMachine } from './state-machine.js';

/**
 * Authenticate over `intf` with the first mechanism implementation that
 * supports one of `offeredMechanisms` and succeeds.
 *
 * Implementations are tried in the given order (put the strongest first).
 * An {@link AuthenticationFailure} stops the loop and is re-thrown; a plain
 * {@link SASLFailure} moves on to the next implementation. Each attempt gets a
 * fresh {@link SASLStateMachine}.
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
  let lastFailure: SASLFailure | null = null;
  for (const impl of mechanismImpls) {
    const token = impl.anySupported(offered);
    if (token === null) continue;
    const sm = new SASLStateMachine(intf);
    try {
      await impl.authenticate(sm, token);
    } catch (err) {
      if (err instanceof AuthenticationFailure) throw err;
      if (err instanceof SASLFailure) {
        lastFailure = err;
        continue;
      }
      throw err;
    }
    if (sm.mechanism === null) {
      throw new SASLError(null, 'invalid state', 'mechanism finished without starting an exchange');
    }
    return sm.mechanism;
  }
  if (lastFailure) throw lastFailure;
  throw new SASLFailure('invalid-mechanism', `no usable mechanism among those offered: ${offered.slice(0, 32).join(' ') || '(none)'}`);
}
