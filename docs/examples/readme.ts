/**
 * The README's example, compiled and run by test/docs-examples.test.ts.
 */
// #region readme
import { PLAIN, SCRAM, authenticate, type LineTransport } from '../../src/index.js';
import { ToyLineInterface } from './line-protocol.js';

/**
 * Sign in with SCRAM-SHA-256, or PLAIN if the server does not offer SCRAM
 * (or SCRAM fails for a reason other than refused credentials).
 * Resolves with the mechanism used; rejects with an AuthenticationFailure
 * when the credentials are refused.
 */
export async function signIn(transport: LineTransport, offered: readonly string[]): Promise<string> {
  // Asked only once a mechanism has been chosen: a client may prompt here.
  const credentials = () => ['user', 'pencil'] as const;
  return authenticate(new ToyLineInterface(transport), offered, [
    new SCRAM(credentials, { hashes: ['SHA-256'] }),
    new PLAIN(credentials),
  ]);
}
// #endregion readme
