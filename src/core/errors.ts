/**
 * The error classes of saslkit, shaped as aiosasl's.
 *
 * Every failure saslkit reports is a {@link SASLError}: a caller can catch that
 * one class and know it never sees a raw `TypeError` from bad input.
 *
 * @module
 */

/**
 * Base class of every error saslkit raises.
 *
 * `opaqueError` is `null` for an error raised locally (by a mechanism or by
 * saslkit's own checks); for an error reported by the peer it carries the
 * peer's condition (one of {@link SASLCondition} where the protocol has one,
 * or e.g. a SCRAM `e=` server-error value). `kind` says which sort of error
 * this is (`'SASL failure'`, `'authentication failed'`, ...).
 *
 * Messages never contain a secret: not a password, a proof or a key.
 */
export class SASLError extends Error {
  /** The peer's error condition, or `null` for a locally raised error. */
  readonly opaqueError: string | null;
  /** What sort of error this is, e.g. `'SASL failure'`. */
  readonly kind: string;
  /** Human-readable detail, if any. */
  readonly text: string | null;
  /**
   * Set by the negotiation loop (`authenticate`) on the error it throws:
   * every attempt it made, in order, each with the mechanism name and the
   * error that ended it (this error included, last). Empty otherwise. The
   * error's `cause` is then the previous attempt's error, if any.
   */
  attempts: readonly MechanismAttempt[] = [];

  /**
   * Create an error; the message is built from the three parts.
   *
   * @param opaqueError - the peer's condition, or `null` when raised locally
   * @param kind - what sort of error this is
   * @param text - optional human-readable detail (never a secret)
   */
  constructor(opaqueError: string | null, kind: string, text?: string | null) {
    let message = `${opaqueError ?? 'local'}: ${kind}`;
    if (text) message += `: ${text}`;
    super(message);
    this.name = new.target.name;
    this.opaqueError = opaqueError;
    this.kind = kind;
    this.text = text ?? null;
  }
}

/** One attempt of the negotiation loop, as listed in {@link SASLError.attempts}. */
export interface MechanismAttempt {
  /** The mechanism name tried (e.g. `'SCRAM-SHA-256-PLUS'`). */
  readonly mechanism: string;
  /** The error that ended it. */
  readonly error: SASLError;
}

/**
 * The SASL exchange failed. The negotiation loop ({@link authenticate}) moves on
 * to the next mechanism after this error, unless it is an
 * {@link AuthenticationFailure}.
 */
export class SASLFailure extends SASLError {
  /**
   * Create a failure of kind `'SASL failure'`.
   *
   * @param opaqueError - the peer's condition, or `null` when raised locally
   * @param text - optional human-readable detail
   */
  constructor(opaqueError: string | null, text?: string | null) {
    super(opaqueError, 'SASL failure', text);
  }

  /**
   * Turn this failure into an {@link AuthenticationFailure} with the same
   * condition and text: used by mechanisms once the credentials themselves
   * have been rejected, so that no further mechanism is tried with them.
   */
  promoteToAuthenticationFailure(): AuthenticationFailure {
    return new AuthenticationFailure(this.opaqueError, this.text);
  }
}

/**
 * The credentials were rejected (or the peer failed to prove itself).
 * Negotiation stops: trying another mechanism with the same credentials is
 * pointless and, against a server, noisy.
 */
export class AuthenticationFailure extends SASLError {
  /**
   * Create a failure of kind `'authentication failed'`.
   *
   * @param opaqueError - the peer's condition, or `null` when raised locally
   * @param text - optional human-readable detail
   */
  constructor(opaqueError: string | null, text?: string | null) {
    super(opaqueError, 'authentication failed', text);
  }
}

/**
 * Conditions under which a failure means "these credentials will not work":
 * retrying with another mechanism is pointless.
 */
const CREDENTIAL_CONDITIONS: ReadonlySet<string> = new Set([
  'not-authorized',
  'account-disabled',
  'credentials-expired',
  'invalid-authzid',
]);

/**
 * Promote a peer's {@link SASLFailure} to an {@link AuthenticationFailure} when
 * its condition says the credentials themselves were refused; return any other
 * error unchanged. Mechanisms use this after the step that reveals the
 * credentials to the server.
 *
 * @param err - the error caught from the state machine
 * @returns the error to throw
 */
export function promoteCredentialFailure(err: unknown): unknown {
  if (
    err instanceof SASLFailure &&
    !(err instanceof AuthenticationFailure) &&
    err.opaqueError !== null &&
    CREDENTIAL_CONDITIONS.has(err.opaqueError)
  ) {
    return err.promoteToAuthenticationFailure();
  }
  return err;
}

/**
 * Make a peer-style error local: a {@link SASLFailure} raised by a parser that
 * the server side shares (it carries the condition the server would send,
 * e.g. `malformed-request`) becomes the same failure with
 * `opaqueError === null`, as aiosasl's contract says of locally raised
 * errors. Anything else is returned unchanged.
 *
 * @param err - the error caught around a local check
 * @returns the error to throw
 */
export function localError(err: unknown): unknown {
  if (err instanceof SASLError && err.opaqueError !== null) {
    if (err instanceof AuthenticationFailure) return new AuthenticationFailure(null, err.text);
    if (err instanceof SASLFailure) return new SASLFailure(null, err.text);
  }
  return err;
}
