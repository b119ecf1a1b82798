/**
 * The multi-step example of docs/writing-a-mechanism.md: X-OTP, a toy
 * challenge-response mechanism with mutual authentication. It is not a
 * registered mechanism; do not use it for anything real.
 *
 *     client: <username>                          (initial response)
 *     server: c=<nonce>                           (challenge, 8..64 printable chars)
 *     client: <hex HMAC-SHA-256(secret, nonce)>   (response)
 *     server: success with s=<hex HMAC-SHA-256(secret, "server:" + nonce)>
 *     client: (empty response: "I accept your proof")
 *
 * test/docs-examples.test.ts runs it against the toy server.
 */
// #region x-otp
import {
  AuthenticationFailure,
  SASLFailure,
  SASLMechanism,
  SASLState,
  hashByName,
  offeredSet,
  promoteCredentialFailure,
  resolveCredentials,
  timingSafeEqual,
  utf8Decode,
  utf8Encode,
  type CredentialProvider,
  type SASLStateMachine,
} from '../../src/index.js';

const SHA256 = hashByName('SHA-256')!;
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Abort the exchange (the server must not wait for us), then report why. */
async function abortWith(sm: SASLStateMachine, error: Error): Promise<never> {
  try {
    await sm.abort();
  } catch {
    // the abort's own fate does not matter; the reason below does
  }
  throw error;
}

/** X-OTP, client side: configuration only, no per-exchange state. */
export class XOTP extends SASLMechanism<'X-OTP'> {
  readonly #credentials: CredentialProvider;

  /** @param credentials - supplies `[username, shared secret]` */
  constructor(credentials: CredentialProvider) {
    super();
    this.#credentials = credentials;
  }

  /** @returns `'X-OTP'` when the server offers it, else `null` */
  override anySupported(mechanisms: Iterable<string>): 'X-OTP' | null {
    return offeredSet(mechanisms).has('X-OTP') ? 'X-OTP' : null;
  }

  /** Run one exchange; everything it remembers lives in this call. */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    const [username, secret] = await resolveCredentials(this.#credentials);
    let [state, payload] = await sm.initiate('X-OTP', utf8Encode(username));
    if (state !== SASLState.CHALLENGE || payload === null) {
      return abortWith(sm, new SASLFailure(null, 'X-OTP: expected a challenge'));
    }

    // Parse strictly; a bad challenge is a local rejection (opaqueError null).
    const match = /^c=([\x21-\x7e]{8,64})$/.exec(utf8Decode(payload));
    if (!match) return abortWith(sm, new SASLFailure(null, 'X-OTP: malformed challenge'));
    const nonce = match[1]!;
    const key = utf8Encode(secret);
    const proof = hex(SHA256.hmac(key, utf8Encode(nonce)));

    try {
      // This step shows the server what we know: from here on, a refusal
      // means the credentials are wrong and no other mechanism should try them.
      [state, payload] = await sm.response(utf8Encode(proof));
    } catch (err) {
      throw promoteCredentialFailure(err);
    }

    // The server's success data arrives as a challenge (the state machine
    // unfolds it); we must check it, then answer with an empty response.
    if (state !== SASLState.CHALLENGE || payload === null) {
      return abortWith(sm, new AuthenticationFailure(null, 'X-OTP: the server did not prove itself'));
    }
    const expected = utf8Encode(`s=${hex(SHA256.hmac(key, utf8Encode(`server:${nonce}`)))}`);
    if (!timingSafeEqual(payload, expected)) {
      return abortWith(sm, new AuthenticationFailure(null, 'X-OTP: the server proof is wrong'));
    }
    [state] = await sm.response(new Uint8Array(0));
    if (state !== SASLState.SUCCESS) throw new SASLFailure(null, 'X-OTP: no success after the server proof');
  }
}
// #endregion x-otp
