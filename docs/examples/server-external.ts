/**
 * The "EXTERNAL: TLS client certificates" example of docs/server.md, in a file
 * of its own so that the quoted region holds every import it needs.
 * test/server-docs.test.ts checks the quote and runs the code.
 */
// #region external
import { EXTERNALServer, SASLServer, scramServerMechanisms } from '../../src/server/index.js';
import { clientCertificateIdentity, startImapServer, type RunningServer } from '../../src/node/index.js';

export async function startCertificateServer(tlsFiles: { key: string; cert: string; clientCA: string }): Promise<RunningServer> {
  const sasl = new SASLServer({ mechanisms: [new EXTERNALServer(), ...scramServerMechanisms()] });
  return startImapServer({
    sasl,
    tls: { key: tlsFiles.key, cert: tlsFiles.cert, ca: [tlsFiles.clientCA], requestCert: true, rejectUnauthorized: false },
    // Only a certificate verified against `ca` names anybody (subject CN here).
    externalIdentity: (socket) => clientCertificateIdentity(socket),
  });
}
// #endregion external
