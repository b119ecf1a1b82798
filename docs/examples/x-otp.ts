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
import { AuthenticationFailure, SASLFailure, SASLMechanism, SASLState, type CredentialProvider, type SASLStateMachine } from '../../src/index.js';
import { hashByName, offeredSet, resolveCredentials, timingSafeEqual, utf8Encode } from '../../src/mechanism.js';

const SHA256 = hashByName('SHA-256')!;
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

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

  /** True: the proof shows the caller's secret, so a refusal of it is final. */
  override get sendsCredentials(): boolean {
    return true;
  }

  /** Run one exchange; everything it remembers lives in this call. */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    const [username, secret] = await resolveCredentials(this.#credentials);
    let [, payload] = await sm.initiate('X-OTP', utf8Encode(username));
    // Throwing is enough: the framework aborts the open exchange.
    if (sm.state !== SASLState.CHALLENGE || payload === null) throw new SASLFailure(null, 'X-OTP: expected a challenge');

    // Parse strictly; a bad challenge is a local rejection (opaqueError null).
    const match = /^c=([\x21-\x7e]{8,64})$/.exec(new TextDecoder().decode(payload));
    if (!match) throw new SASLFailure(null, 'X-OTP: malformed challenge');
    const nonce = match[1]!;
    const key = utf8Encode(secret);
    const proof = hex(SHA256.hmac(key, utf8Encode(nonce)));
    [, payload] = await sm.response(utf8Encode(proof));

    // The server's success data arrives as a challenge (the state machine
    // unfolds it); we must check it, then answer with an empty response.
    if (payload === null) throw new AuthenticationFailure(null, 'X-OTP: the server did not prove itself');
    const expected = utf8Encode(`s=${hex(SHA256.hmac(key, utf8Encode(`server:${nonce}`)))}`);
    if (!timingSafeEqual(payload, expected)) throw new AuthenticationFailure(null, 'X-OTP: the server proof is wrong');
    await sm.response(new Uint8Array(0));
  }
}
// #endregion x-otp
