/**
 * OAUTHBEARER (RFC 7628): the client presents an OAuth 2.0 bearer token
 * (RFC 6750) in one message: a GS2 header naming the user as authzid,
 * then `key=value` pairs separated by `\x01`:
 * `n,a=user,\x01host=imap.example.com\x01port=993\x01auth=Bearer <token>\x01\x01`.
 *
 * On failure the server sends a JSON error as a challenge; the client must
 * answer with a single `\x01`, after which the server fails the exchange.
 *
 * @module
 */
import { utf8Decode, utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { AuthenticationFailure, SASLError, SASLFailure } from '../src/core/errors.js';
import { NamedMechanism } from '../src/core/mechanism.js';
import { peerText } from '../src/core/peer-text.js';
import { SASLState } from '../src/core/state.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';
import { printGs2Header } from '../src/core/gs2.js';
import { isIntegerIn } from '../src/core/checks.js';

/** Options of {@link OAUTHBEARER}. */
export interface OAUTHBEAREROptions {
  /** The server's host name, sent as `host=` (RFC 7628 §3.1). */
  readonly host?: string;
  /** The server's port, sent as `port=`. */
  readonly port?: number;
}

/** What a server's OAUTHBEARER error challenge says (RFC 7628 §3.2.2). */
export interface OAuthErrorResponse {
  /** The error status, e.g. `'invalid_token'`. */
  readonly status: string;
  /** Space-separated scopes the token would need, if given. */
  readonly scope?: string;
  /** Where to discover the authorization server, if given. */
  readonly openidConfiguration?: string;
}

/** Bearer token syntax of RFC 6750 §2.1 (`b64token`). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Parse a server's JSON error challenge, bounded and defensive.
 *
 * @param payload - the challenge bytes
 */
export function parseOAuthError(payload: Uint8Array): OAuthErrorResponse {
  if (payload.length > 4096) return { status: 'invalid_request' };
  try {
    const value: unknown = JSON.parse(utf8Decode(payload));
    if (value && typeof value === 'object' && typeof (value as { status?: unknown }).status === 'string') {
      const v = value as { status: string; scope?: unknown; 'openid-configuration'?: unknown };
      return {
        status: peerText(v.status, 100),
        ...(typeof v.scope === 'string' ? { scope: peerText(v.scope, 1000) } : {}),
        ...(typeof v['openid-configuration'] === 'string' ? { openidConfiguration: peerText(v['openid-configuration'], 1000) } : {}),
      };
    }
  } catch {
    // fall through: an unparseable error is still an error
  }
  return { status: 'invalid_request' };
}

/**
 * Build the OAUTHBEARER client message.
 *
 * @param user - the user, sent as the GS2 authzid
 * @param token - the bearer token
 * @param options - optional host and port
 */
export function encodeOAuthBearerMessage(user: string, token: string, options: OAUTHBEAREROptions = {}): Uint8Array {
  if (!B64TOKEN.test(token)) throw new SASLError(null, 'invalid argument', 'OAUTHBEARER: the token is not a valid bearer token (RFC 6750 b64token)');
  if (/[\0\x01]/.test(user)) throw new SASLError(null, 'invalid argument', 'OAUTHBEARER: the user must not contain NUL or \\x01');
  const pairs: string[] = [];
  if (options.host !== undefined) {
    if (!/^[A-Za-z0-9.:\-[\]]{1,255}$/.test(options.host)) throw new SASLError(null, 'invalid argument', 'OAUTHBEARER: invalid host');
    pairs.push(`host=${options.host}`);
  }
  if (options.port !== undefined) {
    if (!isIntegerIn(options.port, 1, 65535)) throw new SASLError(null, 'invalid argument', 'OAUTHBEARER: invalid port');
    pairs.push(`port=${options.port}`);
  }
  pairs.push(`auth=Bearer ${token}`);
  const gs2 = printGs2Header({ flag: 'n', cbName: null, authzid: user.length > 0 ? user : null });
  return utf8Encode(`${gs2}\x01${pairs.join('\x01')}\x01\x01`);
}

/**
 * The client flow OAUTHBEARER and XOAUTH2 share: send the token message;
 * success ends it; an error challenge is acknowledged with `ack`, and the
 * exchange ends in an {@link AuthenticationFailure} naming the server's status.
 * Any server refusal is final: the token, not the mechanism, was refused.
 *
 * @internal shared with XOAUTH2
 */
export async function runOAuthClient(sm: SASLStateMachine, mechanism: string, message: Uint8Array, ack: Uint8Array): Promise<void> {
  let payload;
  try {
    [, payload] = await sm.initiate(mechanism, message);
  } catch (err) {
    if (err instanceof SASLFailure) throw err.promoteToAuthenticationFailure();
    throw err;
  }
  // Success, with or without (zero-length) additional data, is the
  // framework's to end; only a real, non-empty challenge is the server's
  // error message (RFC 7628 §3.2.2: a JSON object). An empty challenge is
  // how IMAP and SMTP carry zero-length data with success.
  if (sm.state !== SASLState.CHALLENGE || payload?.length === 0) return;
  if (payload !== null) {
    const error = parseOAuthError(payload);
    let condition: string | null = 'not-authorized';
    try {
      await sm.response(ack);
    } catch (err) {
      if (err instanceof SASLFailure) condition = err.opaqueError ?? condition;
      else throw err;
    }
    throw new AuthenticationFailure(condition, `${mechanism}: the server refused the token (status ${error.status})`);
  }
  throw new SASLFailure(null, `${mechanism}: protocol violation: unexpected server answer`);
}

/** The OAUTHBEARER mechanism, client side. */
export class OAUTHBEARER extends NamedMechanism<'OAUTHBEARER'> {
  readonly #credentials: CredentialProvider;
  readonly #options: OAUTHBEAREROptions;

  /**
   * Configure OAUTHBEARER; credentials are asked for only when it is used.
   *
   * @param credentials - supplies `[user, bearerToken]`
   * @param options - see {@link OAUTHBEAREROptions}
   */
  constructor(credentials: CredentialProvider, options: OAUTHBEAREROptions = {}) {
    super('OAUTHBEARER');
    this.#credentials = credentials;
    this.#options = options;
  }

  /**
   * Present the token; on an error challenge, acknowledge it and throw an
   * {@link AuthenticationFailure} whose text carries the server's status.
   *
   * @param sm - a fresh state machine
   */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    const [user, token] = await resolveCredentials(this.#credentials);
    await runOAuthClient(sm, 'OAUTHBEARER', encodeOAuthBearerMessage(user, token, this.#options), new Uint8Array([1]));
  }

}
