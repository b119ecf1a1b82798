/**
 * ANONYMOUS (RFC 4505): the client sends an optional trace token (an email
 * address or free text) and gets access as a guest.
 *
 * @module
 */
import { utf8Encode } from '../src/core/bytes.js';
import { SASLError, SASLFailure, localError } from '../src/core/errors.js';
import { NamedMechanism } from '../src/core/mechanism.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';
import { StringprepViolation, traceProfile } from '../src/core/stringprep.js';

/**
 * Check a trace token against RFC 4505's `trace` profile (§3, with the
 * exact RFC 3454 tables): at most 255 characters; none of C.2.1, C.2.2, C.3,
 * C.4, C.5, C.6, C.8, C.9; and the bidirectional rule of RFC 3454 §6 over
 * D.1 (RandALCat) and D.2 (LCat). So `"a\u061F"` (LCat with an Arabic
 * question mark, RandALCat) is refused and `"a\u0591"` (a Hebrew accent,
 * a non-spacing mark, not RandALCat) is accepted.
 *
 * @param token - the trace token (may be empty: it is optional)
 * @returns the token
 * @throws {@link SASLFailure} with condition `malformed-request` when it breaks the profile
 */
export function checkTraceToken(token: string): string {
  if (typeof token !== 'string') throw new SASLError(null, 'invalid argument', 'trace token must be a string');
  const chars = [...token];
  if (chars.length > 255) throw new SASLFailure('malformed-request', 'ANONYMOUS: trace token is longer than 255 characters (RFC 4505 §2)');
  try {
    return traceProfile(token);
  } catch (err) {
    if (err instanceof StringprepViolation && err.rule === 'bidi') {
      throw new SASLFailure('malformed-request', 'ANONYMOUS: trace token breaks the bidirectional-text rule (RFC 3454 §6)');
    }
    throw new SASLFailure('malformed-request', 'ANONYMOUS: trace token holds a character prohibited by the trace profile (RFC 4505 §3)');
  }
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
    try {
      this.#traceToken = checkTraceToken(traceToken);
    } catch (err) {
      throw localError(err); // raised here, in the client: no peer condition
    }
  }

  /**
   * Send the trace token and expect success.
   *
   * @param sm - a fresh state machine
   */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    await sm.initiate('ANONYMOUS', utf8Encode(this.#traceToken));
  }
}
