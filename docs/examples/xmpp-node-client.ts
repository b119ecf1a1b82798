/**
 * The Node client example of docs/xmpp.md. The guide quotes the region below
 * verbatim; test/xmpp-docs.test.ts checks the quote and runs the code
 * against a saslkit XMPP server on loopback.
 */
// #region node-client
import { SCRAM, SCRAMPLUS } from '../../src/index.js';
import { connectXmpp, type XmppClientConnection, type XmppConnectOptions } from '../../src/node/index.js';

/**
 * Connect (STARTTLS by default) and sign in, with SCRAM-PLUS when the
 * connection can bind to the channel, e.g.
 * `signInXmpp({ host: 'xmpp.example.test', port: 5222, domain: 'example.test' }, user, password)`.
 */
export async function signInXmpp(options: XmppConnectOptions, user: string, password: string): Promise<XmppClientConnection> {
  const conn = await connectXmpp(options);
  try {
    const cb = conn.channelBinding(); // by XEP-0440 if advertised, else tls-unique on TLS 1.2
    await conn.authenticate([
      ...(cb ? [new SCRAMPLUS(() => [user, password], cb)] : []),
      new SCRAM(() => [user, password]),
    ]);
    // conn.transport is the authenticated stream; conn.features holds <bind/>.
    return conn;
  } catch (err) {
    conn.close();
    throw err;
  }
}
// #endregion node-client
