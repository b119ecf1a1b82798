/**
 * CRAM-MD5 (RFC 2195): the server sends a unique challenge (an RFC 5322
 * msg-id such as `<1896.697170952@postoffice.example.net>`); the client
 * answers `user SP hex(HMAC-MD5(password, challenge))`.
 *
 * Obsolete (RFC 6331 moved its sibling DIGEST-MD5 to Historic for the same
 * weaknesses): it does not protect against an active attacker and obliges
 * the server to keep a password equivalent. Offered for old servers only.
 *
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { md5 } from '@noble/hashes/legacy.js';
import { utf8Decode, utf8Encode } from '../src/core/bytes.js';
import { resolveCredentials, type CredentialProvider } from '../src/core/credentials.js';
import { SASLError, SASLFailure, localError } from '../src/core/errors.js';
import { NamedMechanism } from '../src/core/mechanism.js';
import { SASLState } from '../src/core/state.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';
import { timingSafeEqual } from '../src/crypto/constant-time.js';
import { randomBytes } from '../src/crypto/random.js';
import {
  challenge,
  failure,
  type MechanismStep,
  type ServerMechanism,
  type ServerMechanismContext,
  type ServerMechanismSession,
} from '../src/server/mechanism.js';

/** Longest challenge the client accepts, in bytes. */
const MAX_CHALLENGE = 1024;

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * Compute the CRAM-MD5 response `user SP digest` (RFC 2195 §2).
 *
 * @param username - the user name
 * @param password - the shared secret
 * @param challenge - the server's challenge bytes
 */
export function cramMd5Response(username: string, password: string, challenge: Uint8Array): Uint8Array {
  if (username.length === 0 || /[\0\r\n ]/.test(username)) {
    throw new SASLError(null, 'invalid argument', 'CRAM-MD5: the user name must be non-empty and hold no space, NUL, CR or LF');
  }
  return utf8Encode(`${username} ${toHex(hmac(md5, utf8Encode(password), challenge))}`);
}

/** The CRAM-MD5 mechanism, client side. */
export class CRAMMD5 extends NamedMechanism<'CRAM-MD5'> {
  readonly #credentials: CredentialProvider;

  /**
   * Configure CRAM-MD5; credentials are asked for only when it is used.
   *
   * @param credentials - supplies `[username, password]`
   */
  constructor(credentials: CredentialProvider) {
    super('CRAM-MD5');
    this.#credentials = credentials;
  }

  /**
   * Answer the server's challenge.
   *
   * @param sm - a fresh state machine
   */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    const [username, password] = await resolveCredentials(this.#credentials);
    const [, payload] = await sm.initiate('CRAM-MD5');
    if (sm.state !== SASLState.CHALLENGE || payload === null || payload.length === 0 || payload.length > MAX_CHALLENGE) {
      throw new SASLFailure(null, 'CRAM-MD5: protocol violation: the server sent no usable challenge');
    }
    try {
      utf8Decode(payload); // the challenge is text; refuse binary garbage early
    } catch (err) {
      throw localError(err);
    }
    await sm.response(cramMd5Response(username, password, payload));
  }

  /** True: a refusal is a verdict on the credentials. */
  override get sendsCredentials(): boolean {
    return true;
  }
}

// Server side

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
export class CRAMMD5Server implements ServerMechanism {
  /** `'CRAM-MD5'`. */
  readonly name = 'CRAM-MD5';
  /** 8: above ANONYMOUS, below PLAIN and every SCRAM. */
  readonly strength = 8;
  /** False: the password does not cross the wire. */
  readonly plaintext = false;
  /** False. */
  readonly channelBinding = false;
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
    this.#options = options;
  }

  /**
   * Begin one exchange.
   *
   * @param _context - unused: CRAM-MD5 has its own secret lookup
   */
  start(_context: ServerMechanismContext): ServerMechanismSession {
    const options = this.#options;
    let challengeBytes: Uint8Array | null = null;
    return {
      async next(response: Uint8Array | null): Promise<MechanismStep> {
        if (challengeBytes === null) {
          if (response !== null) return failure('malformed-request', 'CRAM-MD5: the server speaks first; no initial response allowed');
          const random = toHex(randomBytes(8));
          challengeBytes = utf8Encode(`<${random}.${Date.now()}@${options.hostname ?? 'localhost'}>`);
          return challenge(challengeBytes);
        }
        if (response === null) return failure('malformed-request', 'CRAM-MD5: expected a response');
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
        return { kind: 'done', data: null, identity: { authcid: username, authzid: null, channelBinding: null } };
      },
    };
  }
}
