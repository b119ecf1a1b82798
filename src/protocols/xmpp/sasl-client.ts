/**
 * The client side of RFC 6120 §6: a {@link SASLInterface} over an XML stream.
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';
import { SASLInterface } from '../../core/interface.js';
import type { NextStateTuple } from '../../core/state.js';
import { toBytes, toBytesOrNull } from '../../core/bytes.js';
import { isElement, xmlElement, type XmlElement } from './element.js';
import { XmppStreamError } from './errors.js';
import { NS_SASL } from './namespaces.js';
import type { XmppElementTransport } from './transport.js';
import { decodeSaslPayload, failureOf, saslElement, streamErrorOf } from './wire.js';
import { isMechanismName } from '../../core/mechanism-name.js';


/**
 * SASL over an XMPP stream (RFC 6120 §6.4), for the initiating entity:
 *
 * - `initiate` sends `<auth mechanism='…'>` with the initial response in
 *   base64, `=` for an empty one, and no text for none;
 * - `<challenge/>` becomes `['challenge', data]`; `respond` sends `<response/>`;
 * - `<success/>` becomes `['success', data]` with its additional data
 *   (`null` when it carries none; the state machine shows SCRAM's `v=` to
 *   the mechanism);
 * - `<failure/>` is thrown as a `SASLFailure` whose `opaqueError` is the
 *   condition element's name (`not-authorized`, ...) and whose text is the
 *   optional `<text/>`;
 * - `abort` sends `<abort/>` and waits for the server's `<failure/>`.
 *
 * A `<stream:error/>`, a broken stream or an unexpected element is an
 * {@link XmppStreamError}. When a challenge cannot be decoded the exchange
 * is aborted before the error is reported.
 *
 * After success, RFC 6120 §6.4.6 requires a stream restart; that is the
 * caller's job ({@link authenticateXmpp} does it).
 */
export class XmppSASLInterface extends SASLInterface {
  readonly #transport: XmppElementTransport;
  #inExchange = false;

  /**
   * Create the interface over a stream whose features offered SASL.
   *
   * @param transport - the stream to exchange SASL elements over
   */
  constructor(transport: XmppElementTransport) {
    super();
    this.#transport = transport;
  }

  /** Whether the stream is secure: the transport's `secure` flag (TLS, or a `wss:` WebSocket). */
  override get secure(): boolean {
    return this.#transport.secure === true;
  }

  /**
   * Send `<auth/>`.
   *
   * @param mechanism - the mechanism name
   * @param payload - the initial response (`null` for none; empty is sent as `=`)
   */
  override async initiate(mechanism: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    if (!isMechanismName(mechanism)) {
      throw new SASLError(null, 'invalid argument', 'not a valid SASL mechanism name');
    }
    const ir = toBytesOrNull(payload, 'initial response');
    if (this.#inExchange) throw new SASLError(null, 'invalid state', 'a SASL exchange is already in progress');
    this.#inExchange = true;
    return this.#exchange(saslElement('auth', ir, { mechanism }));
  }

  /**
   * Send `<response/>` (no text for an empty response).
   *
   * @param payload - the response
   */
  override async respond(payload: Uint8Array): Promise<NextStateTuple> {
    const data = toBytes(payload, 'response');
    if (!this.#inExchange) throw new SASLError(null, 'invalid state', 'no SASL exchange in progress');
    return this.#exchange(saslElement('response', data.length === 0 ? null : data));
  }

  /** Send `<abort/>`; resolves to `['failure', null]` once the server answered with `<failure/>`. */
  override async abort(): Promise<NextStateTuple> {
    if (!this.#inExchange) return ['failure', null];
    this.#inExchange = false;
    await this.#transport.send(xmlElement('abort', NS_SASL));
    const reply = await this.#transport.receive();
    const streamError = streamErrorOf(reply);
    if (streamError) throw streamError;
    if (isElement(reply, 'failure', NS_SASL)) return ['failure', null];
    throw new XmppStreamError(null, `the server answered <abort/> with <${reply.name.slice(0, 40)}/>`);
  }

  async #exchange(out: XmlElement): Promise<NextStateTuple> {
    let reply: XmlElement;
    try {
      await this.#transport.send(out);
      reply = await this.#transport.receive();
    } catch (err) {
      this.#inExchange = false;
      throw err;
    }
    return this.#handle(reply);
  }

  async #handle(reply: XmlElement): Promise<NextStateTuple> {
    const streamError = streamErrorOf(reply);
    if (streamError || reply.xmlns !== NS_SASL) {
      this.#inExchange = false;
      throw streamError ?? new XmppStreamError(null, `unexpected <${reply.name.slice(0, 40)}/> during SASL negotiation`);
    }
    switch (reply.name) {
      case 'challenge': {
        let data: Uint8Array | null;
        try {
          data = decodeSaslPayload(reply, 'SASL challenge', { spaced: true });
        } catch (err) {
          // The server still waits for an answer: cancel before reporting.
          await this.#abortQuietly();
          throw err;
        }
        return ['challenge', data ?? new Uint8Array(0)];
      }
      case 'success': {
        this.#inExchange = false;
        return ['success', decodeSaslPayload(reply, 'SASL success data', { spaced: true })];
      }
      case 'failure':
        this.#inExchange = false;
        throw failureOf(reply);
      default:
        this.#inExchange = false;
        throw new XmppStreamError(null, `unexpected <${reply.name.slice(0, 40)}/> during SASL negotiation`);
    }
  }

  async #abortQuietly(): Promise<void> {
    try {
      await this.abort();
    } catch {
      // the original error is the one worth reporting
    }
  }
}
