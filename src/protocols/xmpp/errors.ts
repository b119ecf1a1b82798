/**
 * Errors of the XMPP adapters.
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';

/**
 * The XML stream broke: a parse error (not well-formed, too large, a DTD or
 * entity trick), a `<stream:error/>` from the peer, a closed or timed-out
 * connection, or an element where the protocol does not allow it.
 *
 * It is a {@link SASLError} but not a `SASLFailure`: the negotiation loop
 * does not move on to another mechanism over a dead stream.
 * `opaqueError` is the RFC 6120 §4.9.3 stream error condition when there is
 * one (`'not-well-formed'`, `'policy-violation'`, ...), else `null`.
 */
export class XmppStreamError extends SASLError {
  /**
   * Create a stream error.
   *
   * @param condition - the stream error condition, or `null`
   * @param text - what went wrong (never a secret)
   */
  constructor(condition: string | null, text: string) {
    super(condition, 'XMPP stream error', text);
  }
}
