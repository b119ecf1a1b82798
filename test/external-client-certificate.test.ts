// SASL EXTERNAL over a verified TLS client certificate, end to end on real
// loopback sockets: saslkit IMAP client with a certificate → saslkit IMAP
// server that trusts it. The identity comes from the certificate, never
// from what the client claims.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTERNAL, SASLError, SASLFailure } from '../src/index.js';
import { EXTERNALServer, MemoryCredentialStore, SASLServer, scramServerMechanisms, type AuthOutcome } from '../src/server/index.js';
import { ImapClientSession } from '../src/node/imap/client.js';
import { startImapServer, type RunningImapServer } from '../src/node/imap/server.js';
import { clientCertificateIdentity } from '../src/node/tls/client-certificate.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';
import { describeWithPeers } from './helpers/peers.js';

describeWithPeers('EXTERNAL with TLS client certificates (IMAP over loopback)', ['openssl'], () => {
  let dir: string;
  let serverCert: TestCert;
  let alice: TestCert;
  let mallory: TestCert;
  let server: RunningImapServer;
  let implicitStrict: RunningImapServer;
  let starttlsStrict: RunningImapServer;
  const outcomes: AuthOutcome[] = [];

  beforeAll(async () => {
    dir = makeTempDir('saslkit-external-');
    serverCert = generateCert(dir, 'rsa-sha256');
    alice = generateCert(dir, 'ecdsa-p256-sha256', 'alice');
    // Same name, but a certificate the server does not trust.
    mallory = generateCert(dir, 'ecdsa-p384-sha384', 'alice');
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('bob', 'pencil', { hashes: ['SHA-256'] });
    const sasl = new SASLServer({ mechanisms: [new EXTERNALServer(), ...scramServerMechanisms({ hashes: ['SHA-256'], plus: false })], credentials });
    server = await startImapServer({
      sasl,
      // Ask for client certificates and trust exactly alice's; an untrusted
      // one still connects (rejectUnauthorized: false) but names nobody.
      tls: { key: serverCert.key, cert: serverCert.cert, ca: [alice.cert], requestCert: true, rejectUnauthorized: false },
      externalIdentity: (socket) => clientCertificateIdentity(socket),
      onAuthenticated: (o) => outcomes.push(o),
      readTimeoutMs: 10_000,
    });
    // Strict servers refuse any certificate they cannot verify, at the TLS layer.
    const strictTls = { key: serverCert.key, cert: serverCert.cert, ca: [alice.cert], requestCert: true, rejectUnauthorized: true };
    const common = { sasl, externalIdentity: (socket: import('node:tls').TLSSocket) => clientCertificateIdentity(socket), onAuthenticated: (o: AuthOutcome) => outcomes.push(o), readTimeoutMs: 10_000 };
    implicitStrict = await startImapServer({ ...common, tls: strictTls, implicitTLS: true });
    starttlsStrict = await startImapServer({ ...common, tls: strictTls });
  }, 30_000);

  afterAll(async () => {
    await Promise.all([server?.close(), implicitStrict?.close(), starttlsStrict?.close()]);
    removeDir(dir);
  });

  function connect(client: TestCert | null, target = server, security: 'starttls' | 'implicit' = 'starttls'): Promise<ImapClientSession> {
    return ImapClientSession.connect({
      host: '127.0.0.1',
      port: target.port,
      security,
      tls: { ca: serverCert.cert, servername: 'localhost', ...(client ? { key: client.key, cert: client.cert } : {}) },
      readTimeoutMs: 10_000,
    });
  }

  it('a trusted certificate: EXTERNAL is offered and authenticates as the certificate CN', async () => {
    const session = await connect(alice);
    try {
      expect(session.capabilities.saslMechanisms).toContain('EXTERNAL');
      expect(await session.authenticate([new EXTERNAL()])).toBe('EXTERNAL');
      expect(outcomes.at(-1)).toMatchObject({ mechanism: 'EXTERNAL', authcid: 'alice', authzid: 'alice' });
    } finally {
      await session.logout();
    }
  });

  it('asking to act as someone else is refused with invalid-authzid', async () => {
    const session = await connect(alice);
    try {
      const err = await session.authenticate([new EXTERNAL({ authzid: 'bob' })]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SASLFailure);
      expect((err as SASLFailure).opaqueError).toBe('invalid-authzid');
    } finally {
      await session.logout();
    }
  });

  it.each([
    ['an untrusted certificate with the same name', () => mallory],
    ['no certificate', () => null],
  ])('%s: EXTERNAL is not offered, and asking for it fails', async (_name, client) => {
    const session = await connect(client());
    try {
      expect(session.capabilities.saslMechanisms).not.toContain('EXTERNAL');
      expect(session.capabilities.saslMechanisms).toContain('SCRAM-SHA-256');
      const err = await session.authenticate([new EXTERNAL()]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SASLFailure);
    } finally {
      await session.logout();
    }
  });

  it('implicit TLS with rejectUnauthorized: the trusted certificate authenticates with EXTERNAL', async () => {
    const session = await connect(alice, implicitStrict, 'implicit');
    try {
      expect(await session.authenticate([new EXTERNAL()])).toBe('EXTERNAL');
      expect(outcomes.at(-1)).toMatchObject({ mechanism: 'EXTERNAL', authcid: 'alice' });
    } finally {
      await session.logout();
    }
  });

  it('STARTTLS with rejectUnauthorized: trusted certificate works, an untrusted one never gets a session', async () => {
    const session = await connect(alice, starttlsStrict);
    try {
      expect(await session.authenticate([new EXTERNAL()])).toBe('EXTERNAL');
    } finally {
      await session.logout();
    }
    const refused = await connect(mallory, starttlsStrict).then(
      async (s) => {
        await s.logout();
        return null;
      },
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(SASLError);
  });
});

// What no real handshake here can produce (a CN with a line break, a
// repeated CN): a stand-in socket exercising only the certificate fields.
describe('clientCertificateIdentity on unusual certificates', () => {
  const socketWith = (authorized: boolean, subject: Record<string, string | string[]>) =>
    ({ encrypted: true, authorized, getPeerCertificate: () => ({ subject }) }) as unknown as import('node:tls').TLSSocket;

  it('names nobody unless the certificate was verified', () => {
    expect(clientCertificateIdentity(socketWith(false, { CN: 'alice' }))).toBeNull();
    expect(clientCertificateIdentity(socketWith(true, { CN: 'alice' }))).toBe('alice');
  });
  it('refuses control and format characters, and empty or oversize names', () => {
    for (const cn of ['ali\nce', 'ali\u202ece', '', 'a'.repeat(256)]) expect(clientCertificateIdentity(socketWith(true, { CN: cn }))).toBeNull();
  });
  it('takes the first of a repeated attribute, and another field on request', () => {
    expect(clientCertificateIdentity(socketWith(true, { CN: ['alice', 'mallory'] }))).toBe('alice');
    expect(clientCertificateIdentity(socketWith(true, { CN: 'Alice A.', emailAddress: 'alice@example.org' }), { field: 'emailAddress' })).toBe('alice@example.org');
    expect(clientCertificateIdentity(socketWith(true, { O: 'Example' }))).toBeNull();
  });
});
