/**
 * ANONYMOUS (RFC 4505), server side: accept an optional trace token.
 *
 * The client side lives in anonymous.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * @module
 */
import { utf8Decode } from '../src/core/bytes.js';
import { DescribedServerMechanism, SERVER_DESCRIPTORS } from '../src/server/descriptors.js';
import { success, type ServerMechanismSession } from '../src/server/mechanism.js';
import { checkTraceToken } from './anonymous.js';

// ---------------------------------------------------------------------------
// Server side

/**
 * ANONYMOUS (RFC 4505), server side. The client's message is its trace
 * token (possibly empty), checked against the trace profile with
 * `checkTraceToken`. The outcome has `authcid` and `authzid` `null`
 * and the token in `claims.traceToken`: log it, never trust it.
 */
export class ANONYMOUSServer extends DescribedServerMechanism {
  /** The ANONYMOUS server mechanism (no options). */
  constructor() {
    super(SERVER_DESCRIPTORS.ANONYMOUS);
  }


  /** Begin one exchange. */
  start(): ServerMechanismSession {
    return {
      async next(response) {
        const traceToken = checkTraceToken(utf8Decode(response));
        return success({ authcid: null, authzid: null, channelBinding: null, claims: { traceToken } });
      },
    };
  }
}
