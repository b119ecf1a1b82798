/**
 * XOAUTH2 (Google's and Microsoft's pre-standard OAuth mechanism), server side.
 *
 * The client side lives in xoauth2.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * @module
 */
import { utf8Decode } from '../src/core/bytes.js';
import { SASLError } from '../src/core/errors.js';
import { DescribedServerMechanism, SERVER_DESCRIPTORS } from '../src/server/descriptors.js';
import { failure, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';
import { bearerToken, judge, oauthServerSession, parseKvPairs, type OAuthTokenValidator } from './oauthbearer-server.js';

/** Options of {@link XOAUTH2Server}. */
export interface XOAUTH2ServerOptions {
  /** Decides whether a token is good and whose it is. */
  readonly validateToken: OAuthTokenValidator;
}

/**
 * XOAUTH2, server side: `user=` and `auth=Bearer` go to your
 * {@link OAuthTokenValidator}; a refused token gets a JSON error challenge,
 * and the exchange fails with `not-authorized` after the client's (empty)
 * answer. The outcome's authcid is the validator's, never `user=` unchecked.
 */
export class XOAUTH2Server extends DescribedServerMechanism {
  readonly #options: XOAUTH2ServerOptions;

  /**
   * Configure the XOAUTH2 server mechanism.
   *
   * @param options - see {@link XOAUTH2ServerOptions}
   */
  constructor(options: XOAUTH2ServerOptions) {
    if (typeof options?.validateToken !== 'function') throw new SASLError(null, 'invalid argument', 'XOAUTH2Server needs validateToken');
    super(SERVER_DESCRIPTORS.XOAUTH2);
    this.#options = options;
  }

  /**
   * Begin one exchange.
   *
   * @param _context - unused: tokens are checked by the validator
   */
  start(_context: ServerMechanismContext): ServerMechanismSession {
    const options = this.#options;
    // XOAUTH2 clients acknowledge the error with any (normally empty) response.
    return oauthServerSession('XOAUTH2', () => true, async (message) => {
      const pairs = parseKvPairs(utf8Decode(message), 'XOAUTH2');
      const user = pairs.get('user');
      if (!user) return failure('malformed-request', 'XOAUTH2: missing user=');
      const token = bearerToken(pairs.get('auth'), 'XOAUTH2');
      return judge(options.validateToken, { token, user, host: null, port: null }, null, undefined);
    });
  }
}
