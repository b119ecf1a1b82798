/**
 * Authorization: may the authenticated client act as the identity it asked for?
 *
 * Runs after the mechanism proved the client's identity, so it is also the
 * right place to refuse disabled accounts without revealing that they exist.
 *
 * @module
 */
import { saslprep } from '../core/saslprep.js';
import type { AuthIdentity, ServerConnection } from './mechanism.js';

/**
 * What user name an authzid denotes in a protocol: the adapter's answer,
 * given the authzid as the client sent it; `null` when it denotes no local
 * user. The exchange then compares the answer with the authcid after
 * SASLprep (`sameIdentity`), so the adapter only says how its
 * identities are written.
 *
 * The protocol adapter supplies it per exchange ({@link ExchangeOptions.authzidOf}),
 * because what "self" looks like is the protocol's business (RFC 4422 §3.4.1):
 * in IMAP and SMTP it is the user name itself (the default); in XMPP it is
 * the bare JID `user@domain` (RFC 6120 §6.3.8: `xmppAuthzidOf(domain)` in
 * saslkit/xmpp maps it to `user`). It must not throw; an exception counts
 * as "denotes no one".
 *
 * @param authzid - the requested authorization identity, as sent
 * @returns the local user name it denotes, or `null`
 */
export type AuthzidOf = (authzid: string) => string | null;

/**
 * Does `authzid` name the client itself? True when it equals
 * the authcid after the same preparation, SASLprep as a query (RFC 4013;
 * RFC 4616 §2 and RFC 5802 §5.1 prepare the authcid so). The exchange applies
 * it after the protocol's {@link AuthzidOf}. So PLAIN
 * `first\u00A0last NUL first\u00A0last NUL pencil` acts as `first last`.
 * An authzid that SASLprep refuses names nobody.
 *
 * @param authzid - the requested authorization identity (or the user name it denotes)
 * @param authcid - the authenticated identity (already prepared)
 * @returns true when they name the same identity
 */
export function sameIdentity(authzid: string, authcid: string): boolean {
  if (authzid === authcid) return true;
  try {
    return saslprep(authzid, { allowUnassigned: true }) === authcid;
  } catch {
    return false;
  }
}

/** What an {@link Authorizer} decides about. */
export interface AuthorizationRequest extends AuthIdentity {
  /** The mechanism that authenticated the client. */
  readonly mechanism: string;
  /** The connection. */
  readonly connection: ServerConnection;
  /** Claims the mechanism attached (always an object here). */
  readonly claims: Readonly<Record<string, unknown>>;
  /**
   * True when `authzid` is `null` or names the client itself: the user name
   * it denotes in the protocol ({@link AuthzidOf}; in IMAP and SMTP the
   * authzid itself) equals the authcid after SASLprep (`sameIdentity`).
   * An authorizer that lets users act only as themselves needs nothing else.
   */
  readonly authzidIsSelf: boolean;
}

/** A positive decision that also attaches claims to the outcome. */
export interface AuthorizationGrant {
  /** Merged over the mechanism's claims into {@link AuthOutcome.claims}. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * Decide whether `request.authcid` may act as `request.authzid`.
 *
 * Return `true` (or a {@link AuthorizationGrant}) to allow, `false` to refuse
 * with `invalid-authzid`. Throw a {@link SASLFailure} to refuse with another
 * condition, e.g. `new SASLFailure('account-disabled')`.
 */
export type Authorizer = (
  request: AuthorizationRequest,
) => boolean | AuthorizationGrant | Promise<boolean | AuthorizationGrant>;

/**
 * The default {@link Authorizer}: a client may act only as itself, i.e. the
 * authzid must be absent or name the authcid in the protocol's terms
 * ({@link AuthorizationRequest.authzidIsSelf}).
 *
 * @param request - the request
 */
export function defaultAuthorizer(request: AuthorizationRequest): boolean {
  return request.authzid === null || request.authzidIsSelf === true;
}
