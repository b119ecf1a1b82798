/**
 * ANONYMOUS (RFC 4505): the client sends an optional trace token (an email
 * address or free text) and gets access as a guest.
 *
 * @module
 */
import { utf8Encode } from '../src/core/bytes.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { NamedMechanism, requireSuccess } from '../src/core/mechanism.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';

// The "trace" stringprep profile (RFC 4505 §3): prohibited output is
// RFC 3454 C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.8 and C.9.
const PROHIBITED =
  /[\u0000-\u001f\u007f-\u009f\u06dd\u070f\u180e\u200c-\u200f\u2028-\u202e\u2060-\u2063\u206a-\u206f\ufeff\ufdd0-\ufdef\ufff9-\uffff\ue000-\uf8ff\u0340\u0341]|[\u{1d173}-\u{1d17a}\u{e0001}\u{e0020}-\u{e007f}\u{f0000}-\u{10ffff}]|[\u{1fffe}\u{1ffff}\u{2fffe}\u{2ffff}\u{3fffe}\u{3ffff}\u{4fffe}\u{4ffff}\u{5fffe}\u{5ffff}\u{6fffe}\u{6ffff}\u{7fffe}\u{7ffff}\u{8fffe}\u{8ffff}\u{9fffe}\u{9ffff}\u{afffe}\u{affff}\u{bfffe}\u{bffff}\u{cfffe}\u{cffff}\u{dfffe}\u{dffff}\u{efffe}\u{effff}]|\p{Cs}/u;
// RFC 3454 §6 bidi rule, with RandALCat approximated by the right-to-left
// scripts (JavaScript regular expressions expose no Bidi_Class property).
const RAND_AL = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const L_CAT = /(?![\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}])\p{L}/u;

/**
 * Check a trace token against RFC 4505's `trace` profile: at most 255
 * characters, none prohibited, and the bidirectional-text rule.
 *
 * @param token - the trace token (may be empty: it is optional)
 * @returns the token
 * @throws {@link SASLFailure} with condition `malformed-request` when it breaks the profile
 */
export function checkTraceToken(token: string): string {
  if (typeof token !== 'string') throw new SASLError(null, 'invalid argument', 'trace token must be a string');
  const chars = [...token];
  if (chars.length > 255) throw new SASLFailure('malformed-request', 'ANONYMOUS: trace token is longer than 255 characters (RFC 4505 §2)');
  if (PROHIBITED.test(token)) {
    throw new SASLFailure('malformed-request', 'ANONYMOUS: trace token holds a character prohibited by the trace profile (RFC 4505 §3)');
  }
  if (RAND_AL.test(token)) {
    if (L_CAT.test(token) || !RAND_AL.test(chars[0]!) || !RAND_AL.test(chars[chars.length - 1]!)) {
      throw new SASLFailure('malformed-request', 'ANONYMOUS: trace token breaks the bidirectional-text rule (RFC 3454 §6)');
    }
  }
  return token;
}

/** The ANONYMOUS mechanism, client side. */
export class ANONYMOUS extends NamedMechanism<'ANONYMOUS'> {
  readonly #traceToken: string;

  /**
   * @param traceToken - an email address or free text the server may log
   *   (RFC 4505); may be empty
   * @throws {@link SASLFailure} when the token breaks the trace profile
   */
  constructor(traceToken: string) {
    super('ANONYMOUS');
    this.#traceToken = checkTraceToken(traceToken);
  }

  /**
   * Send the trace token and expect success.
   *
   * @param sm - a fresh state machine
   */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    const [state] = await sm.initiate('ANONYMOUS', utf8Encode(this.#traceToken));
    await requireSuccess(sm, state, 'ANONYMOUS');
  }
}
