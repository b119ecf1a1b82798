/**
 * The server examples of docs/xmpp.md. The guide quotes the regions below
 * verbatim; test/xmpp-docs.test.ts checks the quotes and runs the code with
 * a saslkit XMPP client on loopback.
 */
// #region session
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { SASLServer, MemoryCredentialStore, PLAINServer, scramServerMechanisms, type ServerConnection } from '../../src/server/index.js';
import { XmppServerSession, SocketXmppTransport, serverConnectionOf, type XmppServerResult } from '../../src/node/index.js';

export async function createSasl(): Promise<SASLServer> {
  const credentials = new MemoryCredentialStore();
  await credentials.addUser('user', 'pencil');
  return new SASLServer({ mechanisms: [...scramServerMechanisms(), new PLAINServer()], credentials });
}

/** Run one accepted socket up to authentication (or use your own XmppStreamTransport). */
export async function serveXmppSocket(socket: Socket, sasl: SASLServer, domain: string, secureContext: SecureContext): Promise<XmppServerResult> {
  const transport = new SocketXmppTransport(socket, { readTimeoutMs: 60_000 });
  let connection: ServerConnection = serverConnectionOf(socket);
  const session = new XmppServerSession(transport, {
    sasl,
    domain,
    connection: () => connection, // asked again after STARTTLS
    startTLS: async () => { // omit over wss:, where TLS is the WebSocket's
      const tlsSocket = await transport.startTLS({ isServer: true, secureContext });
      connection = serverConnectionOf(tlsSocket); // saslkit/node: secure + channel bindings
    },
  });
  const result = await session.run();
  if (result.kind === 'authenticated') {
    // result.outcome: { mechanism, authcid, authzid, channelBinding, claims }
    // The client has restarted its stream and was offered <bind/>; carry on.
  }
  return result;
}
// #endregion session

export { listen } from './xmpp-listener.js';
