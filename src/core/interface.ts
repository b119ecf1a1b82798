/**
 * The abstract transport of a SASL exchange, as aiosasl's `SASLInterface`.
 *
 * @module
 */
import type { NextStateTuple } from './state.js';

/**
 * What a protocol (XMPP, IMAP, SMTP, ...) must implement so that mechanisms
 * can run over it. A subclass translates each call into its protocol's wire
 * form and the peer's answer back into a {@link NextStateTuple}:
 *
 * - `['challenge', data]` for a server challenge,
 * - `['success', data | null]` for success, with the server's additional data
 *   if the protocol carried any (`null` when it did not),
 * - a peer failure is **thrown** as a {@link SASLFailure} whose `opaqueError`
 *   is the condition (see {@link SASLCondition}).
 *
 * The plain strings `'challenge'`, `'success'` and `'failure'` are accepted.
 * See the guide `docs/protocol-adapter.md` for a worked example.
 */
export abstract class SASLInterface {
  /**
   * Start the exchange with `mechanism`.
   *
   * @param mechanism - the mechanism name, e.g. `'SCRAM-SHA-256'`
   * @param payload - the initial response: `null`/absent for none, an empty
   *   array for an empty one (protocols encode the two differently)
   */
  abstract initiate(mechanism: string, payload?: Uint8Array | null): Promise<NextStateTuple>;

  /**
   * Send the mechanism's answer to the last challenge.
   *
   * @param payload - the response; may be empty
   */
  abstract respond(payload: Uint8Array): Promise<NextStateTuple>;

  /**
   * Abort the exchange. Resolves to `['failure', null]` once the peer has
   * acknowledged the abort.
   */
  abstract abort(): Promise<NextStateTuple>;
}
