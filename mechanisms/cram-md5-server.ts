/**
 * CRAM-MD5 (RFC 2195), server side: a unique challenge, an HMAC-MD5 answer.
 *
 * The client side lives in cram-md5.ts; the halves are apart so that the root
 * entry `saslkit` (clients only) never loads server code, and `saslkit/server`
 * re-exports this module.
 *
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { md5 } from '@noble/hashes/legacy.js';
import { utf8Decode, utf8Encode } from '../src/core/bytes.js';
import { SASLError } from '../src/core/errors.js';
import { timingSafeEqual } from '../src/crypto/constant-time.js';
import { randomBytes } from '../src/crypto/random.js';
import { DescribedServerMechanism, SERVER_DESCRIPTORS } from '../src/server/descriptors.js';
import { challenge, failure, success, type ServerMechanismContext, type ServerMechanismSession } from '../src/server/mechanism.js';
import { toHex } from './cram-md5.js';


/** Options of {@link CRAMMD5Server}. */
export interface CRAMMD5ServerOptions {
  /**
   * Look up a user's shared secret (the password). CRAM-MD5 cannot work
   * from SCRAM verifiers: a server offering it must keep a password
   * equivalent, which is the main reason not to offer it. `null` = unknown.
   */
  readonly lookupSecret: (username: string) => Promise<string | null> | string | null;
  /** The host name in the challenge's msg-id. Default `'localhost'`. */
  readonly hostname?: string;
}

/**
 * CRAM-MD5 (RFC 2195), server side: sends a fresh `<random.time@host>`
 * challenge and checks the client's `user SP hex-digest` in constant time.
 * Unknown users get the same computation and the same `not-authorized`.
 * Offered on insecure connections (the password does not cross the wire),
 * ranked below SCRAM.
 */
export class CRAMMD5Server extends DescribedServerMechanism {
  readonly #options: CRAMMD5ServerOptions;

  /**
   * Configure the CRAM-MD5 server mechanism.
   *
   * @param options - see {@link CRAMMD5ServerOptions}
   */
  constructor(options: CRAMMD5ServerOptions) {
    if (typeof options?.lookupSecret !== 'function') {
      throw new SASLError(null, 'invalid argument', 'CRAMMD5Server needs a lookupSecret function');
    }
    if (options.hostname !== undefined && !/^[A-Za-z0-9.-]{1,253}$/.test(options.hostname)) {
      throw new SASLError(null, 'invalid argument', 'CRAMMD5Server: invalid hostname');
    }
    super(SERVER_DESCRIPTORS['CRAM-MD5']);
    this.#options = options;
  }

  /**
   * Begin one exchange.
   *
   * @param _context - unused: CRAM-MD5 has its own secret lookup
   */
  start(_context: ServerMechanismContext): ServerMechanismSession {
    const options = this.#options;
    // The framework sends this before any client message (and refuses an initial response).
    const challengeBytes = utf8Encode(`<${toHex(randomBytes(8))}.${Date.now()}@${options.hostname ?? 'localhost'}>`);
    return {
      begin: () => challenge(challengeBytes),
      async next(response) {
        const text = utf8Decode(response);
        const space = text.lastIndexOf(' ');
        const username = text.slice(0, space);
        const digest = text.slice(space + 1);
        if (space <= 0 || !/^[0-9a-f]{32}$/.test(digest)) {
          return failure('malformed-request', 'CRAM-MD5: the response must be "user SP 32-lowercase-hex-digest"');
        }
        const secret = await options.lookupSecret(username);
        // Unknown users cost the same HMAC as known ones.
        const key = typeof secret === 'string' ? utf8Encode(secret) : randomBytes(16);
        const expected = utf8Encode(toHex(hmac(md5, key, challengeBytes)));
        if (typeof secret !== 'string' || !timingSafeEqual(utf8Encode(digest), expected)) {
          return { ...failure('not-authorized', 'CRAM-MD5: invalid credentials'), authcid: username };
        }
        return success({ authcid: username, authzid: null, channelBinding: null });
      },
    };
  }
}
