// saslkit IMAP client → Dovecot 2.3 (a real IMAP server), over STARTTLS and
// implicit TLS. Dovecot runs as our own instance: config, sockets, logs, TLS
// key and password file all in a temp dir, listeners on free 127.0.0.1 ports;
// the system-wide service is never touched. Dovecot 2.3 has no -PLUS
// mechanisms, so channel binding is not exercised here.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SCRAM, SCRAMPLUS, type HashName, type SASLMechanism } from '../src/index.js';
import { ImapClientSession } from '../src/node/imap/client.js';
import type { ConnectionSecurity } from '../src/node/transport/connect.js';
import { doveadmScramVerifier, failingAddresses, startDovecot, type RunningDovecot } from './helpers/dovecot.js';
import { describeWithPeers } from './helpers/peers.js';

const USERS = {
  ascii: { user: 'alice', password: 'correct horse battery staple' },
  // NFC-normalized, so SASLprep leaves it unchanged: Dovecot does not apply
  // SASLprep itself, and the SCRAM keys must agree.
  nonAscii: { user: 'bob', password: 'pässwörd-ünïcødé-密码' },
  // Stored as a SCRAM-SHA-256 verifier (doveadm pw), not as plaintext.
  scramStored: { user: 'carol', password: 'çarol-sécret' },
  // Only ever given wrong passwords.
  victim: { user: 'dave', password: 'dave-real-password' },
} as const;

describeWithPeers('interop: saslkit IMAP client → Dovecot', ['dovecot', 'doveadm'], () => {
  let dovecot: RunningDovecot | null = null;

  beforeAll(async () => {
    dovecot = await startDovecot({
      users: [
        [USERS.ascii.user, `{PLAIN}${USERS.ascii.password}`],
        [USERS.nonAscii.user, `{PLAIN}${USERS.nonAscii.password}`],
        [USERS.scramStored.user, doveadmScramVerifier(USERS.scramStored.password)],
        [USERS.victim.user, `{PLAIN}${USERS.victim.password}`],
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await dovecot?.stop();
  }, 20_000);

  // Failing logins come from another loopback address each (Dovecot's auth penalty).
  const nextFailingAddress = failingAddresses();
  async function connect(security: ConnectionSecurity, localAddress = '127.0.0.1'): Promise<ImapClientSession> {
    return ImapClientSession.connect({
      localAddress,
      host: '127.0.0.1',
      port: security === 'implicit' ? dovecot!.imapsPort : dovecot!.imapPort,
      security,
      tls: { ca: dovecot!.cert.cert, servername: 'localhost' },
      readTimeoutMs: 10_000,
    });
  }

  const mechanismFor = (mech: string, user: string, password: string): SASLMechanism<unknown> => {
    const creds = (): readonly [string, string] => [user, password];
    if (mech === 'PLAIN') return new PLAIN(creds);
    const hash = mech.slice('SCRAM-'.length) as HashName;
    return new SCRAM(creds, { hashes: [hash] });
  };

  const securities: ConnectionSecurity[] = ['starttls', 'implicit'];
  const mechanisms = ['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'];
  const accounts = [USERS.ascii, USERS.nonAscii];

  for (const security of securities) {
    for (const mech of mechanisms) {
      for (const account of accounts) {
        it(`${security}: ${mech} succeeds for ${account.user} (${account === USERS.ascii ? 'ASCII' : 'non-ASCII'} password)`, async () => {
          const session = await connect(security);
          try {
            expect(session.tlsSocket).not.toBeNull();
            expect(session.capabilities.saslMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256']);
            const used = await session.authenticate([mechanismFor(mech, account.user, account.password)]);
            expect(used).toBe(mech);
            expect(session.authenticated).toBe(true);
            // capabilities were refreshed after login: no more AUTH= entries
            expect(session.capabilities.saslMechanisms).toEqual([]);
            expect(session.capabilities.has('IMAP4rev1')).toBe(true);
          } finally {
            await session.logout();
          }
        });
      }
      it(`${security}: ${mech} with a wrong password is an AuthenticationFailure`, async () => {
        const session = await connect(security, nextFailingAddress());
        try {
          const err = await session.authenticate([mechanismFor(mech, USERS.victim.user, 'wrong password')]).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(AuthenticationFailure);
          expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
          expect(session.authenticated).toBe(false);
        } finally {
          await session.logout();
        }
      });
    }
  }

  it('a SCRAM-SHA-256 verifier stored by doveadm pw: SCRAM-SHA-256 and PLAIN succeed', async () => {
    for (const mech of ['SCRAM-SHA-256', 'PLAIN']) {
      const session = await connect('starttls');
      try {
        expect(await session.authenticate([mechanismFor(mech, USERS.scramStored.user, USERS.scramStored.password)])).toBe(mech);
      } finally {
        await session.logout();
      }
    }
  });

  it('negotiation: SCRAM-PLUS is skipped (Dovecot 2.3 offers no -PLUS), SCRAM-SHA-256 is chosen over PLAIN', async () => {
    const session = await connect('implicit');
    try {
      const creds = (): readonly [string, string] => [USERS.ascii.user, USERS.ascii.password];
      const cb = session.channelBinding({ policy: 'require' })!;
      const used = await session.authenticate([new SCRAMPLUS(creds, cb), new SCRAM(creds, { afterScramPlus: true }), new PLAIN(creds)]);
      expect(used).toBe('SCRAM-SHA-256');
    } finally {
      await session.logout();
    }
  });

  it('an unknown user is refused with not-authorized (Dovecot refuses it at client-first, before any proof)', async () => {
    const session = await connect('starttls', nextFailingAddress());
    try {
      const err = await session.authenticate([mechanismFor('SCRAM-SHA-256', 'nobody-here', 'x')]).catch((e: unknown) => e);
      // A refusal of the user name is a verdict on the credentials: saslkit
      // promotes it, so the loop does not retry them with another mechanism.
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    } finally {
      await session.logout();
    }
  });

  it('Dovecot logged our logins', () => {
    const log = readFileSync(dovecot!.logPath, 'utf8');
    expect(log).toMatch(/Login: user=<alice>, method=SCRAM-SHA-256/);
    expect(log).toMatch(/Login: user=<bob>, method=SCRAM-SHA-1/);
  });
});
