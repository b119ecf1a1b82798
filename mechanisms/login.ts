/**
 * LOGIN (draft-murchison-sasl-login): an obsolete but widespread mechanism.
 * The server prompts twice (traditionally `Username:` and `Password:`) and
 * the client answers with the user name, then the password. Like PLAIN it
 * sends the password in the clear: only use it over an encrypted channel.
 *
 * @module
 */
import { utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { NamedMechanism, requireSecureChannel } from '../src/core/mechanism.js';
import { SASLState } from '../src/core/state.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';

/** Options of {@link LOGIN}. */
export interface LOGINOptions {
  /**
   * Send the password even when the interface does not report a secure
   * channel ({@link SASLInterface.secure}). Default false: LOGIN then fails
   * locally with a {@link SASLFailure} before sending anything.
   */
  readonly allowInsecureChannel?: boolean;
}

function checkField(value: string, what: string): Uint8Array {
  if (value.length === 0) throw new SASLError(null, 'invalid argument', `LOGIN: ${what} must not be empty`);
  if (/[\0\r\n]/.test(value)) throw new SASLError(null, 'invalid argument', `LOGIN: ${what} must not contain NUL, CR or LF`);
  return utf8Encode(value);
}

/**
 * The LOGIN mechanism, client side. The prompts' text is ignored, as the
 * draft advises: clients answer the first challenge with the user name and
 * the second with the password.
 */
export class LOGIN extends NamedMechanism<'LOGIN'> {
  readonly #credentials: CredentialProvider;
  readonly #allowInsecureChannel: boolean;

  /**
   * Configure LOGIN; credentials are asked for only when it is used.
   *
   * @param credentials - supplies `[username, password]`
   * @param options - see {@link LOGINOptions}
   */
  constructor(credentials: CredentialProvider, options: LOGINOptions = {}) {
    super('LOGIN');
    this.#credentials = credentials;
    this.#allowInsecureChannel = options.allowInsecureChannel === true;
  }

  /** True: a refusal is a verdict on the credentials. */
  override get sendsCredentials(): boolean {
    return true;
  }

  /**
   * Answer the two prompts.
   *
   * @param sm - a fresh state machine
   */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    requireSecureChannel(sm, 'LOGIN', this.#allowInsecureChannel);
    const [username, password] = await resolveCredentials(this.#credentials);
    const answers = [checkField(username, 'username'), checkField(password, 'password')];
    await sm.initiate('LOGIN');
    for (const answer of answers) {
      if (sm.state !== SASLState.CHALLENGE) {
        throw new SASLFailure(null, 'LOGIN: protocol violation: the server did not prompt for the credentials');
      }
      await sm.response(answer);
    }
  }
}
