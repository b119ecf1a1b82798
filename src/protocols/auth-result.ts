/**
 * How one authentication command of a protocol ended, as the server seams
 * (`serveSmtpAuth`, `serveXmppAuth`) report it: the final reply has been
 * sent either way.
 *
 * @module
 */
import type { AuthOutcome } from '../server/exchange.js';
import type { ServerFailure } from '../server/mechanism.js';

/** The command succeeded (the protocol's success reply was sent). */
export interface AuthCommandSuccess {
  /** Discriminant. */
  readonly kind: 'success';
  /** Who authenticated: mechanism, authcid, authzid, channel binding, claims. */
  readonly outcome: AuthOutcome;
}

/** The command failed (the protocol's failure reply was sent). */
export interface AuthCommandFailure {
  /** Discriminant. */
  readonly kind: 'failure';
  /** The failure and its condition. */
  readonly failure: ServerFailure;
}
