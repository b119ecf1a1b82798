/**
 * PLAIN (RFC 4616): the client sends `[authzid] NUL authcid NUL passwd` in
 * one message. Only safe over an encrypted channel.
 *
 * @module
 */
import { concatBytes, utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { NamedMechanism, requireSecureChannel } from '../src/core/mechanism.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';

/** Options of {@link PLAIN}. */
export interface PLAINOptions {
  /** Authorization identity to act as; default none (act as the authcid). */
  readonly authzid?: string | null;
  /**
   * Send the password even when the interface does not report a secure
   * channel ({@link SASLInterface.secure}). Default false: PLAIN then fails
   * locally with a {@link SASLFailure} before sending anything.
   */
  readonly allowInsecureChannel?: boolean;
}

function field(value: string, what: string, allowEmpty: boolean): Uint8Array {
  if (typeof value !== 'string') throw new SASLError(null, 'invalid argument', `${what} must be a string`);
  if (!allowEmpty && value.length === 0) throw new SASLError(null, 'invalid argument', `${what} must not be empty (RFC 4616)`);
  if (value.includes('\0')) throw new SASLError(null, 'invalid argument', `${what} must not contain NUL (RFC 4616)`);
  return utf8Encode(value);
}

/**
 * Build the PLAIN message `[authzid] NUL authcid NUL passwd` (RFC 4616 §2),
 * UTF-8 encoded. As aiosasl, no SASLprep is applied: the server prepares.
 *
 * @param authcid - the authentication identity (user name)
 * @param password - the password
 * @param authzid - optional authorization identity
 * @throws {@link SASLError} for an empty user or password, or NUL in any field
 */
export function encodePlainMessage(authcid: string, password: string, authzid: string | null = null): Uint8Array {
  const zero = new Uint8Array(1);
  return concatBytes(
    authzid === null ? new Uint8Array(0) : field(authzid, 'authzid', false),
    zero,
    field(authcid, 'username', false),
    zero,
    field(password, 'password', false),
  );
}

/** The PLAIN mechanism, client side. */
export class PLAIN extends NamedMechanism<'PLAIN'> {
  readonly #credentials: CredentialProvider;
  readonly #authzid: string | null;
  readonly #allowInsecureChannel: boolean;

  /**
   * Configure PLAIN; credentials are asked for only when it is used.
   *
   * @param credentials - supplies `[username, password]`
   * @param options - see {@link PLAINOptions}
   */
  constructor(credentials: CredentialProvider, options: PLAINOptions = {}) {
    super('PLAIN');
    this.#credentials = credentials;
    this.#authzid = options.authzid ?? null;
    this.#allowInsecureChannel = options.allowInsecureChannel === true;
    if (this.#authzid !== null) field(this.#authzid, 'authzid', false);
  }

  /**
   * Send the credentials as the initial response and expect success.
   *
   * @param sm - a fresh state machine
   */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    requireSecureChannel(sm, 'PLAIN', this.#allowInsecureChannel);
    const [username, password] = await resolveCredentials(this.#credentials);
    await sm.initiate('PLAIN', encodePlainMessage(username, password, this.#authzid));
  }

  /** True: a refusal is a verdict on the credentials. */
  override get sendsCredentials(): boolean {
    return true;
  }
}
