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
import {
  failure,
  singleMessageSession,
  type ServerConnection,
  type ServerMechanism,
  type ServerMechanismContext,
  type ServerMechanismSession,
} from '../src/server/mechanism.js';

// Server side

/**
 * EXTERNAL (RFC 4422 Appendix A), server side. Offered only on connections
 * whose {@link ServerConnection.externalIdentity} is set (a verified TLS
 * client certificate, a Unix socket's peer user...); that identity becomes
 * the authcid. The client's message is the authzid it asks for (empty for
 * none), checked by the server's authorizer like any other.
 */
export class EXTERNALServer implements ServerMechanism {
  /** `'EXTERNAL'`. */
  readonly name = 'EXTERNAL';
  /** 300: the external credential (e.g. a client certificate) outranks any password. */
  readonly strength = 300;
  /** False: no password crosses the wire. */
  readonly plaintext = false;
  /** False. */
  readonly channelBinding = false;

  /**
   * Offered only when the connection carries an external identity.
   *
   * @param connection - the connection being advertised to
   */
  availableOn(connection: ServerConnection): boolean {
    return typeof connection.externalIdentity === 'string' && connection.externalIdentity.length > 0;
  }

  /**
   * Begin one exchange.
   *
   * @param context - the connection (its external identity) and server facts
   */
  start(context: ServerMechanismContext): ServerMechanismSession {
    return singleMessageSession('EXTERNAL', 'the authorization identity', (response) => {
      const identity = context.connection.externalIdentity;
      if (typeof identity !== 'string' || identity.length === 0) {
        return failure('not-authorized', 'EXTERNAL: no external credentials on this connection');
      }
      const authzid = utf8Decode(response);
      if (authzid.includes('\0')) return failure('malformed-request', 'EXTERNAL: the authorization identity contains NUL');
      return { kind: 'done', data: null, identity: { authcid: identity, authzid: authzid === '' ? null : authzid, channelBinding: null } };
    });
  }
}
