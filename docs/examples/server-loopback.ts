/**
 * The "Testing with the loopback interface" example of docs/server.md, in a file
 * of its own so that the quoted region holds every import it needs.
 * test/server-docs.test.ts checks the quote and runs the code.
 */
// #region loopback
import { SCRAM, authenticate } from '../../src/index.js';
import { LoopbackInterface, type AuthOutcome, type SASLServer, type ServerConnection } from '../../src/server/index.js';

export async function loginInProcess(server: SASLServer): Promise<AuthOutcome | null> {
  const connection: ServerConnection = { secure: true };
  const intf = new LoopbackInterface(server, connection, { initialResponse: false });
  await authenticate(intf, server.advertise(connection), [new SCRAM(() => ['bob', 'pencil'])]);
  return intf.outcome; // { mechanism: 'SCRAM-SHA-256', authcid: 'bob', authzid: 'bob', ... }
}
// #endregion loopback
