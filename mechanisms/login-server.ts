/**
 * LOGIN (draft-murchison-sasl-login), server side.
 *
 * The client side lives in login.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * @module
 */
import { utf8Decode, utf8Encode } from '../src/core/bytes.js';
import { SASLFailure } from '../src/core/errors.js';
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
