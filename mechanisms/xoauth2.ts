/**
 * XOAUTH2 (Google's and Microsoft's pre-standard OAuth mechanism): one
 * message `user=<user>\x01auth=Bearer <token>\x01\x01`. On failure the
 * server sends a base64 JSON error as a challenge, the client answers with an
 * empty response and the server fails. Prefer {@link OAUTHBEARER} where offered.
 *
 * @module
 */
import { utf8Decode, utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { SASLError } from '../src/core/errors.js';
import { NamedMechanism } from '../src/core/mechanism.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';
import { failure, type ServerMechanism, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';
import { bearerToken, judge, oauthServerSession, parseKvPairs, runOAuthClient, type OAuthTokenValidator } from './oauthbearer.js';

/**
 * Build the XOAUTH2 client message.
 *
 * @param user - the account, e.g. an email address
 * @param token - the OAuth 2.0 access token
 */
export function encodeXOAuth2Message(user: string, token: string): Uint8Array {
  if (user.length === 0 || /[\0\x01]/.test(user)) throw new SASLError(null, 'invalid argument', 'XOAUTH2: the user must be non-empty without NUL or \\x01');
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new SASLError(null, 'invalid argument', 'XOAUTH2: the token is not a valid bearer token');
  return utf8Encode(`user=${user}\x01auth=Bearer ${token}\x01\x01`);
}

/** The XOAUTH2 mechanism, client side. */
export class XOAUTH2 extends NamedMechanism<'XOAUTH2'> {
  readonly #credentials: CredentialProvider;

  /**
   * Configure XOAUTH2; credentials are asked for only when it is used.
   *
   * @param credentials - supplies `[user, accessToken]`
   */
  constructor(credentials: CredentialProvider) {
    super('XOAUTH2');
    this.#credentials = credentials;
  }

  /**
   * Present the token; on an error challenge, acknowledge it with an empty
   * response and throw an {@link AuthenticationFailure}.
   *
   * @param sm - a fresh state machine
   */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    const [user, token] = await resolveCredentials(this.#credentials);
    await runOAuthClient(sm, 'XOAUTH2', encodeXOAuth2Message(user, token), new Uint8Array(0));
  }

}

// Server side

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
export class XOAUTH2Server implements ServerMechanism {
  /** `'XOAUTH2'`. */
  readonly name = 'XOAUTH2';
  /** 45: just below OAUTHBEARER. */
  readonly strength = 45;
  /** True: a bearer token is as good as a password to whoever sees it. */
  readonly plaintext = true;
  /** False. */
  readonly channelBinding = false;
  readonly #options: XOAUTH2ServerOptions;

  /**
   * Configure the XOAUTH2 server mechanism.
   *
   * @param options - see {@link XOAUTH2ServerOptions}
   */
  constructor(options: XOAUTH2ServerOptions) {
    if (typeof options?.validateToken !== 'function') throw new SASLError(null, 'invalid argument', 'XOAUTH2Server needs validateToken');
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
