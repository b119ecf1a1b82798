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

/** Longest challenge the client accepts, in bytes. */
const MAX_CHALLENGE = 1024;

/** @internal lower-case hex of `bytes`, shared with the server half. */
export function toHex(bytes: Uint8Array): string {
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
