/**
 * The "Driving an exchange" example of docs/server.md, in a file
 * of its own so that the quoted region holds every import it needs.
 * test/server-docs.test.ts checks the quote and runs the code.
 */
// #region exchange
import type { AuthOutcome, SASLServer, ServerConnection, ServerFailure } from '../../src/server/index.js';

/** What a protocol adapter provides: its wire form of challenges and responses. */
export interface ChallengeChannel {
  /** Send a challenge (IMAP `+ <base64>`, SMTP `334 <base64>`, XMPP `<challenge/>`). */
  sendChallenge(data: Uint8Array): Promise<void>;
  /** The client's next response, or `null` when it cancelled (`*`, `<abort/>`). */
  readResponse(): Promise<Uint8Array | null>;
}

export async function runExchange(
  server: SASLServer,
  connection: ServerConnection,
  mechanism: string,
  initialResponse: Uint8Array | null,
  channel: ChallengeChannel,
): Promise<AuthOutcome | ServerFailure> {
  // IMAP and SMTP cannot carry data with success: send SCRAM's v= as a last challenge.
  const exchange = server.start(mechanism, connection, { successData: 'challenge' });
  let result = await exchange.step(initialResponse);
  while (result.kind === 'challenge') {
    await channel.sendChallenge(result.data);
    const response = await channel.readResponse();
    result = response === null ? exchange.abort() : await exchange.step(response);
  }
  return result.kind === 'success' ? result.outcome : result;
}
// #endregion exchange
