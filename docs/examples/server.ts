/**
 * The examples of docs/server.md ("Running a SASL server"). The guide quotes
 * the regions below verbatim; test/server-docs.test.ts checks the quotes and
 * runs the code.
 */
// #region setup
import {
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  scramServerMechanisms,
} from '../../src/server/index.js';

export async function createServer(secret: Uint8Array): Promise<SASLServer> {
  const credentials = new MemoryCredentialStore();
  // Derives and keeps salt, iterations, StoredKey and ServerKey per hash: never the password.
  await credentials.addUser('alice', 'correct horse', { hashes: ['SHA-256'] });
  // A verifier migrated from PostgreSQL (pg_authid.rolpassword) for user/pencil.
  credentials.addCredentials(
    'bob',
    'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
  );
  return new SASLServer({
    // Advertise only hashes every user has a verifier for: clients pick the strongest offered.
    mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'] }), new PLAINServer()],
    credentials,
    secret, // 32 bytes kept stable across restarts: see "The enumeration defence"
  });
}
// #endregion setup

// #region exchange
import type { AuthOutcome, ServerConnection, ServerFailure } from '../../src/server/index.js';

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

// #region store
import { parseScramCredential, type CredentialStore, type ScramCredential } from '../../src/server/index.js';

/** A store over rows of text verifiers, as a database or a Dovecot passwd-file would give them. */
export class TextVerifierStore implements CredentialStore {
  readonly #rows: ReadonlyMap<string, readonly string[]>;

  constructor(rows: ReadonlyMap<string, readonly string[]>) {
    this.#rows = rows;
  }

  async scramCredentials(username: string): Promise<readonly ScramCredential[] | null> {
    const row = this.#rows.get(username); // e.g. SELECT verifier FROM users WHERE name = $1
    // Both forms read: SCRAM-SHA-256$... (RFC 5803, PostgreSQL) and {SCRAM-SHA-256}... (Dovecot, gsasl).
    return row ? row.map(parseScramCredential) : null;
  }
}
// #endregion store

// #region authorize
import { SASLFailure } from '../../src/index.js';
import type { Authorizer } from '../../src/server/index.js';

const ADMINS = new Set(['alice']);
const DISABLED = new Set(['mallory']);

export const authorize: Authorizer = ({ authcid, authzidIsSelf }) => {
  // Runs only once the credentials were proven, so refusing here reveals nothing to a guesser.
  if (authcid !== null && DISABLED.has(authcid)) throw new SASLFailure('account-disabled');
  const admin = authcid !== null && ADMINS.has(authcid);
  // An admin may act as anyone; everyone else only as themselves (false gives invalid-authzid).
  if (!authzidIsSelf && !admin) return false;
  return { claims: { admin } };
};
// #endregion authorize

// #region loopback
import { SCRAM, authenticate } from '../../src/index.js';
import { LoopbackInterface } from '../../src/server/index.js';

export async function loginInProcess(server: SASLServer): Promise<AuthOutcome | null> {
  const connection: ServerConnection = { secure: true };
  const intf = new LoopbackInterface(server, connection, { initialResponse: false });
  await authenticate(intf, server.advertise(connection), [new SCRAM(() => ['bob', 'pencil'])]);
  return intf.outcome; // { mechanism: 'SCRAM-SHA-256', authcid: 'bob', authzid: 'bob', ... }
}
// #endregion loopback

// #region external
import { EXTERNALServer } from '../../src/server/index.js';
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
