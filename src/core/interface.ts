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
 *
 * {@link SASLInterface.secure} says whether the channel is secure; mechanisms
 * that send a password in clear (PLAIN, LOGIN) refuse to run when it is not,
 * unless their caller opted in.
 */
export abstract class SASLInterface {
  /**
   * Whether the channel under this interface protects what is sent from
   * eavesdroppers: true over TLS (or an equivalent security layer), false
   * over plain TCP, loopback included (saslkit cannot know who else can see
   * the connection). The default is `false`: a channel not known to be secure
   * is treated as insecure, so PLAIN and LOGIN refuse to send a password over
   * it unless their caller passes `allowInsecureChannel: true`. Adapters
   * override it with what they know; saslkit's own adapters report it from
   * their transport (see `docs/protocol-adapter.md`).
   */
  get secure(): boolean {
    return false;
  }

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
