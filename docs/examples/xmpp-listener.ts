/**
 * The listener example of docs/xmpp.md, in a file of its own so that the
 * quoted region holds every import it needs. test/xmpp-docs.test.ts checks
 * the quote.
 */
// #region listener
import { startXmppServer } from '../../src/node/index.js';
import type { AuthOutcome, SASLServer } from '../../src/server/index.js';

export async function listen(sasl: SASLServer, domain: string, key: string, cert: string, onLogin: (outcome: AuthOutcome) => void) {
  const server = await startXmppServer({
    sasl,
    domain,
    tls: { key, cert }, // STARTTLS, required
    onAuthenticated: async (outcome, _transport) => {
      onLogin(outcome); // then run your session over _transport
    },
  });
  return server; // server.port; server.close() stops it
}
// #endregion listener
