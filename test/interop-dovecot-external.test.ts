// saslkit's EXTERNAL client → a real Dovecot 2.3 that authenticates TLS
// client certificates (ssl_verify_client_cert, auth_ssl_username_from_cert):
// the identity is the certificate's CN, not anything the client claims.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuthenticationFailure, EXTERNAL, SASLFailure } from '../src/index.js';
import { ImapClientSession } from '../src/node/imap/client.js';
import { failingAddresses, startDovecot, type RunningDovecot } from './helpers/dovecot.js';
import { describeWithPeers } from './helpers/peers.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';

describeWithPeers('interop: saslkit EXTERNAL (TLS client certificate) → Dovecot', ['dovecot', 'openssl'], () => {
  let dir: string;
  let alice: TestCert;
  let stranger: TestCert;
  let dovecot: RunningDovecot;
  const nextFailingAddress = failingAddresses();

  beforeAll(async () => {
    dir = makeTempDir('saslkit-dovecot-external-');
    alice = generateCert(dir, 'ecdsa-p256-sha256', 'alice');
    stranger = generateCert(dir, 'ecdsa-p384-sha384', 'alice');
    dovecot = await startDovecot({
      // EXTERNAL users need no password in the passdb: the certificate is the credential.
      users: [['alice', '::::::nopassword']],
      mechanisms: 'external',
      extraConfig: () =>
        [
          `ssl_ca = <${alice.certPath}`,
          'ssl_verify_client_cert = yes',
          'ssl_require_crl = no',
          'auth_ssl_username_from_cert = yes',
          'ssl_cert_username_field = commonName',
        ].join('\n'),
    });
  }, 60_000);

  afterAll(async () => {
    await dovecot?.stop();
    removeDir(dir);
  });

  function connect(client: TestCert | null, localAddress?: string): Promise<ImapClientSession> {
    return ImapClientSession.connect({
      host: '127.0.0.1',
      port: dovecot.imapPort,
      security: 'starttls',
      tls: { ca: dovecot.cert.cert, servername: 'localhost', ...(client ? { key: client.key, cert: client.cert } : {}) },
      readTimeoutMs: 15_000,
      ...(localAddress ? { localAddress } : {}),
    });
  }

  it('a certificate Dovecot trusts logs in with EXTERNAL as its CN', async () => {
    const session = await connect(alice);
    try {
      expect(session.capabilities.saslMechanisms).toContain('EXTERNAL');
      expect(await session.authenticate([new EXTERNAL()])).toBe('EXTERNAL');
      expect(session.authenticated).toBe(true);
    } finally {
      await session.logout();
    }
  });

  it.each([
    ['without a certificate', () => null],
    ['with an untrusted certificate of the same name', () => stranger],
  ])('%s EXTERNAL is refused, as a SASLFailure (the password mechanisms may still be tried)', async (_what, client) => {
    const session = await connect(client(), nextFailingAddress());
    try {
      const err = await session.authenticate([new EXTERNAL()]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SASLFailure);
      expect(err).not.toBeInstanceOf(AuthenticationFailure);
      expect(session.authenticated).toBe(false);
    } finally {
      await session.logout();
    }
  });
});
