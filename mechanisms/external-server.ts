/**
 * EXTERNAL (RFC 4422 Appendix A), server side: the identity comes from
 * the connection (e.g. a TLS client certificate).
 *
 * The client side lives in external.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * @module
 */
import { utf8Decode } from '../src/core/bytes.js';
import { DescribedServerMechanism, SERVER_DESCRIPTORS } from '../src/server/descriptors.js';
import { failure, success, type ServerConnection, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';

/**
 * EXTERNAL (RFC 4422 Appendix A), server side. Offered only on connections
 * whose {@link ServerConnection.externalIdentity} is set (a verified TLS
 * client certificate, a Unix socket's peer user...); that identity becomes
 * the authcid. The client's message is the authzid it asks for (empty for
 * none), checked by the server's authorizer like any other.
 */
export class EXTERNALServer extends DescribedServerMechanism {
  /** The EXTERNAL server mechanism (no options). */
  constructor() {
    super(SERVER_DESCRIPTORS.EXTERNAL);
  }

  /**
   * Begin one exchange.
   *
   * @param context - the connection (its external identity) and server facts
   */
  start(context: ServerMechanismContext): ServerMechanismSession {
    return {
      async next(response) {
        const identity = context.connection.externalIdentity;
        if (typeof identity !== 'string' || identity.length === 0) {
          return failure('not-authorized', 'EXTERNAL: no external credentials on this connection');
        }
        const authzid = utf8Decode(response);
        if (authzid.includes('\0')) return failure('malformed-request', 'EXTERNAL: the authorization identity contains NUL');
        return success({ authcid: identity, authzid: authzid === '' ? null : authzid, channelBinding: null });
      },
    };
  }
}
