/**
 * The browser example of docs/xmpp.md: XMPP over WebSocket (RFC 7395). The
 * guide quotes the region below verbatim; test/xmpp-docs.test.ts checks the
 * quote and runs the code over an in-memory WebSocket pair.
 */
// #region websocket
import { SCRAM, PLAIN } from '../../src/index.js';
import { webSocketXmppTransport, clientStreamHeader, openClientStream, authenticateXmpp, type WebSocketLike } from '../../src/protocols/xmpp/index.js';

/** Open a WebSocket with the `xmpp` subprotocol, e.g. `wss://example.test/xmpp-websocket`. */
export function openXmppWebSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, 'xmpp');
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`cannot open ${url}`));
  });
}

/** Sign in over an open WebSocket; resolves once authenticated, with the stream's new features. */
export async function signInOverWebSocket(ws: WebSocketLike, domain: string, user: string, password: string) {
  const transport = webSocketXmppTransport(ws, { readTimeoutMs: 30_000 });
  const header = clientStreamHeader(domain);
  const features = await openClientStream(transport, header); // <open/> … <stream:features/>
  const { mechanism, features: afterAuth } = await authenticateXmpp(
    transport,
    features,
    [new SCRAM(() => [user, password]), new PLAIN(() => [user, password])],
    header,
  );
  // afterAuth holds <bind/>: continue with resource binding in your own code.
  return { transport, mechanism, features: afterAuth };
}
// #endregion websocket
