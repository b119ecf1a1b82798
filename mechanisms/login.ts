/**
 * LOGIN (draft-murchison-sasl-login): an obsolete but widespread mechanism.
 * The server prompts twice (traditionally `Username:` and `Password:`) and
 * the client answers with the user name, then the password. Like PLAIN it
 * sends the password in the clear: only use it over an encrypted channel.
 *
 * @module
 */
import { utf8Decode, utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { NamedMechanism, requireSecureChannel } from '../src/core/mechanism.js';
import { SASLState } from '../src/core/state.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';
import { saslprep } from '../src/core/saslprep.js';
import {
  challenge,
  failure,
  type MechanismStep,
  type ServerMechanism,
  type ServerMechanismContext,
  type ServerMechanismSession,
} from '../src/server/mechanism.js';
import { verifyPasswordWithStore } from '../src/server/credentials/verify.js';

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

// Server side

const USERNAME_PROMPT = utf8Encode('Username:');
const PASSWORD_PROMPT = utf8Encode('Password:');

/**
 * LOGIN, server side: prompts `Username:` then `Password:` (the prompts
 * clients such as Python's smtplib and Outlook expect), accepting the user
 * name as an initial response too. Both answers are prepared with SASLprep
 * and the password is checked against the credential store exactly as
 * PLAIN does, so SCRAM verifiers suffice. Sends the password in the clear:
 * offered only over secure connections unless allowed.
 */
export class LOGINServer implements ServerMechanism {
  /** `'LOGIN'`. */
  readonly name = 'LOGIN';
  /** 9: just below PLAIN, which does the same in fewer round trips. */
  readonly strength = 9;
  /** True: the password crosses the wire. */
  readonly plaintext = true;
  /** False. */
  readonly channelBinding = false;

  /**
   * Begin one exchange.
   *
   * @param context - the connection, credentials and server facts
   */
  start(context: ServerMechanismContext): ServerMechanismSession {
    let phase: 'start' | 'username' | 'password' | 'done' = 'start';
    let username = '';
    const prepare = (bytes: Uint8Array, what: string): string => {
      const text = utf8Decode(bytes);
      if (text.includes('\0')) throw new SASLFailure('malformed-request', `LOGIN: the ${what} contains NUL`);
      const prepared = saslprep(text, { allowUnassigned: true });
      if (prepared.length === 0) throw new SASLFailure('malformed-request', `LOGIN: the ${what} is empty`);
      return prepared;
    };
    return {
      async next(response: Uint8Array | null): Promise<MechanismStep> {
        switch (phase) {
          case 'start':
            if (response === null || response.length === 0) {
              phase = 'username';
              return challenge(USERNAME_PROMPT);
            }
            username = prepare(response, 'user name');
            phase = 'password';
            return challenge(PASSWORD_PROMPT);
          case 'username':
            if (response === null) return failure('malformed-request', 'LOGIN: expected the user name');
            username = prepare(response, 'user name');
            phase = 'password';
            return challenge(PASSWORD_PROMPT);
          case 'password': {
            phase = 'done';
            if (response === null) return failure('malformed-request', 'LOGIN: expected the password');
            const password = prepare(response, 'password');
            if (!(await verifyPasswordWithStore(context, username, password))) return { ...failure('not-authorized', 'LOGIN: invalid credentials'), authcid: username };
            return { kind: 'done', data: null, identity: { authcid: username, authzid: null, channelBinding: null } };
          }
          default:
            throw new SASLFailure('malformed-request', 'LOGIN: the exchange is over');
        }
      },
    };
  }
}
