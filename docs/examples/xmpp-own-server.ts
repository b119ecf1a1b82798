/**
 * The "on a stream your server already runs" example of docs/xmpp.md. The
 * guide quotes the region below verbatim; test/protocol-seams.test.ts runs
 * serveXmppAuth the same way.
 */
// #region own-server
import { serveXmppAuth, type XmlElement, type XmppElementTransport } from '../../src/protocols/xmpp/index.js';
import type { AuthOutcome, SASLServer, ServerConnection } from '../../src/server/index.js';

export async function onAuthElement(stream: XmppElementTransport, auth: XmlElement, sasl: SASLServer, connection: ServerConnection): Promise<AuthOutcome | null> {
  const result = await serveXmppAuth(stream, auth, { sasl, connection, domain: 'example.org' });
  // <success/> or <failure/> has been sent; on success, restart the stream.
  return result.kind === 'success' ? result.outcome : null;
}
// #endregion own-server
