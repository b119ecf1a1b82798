/**
 * The server side of X-OTP, the toy mechanism of docs/writing-a-mechanism.md
 * (not a registered mechanism; do not use it for anything real). The guide
 * quotes the region below verbatim; test/docs-examples.test.ts runs it
 * against the client side (docs/examples/x-otp.ts) through saslkit's
 * SASLServer and LoopbackInterface.
 */
// #region x-otp-server
import { hashByName, randomNonce, timingSafeEqual, utf8Decode, utf8Encode } from '../../src/mechanism.js';
import {
  challenge,
  failure,
  success,
  type MechanismStep,
  type ServerMechanism,
  type ServerMechanismContext,
  type ServerMechanismSession,
} from '../../src/server/index.js';

/** Where the server finds a user's shared secret; `null` for an unknown user. */
export type SecretLookup = (username: string) => Promise<string | null> | string | null;

const SHA256 = hashByName('SHA-256')!;
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
/** A key for unknown users, so they cost what known users cost and fail the same way. */
const NO_SECRET = utf8Encode(randomNonce(32));

/** X-OTP, server side: configuration only; each exchange's state lives in `start`. */
export class XOTPServer implements ServerMechanism {
  readonly name = 'X-OTP';
  /** Above PLAIN (10), below every SCRAM (110 and up). */
  readonly strength = 20;
  /** No password crosses the wire, only an HMAC of a fresh nonce. */
  readonly plaintext = false;
  readonly channelBinding = false;
  readonly #lookup: SecretLookup;

  constructor(lookup: SecretLookup) {
    this.#lookup = lookup;
  }

  start(_context: ServerMechanismContext): ServerMechanismSession {
    // Each step is the handler of the next client message, holding what it needs.
    // The client goes first (the default): without an initial response, the framework sends the empty challenge.
    let next = async (response: Uint8Array): Promise<MechanismStep> => {
      const username = utf8Decode(response); // a SASLFailure('incorrect-encoding') for bad UTF-8
      if (!/^[^\x00-\x1f\x7f]{1,255}$/u.test(username)) return failure('malformed-request', 'X-OTP: bad user name');
      const secret = await this.#lookup(username);
      const key = secret === null ? NO_SECRET : utf8Encode(secret);
      const nonce = randomNonce(24);
      next = async (proof) => checkProof(username, secret !== null, key, nonce, proof);
      return challenge(utf8Encode(`c=${nonce}`));
    };
    return { next: (response) => next(response) };
  }
}

async function checkProof(username: string, known: boolean, key: Uint8Array, nonce: string, proof: Uint8Array): Promise<MechanismStep> {
  const expected = utf8Encode(hex(SHA256.hmac(key, utf8Encode(nonce))));
  if (!/^[0-9a-f]{64}$/.test(utf8Decode(proof))) return failure('malformed-request', 'X-OTP: the proof must be 64 hex digits');
  // Compare in constant time; an unknown user fails exactly like a wrong secret.
  if (!timingSafeEqual(proof, expected) || !known) return failure('not-authorized', 'X-OTP: invalid credentials');
  // The server proves it knows the secret too: additional data with the success.
  const serverProof = utf8Encode(`s=${hex(SHA256.hmac(key, utf8Encode(`server:${nonce}`)))}`);
  return success({ authcid: username, authzid: null, channelBinding: null }, serverProof);
}
// #endregion x-otp-server
