/**
 * One SASL negotiation on the receiving entity's side of an XMPP stream
 * (RFC 6120 §6.4): the part an XMPP server library embeds in its own stream
 * handling. The library reads the client's `<auth/>` element, calls
 * {@link serveXmppAuth} with it, and on success restarts the stream itself
 * (RFC 6120 §6.4.6); saslkit's own demo server ({@link XmppServerSession})
 * does exactly that.
 *
 * @module
 */
import { isSASLCondition } from '../../core/conditions.js';
import { SASLError } from '../../core/errors.js';
import type { ServerExchange, ServerResult } from '../../server/exchange.js';
import type { ServerConnection } from '../../server/mechanism.js';
import type { SASLServer } from '../../server/server.js';
import type { AuthCommandFailure, AuthCommandSuccess } from '../auth-result.js';
import { isElement, type XmlElement } from './element.js';
import { XmppStreamError } from './errors.js';
import { xmppAuthzidOf } from './authzid.js';
import { NS_SASL, NS_STREAMS } from './namespaces.js';
import type { XmppElementTransport } from './transport.js';
import { decodeSaslPayload, failureElement, saslElement } from './wire.js';

/** What {@link serveXmppAuth} needs besides the transport and the `<auth/>` element. */
export interface XmppAuthRequest {
  /** The SASL server (mechanisms, credentials, policy). */
  readonly sasl: SASLServer;
  /** The connection as it is now (secure or not, its channel bindings, its identity). */
  readonly connection: ServerConnection;
  /**
   * The domain this server serves: an authzid that is the authenticated
   * user's own bare JID (`user@domain`) is the user's own identity
   * (RFC 6120 §6.3.8).
   */
  readonly domain: string;
}

/** How one SASL negotiation ended: success, or the `<failure/>` that was sent. */
export type XmppServeAuthResult = AuthCommandSuccess | AuthCommandFailure;

/**
 * Run one SASL negotiation (RFC 6120 §6.4.2–§6.4.6) for the client's
 * `<auth mechanism='...'>` element: `<challenge/>` out, `<response/>` or
 * `<abort/>` in, and `<success/>` (with additional data) or
 * `<failure/>` with its condition out. A malformed payload is answered with
 * `<failure><incorrect-encoding/></failure>` (or the decoder's condition),
 * an unexpected SASL element with `<malformed-request/>`.
 *
 * It neither restarts the stream after success nor counts failures: that is
 * the caller's stream, and the caller's policy.
 *
 * @param transport - the client's stream, positioned after `auth`
 * @param auth - the `<auth/>` element (namespace `urn:ietf:params:xml:ns:xmpp-sasl`)
 * @param request - the SASL server, the connection, the domain
 * @returns success with the outcome, or the failure that was sent
 * @throws {@link XmppStreamError} with condition `not-authorized` when a
 *   non-SASL element arrives during the negotiation (RFC 6120 §6.4.1: the
 *   stream must then end with that stream error); transport errors
 *   (connection gone, read timeout) after aborting the exchange
 */
export async function serveXmppAuth(transport: XmppElementTransport, auth: XmlElement, request: XmppAuthRequest): Promise<XmppServeAuthResult> {
  if (!isElement(auth, 'auth', NS_SASL)) throw new SASLError(null, 'invalid argument', 'serveXmppAuth needs the client\'s <auth/> element');
  const exchange = request.sasl.start(auth.attrs.mechanism ?? '', request.connection, { authzidOf: xmppAuthzidOf(request.domain) });
  try {
    let result = await step(exchange, auth, 'initial response');
    while (result.kind === 'challenge') {
      await transport.send(saslElement('challenge', result.data.length === 0 ? null : result.data));
      const next = await transport.receive();
      if (isElement(next, 'abort', NS_SASL)) {
        result = exchange.abort();
      } else if (isElement(next, 'response', NS_SASL)) {
        result = await step(exchange, next, 'response');
      } else if (next.xmlns === NS_STREAMS || next.xmlns !== NS_SASL) {
        exchange.abort();
        throw new XmppStreamError('not-authorized', `<${next.name.slice(0, 40)}/> during SASL negotiation`);
      } else {
        exchange.abort();
        result = { kind: 'failure', condition: 'malformed-request', text: `unexpected <${next.name.slice(0, 40)}/>`, data: null };
      }
    }
    if (result.kind === 'success') {
      await transport.send(saslElement('success', result.data));
      return { kind: 'success', outcome: result.outcome };
    }
    await transport.send(failureElement(result.condition, result.text));
    return { kind: 'failure', failure: result };
  } catch (err) {
    if (!exchange.done) exchange.abort();
    throw err;
  }
}

async function step(exchange: ServerExchange, el: XmlElement, what: string): Promise<ServerResult> {
  let payload: Uint8Array | null;
  try {
    payload = decodeSaslPayload(el, `SASL ${what}`);
  } catch (err) {
    exchange.abort();
    const condition = err instanceof SASLError && isSASLCondition(err.opaqueError) ? err.opaqueError : 'incorrect-encoding';
    return { kind: 'failure', condition, text: `the ${what} is malformed`, data: null };
  }
  // Only <auth/> can carry "no data"; an empty <response/> is an empty response.
  if (payload === null && el.name === 'response') payload = new Uint8Array(0);
  return exchange.step(payload);
}
