// The gsasl base64-line adapter in use, as docs/protocol-adapter.md shows it
// ("Second worked example"). test/interop-gsasl.test.ts runs both functions
// against the real gsasl.
import { PLAIN, SCRAM, authenticate, type CredentialProvider } from '../../src/index.js';
import { ChildProcessLineTransport } from '../../src/node/index.js';
import { GsaslDiagnostics, LinesSASLInterface, serveLines, type LinesServerResult } from '../../src/gsasl.js';
import type { SASLServer } from '../../src/server/index.js';

/**
 * Log in to a `gsasl --server` that holds `serverPassword`, with SCRAM or PLAIN.
 *
 * @returns the mechanism used; throws `AuthenticationFailure` for a wrong password
 */
export async function loginToGsasl(credentials: CredentialProvider, serverPassword: string): Promise<string> {
  // --no-cb: no TLS here, and gsasl would otherwise ask for channel bindings on stdin.
  const gsasl = ChildProcessLineTransport.spawn('gsasl', ['--server', '--password', serverPassword, '--no-cb']);
  try {
    const status = new GsaslDiagnostics(gsasl.diagnostics); // gsasl's stderr
    const intf = new LinesSASLInterface(gsasl, status, { sendMechanism: true });
    return await authenticate(intf, ['SCRAM-SHA-256', 'PLAIN'], [new SCRAM(credentials), new PLAIN(credentials)]);
  } finally {
    await gsasl.stop(); // close its stdin, wait, kill if need be
  }
}

/**
 * Let `gsasl --client` authenticate against `server`. `args` are gsasl's
 * credentials (`-a user -p password`) but no `--mechanism`: gsasl picks one
 * from the list the server offers.
 */
export async function serveGsaslClient(server: SASLServer, args: readonly string[]): Promise<LinesServerResult> {
  const gsasl = ChildProcessLineTransport.spawn('gsasl', ['--client', ...args, '--no-cb']);
  try {
    const connection = { secure: true }; // a local pipe: nobody in the middle
    return await serveLines(gsasl, (mechanism) => server.start(mechanism, connection), {
      offer: server.advertise(connection),
    });
  } finally {
    await gsasl.stop();
  }
}
