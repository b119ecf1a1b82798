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

// #region store
import { parseScramVerifier, type CredentialStore, type ScramVerifier } from '../../src/server/index.js';

/** A store over rows of text verifiers, as a database or a Dovecot passwd-file would give them. */
export class TextVerifierStore implements CredentialStore {
  readonly #rows: ReadonlyMap<string, readonly string[]>;

  constructor(rows: ReadonlyMap<string, readonly string[]>) {
    this.#rows = rows;
  }

  async scramCredentials(username: string): Promise<readonly ScramVerifier[] | null> {
    const row = this.#rows.get(username); // e.g. SELECT verifier FROM users WHERE name = $1
    // Both forms read: SCRAM-SHA-256$... (RFC 5803, PostgreSQL) and {SCRAM-SHA-256}... (Dovecot, gsasl).
    return row ? row.map(parseScramVerifier) : null;
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

export { runExchange, type ChallengeChannel } from './server-exchange.js';
export { loginInProcess } from './server-loopback.js';
export { startCertificateServer } from './server-external.js';
