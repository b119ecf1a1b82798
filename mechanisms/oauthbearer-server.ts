/**
 * OAUTHBEARER (RFC 7628), server side: the bearer token goes to the
 * application's validator.
 *
 * The client side lives in oauthbearer.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * @module
 */
import { utf8Decode, utf8Encode } from '../src/core/bytes.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { parseGs2Header, type Gs2Header } from '../src/core/gs2.js';
import {
  challenge,
  failure,
  type MechanismStep,
  type ServerMechanismContext,
  type ServerMechanismSession,
} from '../src/server/mechanism.js';
import { isIntegerIn } from '../src/core/checks.js';
import { DescribedServerMechanism, SERVER_DESCRIPTORS } from '../src/server/descriptors.js';

// Server side

/** What an OAuth token validator decided. */
export type OAuthTokenVerdict =
  | {
      /** The token is good. */
      readonly valid: true;
      /** The user the token belongs to: the outcome's authcid. */
      readonly authcid: string;
      /** Facts about the token (scopes, expiry, subject...) for the outcome's claims. */
      readonly claims?: Readonly<Record<string, unknown>>;
    }
  | {
      /** The token is not acceptable. */
      readonly valid: false;
      /** RFC 6750 error code for the client, default `'invalid_token'`. */
      readonly status?: string;
      /** Scopes a token would need. */
      readonly scope?: string;
    };

/** What the client presented, as given to {@link OAuthTokenValidator}. */
export interface OAuthTokenRequest {
  /** The bearer token. */
  readonly token: string;
  /** The user the client names (OAUTHBEARER's GS2 authzid, XOAUTH2's `user=`), or `null`. */
  readonly user: string | null;
  /** The `host=` the client sent, if any. */
  readonly host: string | null;
  /** The `port=` the client sent, if any. */
  readonly port: number | null;
}

/** Checks a bearer token, e.g. by introspection (RFC 7662) or JWT validation. */
export type OAuthTokenValidator = (request: OAuthTokenRequest) => Promise<OAuthTokenVerdict> | OAuthTokenVerdict;

/** Options of {@link OAUTHBEARERServer}. */
export interface OAUTHBEARERServerOptions {
  /** Decides whether a token is good and whose it is. */
  readonly validateToken: OAuthTokenValidator;
  /** Sent as `openid-configuration` in error challenges, so clients can find the authorization server. */
  readonly openidConfiguration?: string;
}

/**
 * Key/value pairs of an OAUTHBEARER or XOAUTH2 message (RFC 7628 §3.1 `kvpair`).
 *
 * @internal shared with XOAUTH2
 */
export function parseKvPairs(text: string, what: string): Map<string, string> {
  if (!text.endsWith('\x01\x01')) throw new SASLFailure('malformed-request', `${what}: the message must end with two \\x01`);
  const pairs = new Map<string, string>();
  for (const part of text.slice(0, -2).split('\x01')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    if (eq <= 0 || !/^[A-Za-z]{1,64}$/.test(key)) throw new SASLFailure('malformed-request', `${what}: malformed key=value pair`);
    if (pairs.has(key)) throw new SASLFailure('malformed-request', `${what}: repeated key ${key}`);
    if (pairs.size >= 32) throw new SASLFailure('malformed-request', `${what}: too many key=value pairs`);
    pairs.set(key, part.slice(eq + 1));
  }
  return pairs;
}

/**
 * Extract the token from `auth=Bearer <token>` (scheme case-insensitive).
 *
 * @internal shared with XOAUTH2
 */
export function bearerToken(auth: string | undefined, what: string): string {
  const m = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(auth ?? '');
  if (!m) throw new SASLFailure('malformed-request', `${what}: missing or malformed auth=Bearer <token>`);
  return m[1]!;
}

/**
 * Run the validator, turning its verdict into a step (with the error challenge on refusal).
 *
 * @internal shared with XOAUTH2
 */
