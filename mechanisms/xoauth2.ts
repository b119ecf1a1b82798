/**
 * XOAUTH2 (Google's and Microsoft's pre-standard OAuth mechanism): one
 * message `user=<user>\x01auth=Bearer <token>\x01\x01`. On failure the
 * server sends a base64 JSON error as a challenge, the client answers with an
 * empty response and the server fails. Prefer {@link OAUTHBEARER} where offered.
 *
 * @module
 */
import { utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { SASLError } from '../src/core/errors.js';
import { NamedMechanism } from '../src/core/mechanism.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';
import { runOAuthClient } from './oauthbearer.js';

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
