/**
 * PLAIN (RFC 4616), server side: parse `[authzid] NUL authcid NUL passwd`
 * and check the password against the credential store.
 *
 * The client side lives in plain.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * @module
 */
import { SASLFailure } from '../src/core/errors.js';
import { utf8Decode } from '../src/core/bytes.js';
import { saslprep } from '../src/core/saslprep.js';
import { DescribedServerMechanism, SERVER_DESCRIPTORS } from '../src/server/descriptors.js';
import { failure, success, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';
import { verifyPasswordWithStore } from '../src/server/credentials/verify.js';

// ---------------------------------------------------------------------------
// Server side

/** The three fields of a PLAIN message, as sent (not yet prepared). */
export interface PlainMessage {
  /** The authorization identity, or `null` when the field was empty. */
  readonly authzid: string | null;
  /** The authentication identity. */
  readonly authcid: string;
  /** The password. */
  readonly password: string;
}

/**
 * Parse a PLAIN message `[authzid] NUL authcid NUL passwd` (RFC 4616 §2):
 * exactly two NULs, non-empty authcid and password, strict UTF-8.
 *
 * @param message - the client's message
 * @throws {@link SASLFailure} `malformed-request` for a bad structure,
 *   `incorrect-encoding` for invalid UTF-8
 */
export function decodePlainMessage(message: Uint8Array): PlainMessage {
  const first = message.indexOf(0);
  const second = first < 0 ? -1 : message.indexOf(0, first + 1);
  if (second < 0 || message.indexOf(0, second + 1) >= 0) {
    throw new SASLFailure('malformed-request', 'PLAIN: the message must hold exactly two NUL separators');
  }
  const authzid = utf8Decode(message.subarray(0, first));
  const authcid = utf8Decode(message.subarray(first + 1, second));
  const password = utf8Decode(message.subarray(second + 1));
  if (authcid.length === 0) throw new SASLFailure('malformed-request', 'PLAIN: the authentication identity is empty');
  if (password.length === 0) throw new SASLFailure('malformed-request', 'PLAIN: the password is empty');
  return { authzid: authzid === '' ? null : authzid, authcid, password };
}

/** Prepare a presented name or password as an RFC 4013 "query" string (RFC 4616 §2). */
function prepareQuery(value: string, what: string): string {
  const prepared = saslprep(value, { allowUnassigned: true });
  if (prepared.length === 0) throw new SASLFailure('malformed-request', `PLAIN: the ${what} is empty after SASLprep`);
  return prepared;
}

/**
 * PLAIN (RFC 4616), server side. The client must go first: with no initial
 * response the server sends an empty challenge. The authcid and password
 * are prepared with SASLprep, then checked with the store's
 * `verifyPassword` if it has one, else against the user's SCRAM verifier
 * (derive SaltedPassword, compare StoredKey in constant time), so a store
 * never needs plaintext passwords. Any wrong or unknown credential fails
 * with `not-authorized`.
 *
 * It sends the password in the clear, so {@link SASLServer} offers it only
 * over secure connections unless told otherwise.
 */
export class PLAINServer extends DescribedServerMechanism {
  /** The PLAIN server mechanism (no options). */
  constructor() {
    super(SERVER_DESCRIPTORS.PLAIN);
  }


  /**
   * Begin one exchange.
   *
   * @param context - the connection, credentials and server facts
   */
  start(context: ServerMechanismContext): ServerMechanismSession {
    return {
      async next(response) {
        const message = decodePlainMessage(response);
        const authcid = prepareQuery(message.authcid, 'authentication identity');
        const password = prepareQuery(message.password, 'password');
        if (!(await verifyPasswordWithStore(context, authcid, password))) return { ...failure('not-authorized', 'PLAIN: invalid credentials'), authcid };
        return success({ authcid, authzid: message.authzid, channelBinding: null });
      },
    };
  }
}