export async function judge(
  validate: OAuthTokenValidator,
  request: OAuthTokenRequest,
  authzid: string | null,
  openidConfiguration: string | undefined,
): Promise<MechanismStep | { refused: Uint8Array }> {
  const verdict = await validate(request);
  if (verdict?.valid === true && typeof verdict.authcid === 'string' && verdict.authcid.length > 0) {
    return {
      kind: 'success',
      data: null,
      identity: { authcid: verdict.authcid, authzid, channelBinding: null, ...(verdict.claims ? { claims: verdict.claims } : {}) },
    };
  }
  const refusal = verdict && verdict.valid === false ? verdict : { status: 'invalid_token' };
  const body: Record<string, string> = { status: refusal.status ?? 'invalid_token' };
  if ('scope' in refusal && refusal.scope) body.scope = refusal.scope;
  if (openidConfiguration) body['openid-configuration'] = openidConfiguration;
  return { refused: utf8Encode(JSON.stringify(body)) };
}

/**
 * The server flow OAUTHBEARER and XOAUTH2 share: the client message is
 * checked by `onMessage`; a refused token gets its JSON error challenge,
 * and the client's acknowledgement (checked by `ackOk`) ends in
 * `not-authorized` (RFC 7628 §3.2.3). The framework sends the empty
 * challenge when the client sent no initial response.
 *
 * @internal shared with XOAUTH2
 */
export function oauthServerSession(
  mechanism: string,
  ackOk: (ack: Uint8Array) => boolean,
  onMessage: (message: Uint8Array) => Promise<MechanismStep | { refused: Uint8Array }>,
): ServerMechanismSession {
  const acknowledged = async (ack: Uint8Array): Promise<MechanismStep> =>
    ackOk(ack) ? failure('not-authorized', `${mechanism}: the token was refused`) : failure('malformed-request', `${mechanism}: expected the acknowledgement of the error`);
  let next = async (message: Uint8Array): Promise<MechanismStep> => {
    const step = await onMessage(message);
    if (!('refused' in step)) return step;
    next = acknowledged;
    return challenge(step.refused);
  };
  return { next: (response) => next(response) };
}

/**
 * OAUTHBEARER (RFC 7628), server side. The token goes to your
 * {@link OAuthTokenValidator}; a refused token gets the RFC's JSON error
 * challenge, and the exchange fails with `not-authorized` once the client
 * acknowledges it with `\x01`. The GS2 authzid becomes the outcome's authzid.
 */
export class OAUTHBEARERServer extends DescribedServerMechanism {
  readonly #options: OAUTHBEARERServerOptions;

  /**
   * Configure the OAUTHBEARER server mechanism.
   *
   * @param options - see {@link OAUTHBEARERServerOptions}
   */
  constructor(options: OAUTHBEARERServerOptions) {
    if (typeof options?.validateToken !== 'function') throw new SASLError(null, 'invalid argument', 'OAUTHBEARERServer needs validateToken');
    super(SERVER_DESCRIPTORS.OAUTHBEARER);
    this.#options = options;
  }

  /**
   * Begin one exchange.
   *
   * @param _context - unused: tokens are checked by the validator
   */
  start(_context: ServerMechanismContext): ServerMechanismSession {
    const options = this.#options;
    return oauthServerSession('OAUTHBEARER', (ack) => ack.length === 1 && ack[0] === 1, async (message) => {
      const text = utf8Decode(message);
      if (text.startsWith('p=')) return failure('malformed-request', 'OAUTHBEARER: channel binding is not defined for this mechanism');
      let gs2: Gs2Header;
      try {
        gs2 = parseGs2Header(text, 'the message', 'OAUTHBEARER');
      } catch (err) {
        if (err instanceof SASLFailure) return failure('malformed-request', 'OAUTHBEARER: malformed GS2 header');
        throw err;
      }
      if (!gs2.rest.startsWith('\x01')) return failure('malformed-request', 'OAUTHBEARER: malformed GS2 header');
      const { authzid } = gs2;
      const pairs = parseKvPairs(gs2.rest, 'OAUTHBEARER');
      const token = bearerToken(pairs.get('auth'), 'OAUTHBEARER');
      const port = pairs.has('port') ? Number(pairs.get('port')) : null;
      if (port !== null && !isIntegerIn(port, 1, 65535)) return failure('malformed-request', 'OAUTHBEARER: invalid port');
      return judge(options.validateToken, { token, user: authzid, host: pairs.get('host') ?? null, port }, authzid, options.openidConfiguration);
    });
  }
}
