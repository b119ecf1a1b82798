/**
 * EXTERNAL (RFC 4422 Appendix A): the client is authenticated by something
 * outside SASL — a TLS client certificate, an IPsec association, the peer
 * credentials of a Unix socket — and SASL only carries which identity to act
 * as.
 *
 * The exchange, client view (RFC 4422 §A.1):
 *
 * 1. the client sends its authorization identity as the initial response,
 *    UTF-8 encoded; an empty response asks for the identity the external
 *    credentials already name;
 * 2. the server answers with success or failure.
 *
 * @module
 */
import { utf8Encode } from '../src/core/bytes.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { NamedMechanism } from '../src/core/mechanism.js';
import type { SASLStateMachine } from '../src/core/state-machine.js';

/** Options of {@link EXTERNAL}. */
export interface EXTERNALOptions {
  /**
   * Authorization identity to act as; default none (an empty initial
   * response: act as whoever the external credentials name).
   */
  readonly authzid?: string | null;
}

/**
 * The EXTERNAL mechanism, client side.
 *
 * A failure is reported as a plain {@link SASLFailure}, never promoted to an
 * {@link AuthenticationFailure}: the server refusing the external credentials
 * (a certificate, say) says nothing about a password, so the negotiation loop
 * may go on to a password mechanism.
 */
export class EXTERNAL extends NamedMechanism<'EXTERNAL'> {
  readonly #authzid: string;

  /**
   * Configure EXTERNAL.
   *
   * @param options - see {@link EXTERNALOptions}
   * @throws {@link SASLError} when the authzid is not a string or holds NUL
   */
  constructor(options: EXTERNALOptions = {}) {
    super('EXTERNAL');
    const authzid = options.authzid ?? '';
    if (typeof authzid !== 'string') throw new SASLError(null, 'invalid argument', 'EXTERNAL: authzid must be a string');
    // RFC 4422 §A.1: the message is a UTF-8 string; NUL ends strings in many
    // servers, so it could smuggle an identity past a check.
    if (authzid.includes('\0')) throw new SASLError(null, 'invalid argument', 'EXTERNAL: authzid must not contain NUL');
    utf8Encode(authzid); // refuses lone surrogates now rather than mid-exchange
    this.#authzid = authzid;
  }

  /**
   * Send the authzid (possibly empty) as the initial response and expect
   * success.
   *
   * @param sm - a fresh state machine
   */
  override async authenticate(sm: SASLStateMachine): Promise<void> {
    // Always an initial response, empty or not (never null): RFC 4422 §A.1.
    await sm.initiate('EXTERNAL', utf8Encode(this.#authzid));
  }
}
