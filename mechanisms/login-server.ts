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
import { DescribedServerMechanism, SERVER_DESCRIPTORS } from '../src/server/descriptors.js';
import { challenge, failure, success, type MechanismStep, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';
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
export class LOGINServer extends DescribedServerMechanism {
  /** The LOGIN server mechanism (no options). */
  constructor() {
    super(SERVER_DESCRIPTORS.LOGIN);
  }

  /**
   * Begin one exchange: the framework asks for `Username:` first unless the
   * client sent the user name as its initial response.
   *
   * @param context - the connection, credentials and server facts
   */
  start(context: ServerMechanismContext): ServerMechanismSession {
    const prepare = (bytes: Uint8Array, what: string): string => {
      const text = utf8Decode(bytes);
      if (text.includes('\0')) throw new SASLFailure('malformed-request', `LOGIN: the ${what} contains NUL`);
      const prepared = saslprep(text, { allowUnassigned: true });
      if (prepared.length === 0) throw new SASLFailure('malformed-request', `LOGIN: the ${what} is empty`);
      return prepared;
    };
    // Each handler takes one client message and names the handler of the next.
    const password = (username: string) => async (response: Uint8Array): Promise<MechanismStep> => {
      const password = prepare(response, 'password');
      if (!(await verifyPasswordWithStore(context, username, password))) return { ...failure('not-authorized', 'LOGIN: invalid credentials'), authcid: username };
      return success({ authcid: username, authzid: null, channelBinding: null });
    };
    let next = async (response: Uint8Array): Promise<MechanismStep> => {
      next = password(prepare(response, 'user name'));
      return challenge(PASSWORD_PROMPT);
    };
    return {
      begin: () => challenge(USERNAME_PROMPT),
      next: (response) => next(response),
    };
  }
}
