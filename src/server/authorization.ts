/**
 * Authorization: may the authenticated client act as the identity it asked for?
 *
 * Runs after the mechanism proved the client's identity, so it is also the
 * right place to refuse disabled accounts without revealing that they exist.
 *
 * @module
 */
import type { AuthIdentity, ServerConnection } from './mechanism.js';

/** What an {@link Authorizer} decides about. */
export interface AuthorizationRequest extends AuthIdentity {
  /** The mechanism that authenticated the client. */
  readonly mechanism: string;
  /** The connection. */
  readonly connection: ServerConnection;
  /** Claims the mechanism attached (always an object here). */
  readonly claims: Readonly<Record<string, unknown>>;
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
 * authzid must be absent or equal to the authcid.
 *
 * @param request - the request
 */
export function defaultAuthorizer(request: AuthorizationRequest): boolean {
  return request.authzid === null || request.authzid === request.authcid;
}
