// Connection identity (issue 7 item 5) over real loopback sockets: every
// hook (the authorizer, onExchangeEnd, the throttle) sees the peer's and the
// local address and port, the TLS version and the verified client
// certificate's identity, on IMAP, SMTP and XMPP after STARTTLS; and one
// failed-login limit per connection (SASLServerOptions.maxAuthFailures) on
// all three protocols.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRAM } from '../src/index.js';
import { base64Encode } from '../src/mechanism.js';
import {
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  defaultAuthorizer,
  scramServerMechanisms,
  type LoginThrottle,
  type ServerConnection,
} from '../src/server/index.js';
import { ImapClientSession } from '../src/node/imap/client.js';
import { connectSmtp, connectXmpp, startImapServer, startSmtpServer, startXmppServer, type RunningServer } from '../src/node/index.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';
import { describeWithPeers } from './helpers/peers.js';

const DOMAIN = 'example.test';

type Seen = { hook: string; connection: ServerConnection };

describeWithPeers('connection identity seen by every hook (loopback, STARTTLS, client certificate)', ['openssl'], () => {
  let dir: string;
  let serverCert: TestCert;
  let alice: TestCert;
  const seen: Seen[] = [];
  const servers: Record<'imap' | 'smtp' | 'xmpp', RunningServer> = {} as never;

  beforeAll(async () => {
    dir = makeTempDir('saslkit-identity-');
    serverCert = generateCert(dir, 'rsa-sha256');
    alice = generateCert(dir, 'ecdsa-p256-sha256', 'alice');
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'] });
    const throttle: LoginThrottle = {
      check: (a) => (seen.push({ hook: 'throttle', connection: a.connection }), { action: 'allow' }),
      failed: (a) => (seen.push({ hook: 'throttle', connection: a.connection }), { action: 'allow' }),
    };
    const sasl = new SASLServer({
      mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'], plus: false }), new PLAINServer()],
      credentials,
      throttle,
      authorize: (request) => (seen.push({ hook: 'authorize', connection: request.connection }), defaultAuthorizer(request)),
      onExchangeEnd: (end) => seen.push({ hook: 'onExchangeEnd', connection: end.connection }),
    });
    const tls = { key: serverCert.key, cert: serverCert.cert, ca: [alice.cert], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' as const };
    servers.imap = await startImapServer({ sasl, tls, readTimeoutMs: 10_000 });
    servers.smtp = await startSmtpServer({ sasl, tls, readTimeoutMs: 10_000 });
    servers.xmpp = await startXmppServer({ sasl, tls, domain: DOMAIN, readTimeoutMs: 10_000 });
  }, 30_000);

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s?.close()));
    removeDir(dir);
  });

  const clientTls = () => ({ ca: serverCert.cert, servername: 'localhost', key: alice.key, cert: alice.cert });

  const logins: Record<'imap' | 'smtp' | 'xmpp', () => Promise<void>> = {
    imap: async () => {
      const s = await ImapClientSession.connect({ host: '127.0.0.1', port: servers.imap.port, security: 'starttls', tls: clientTls(), readTimeoutMs: 10_000 });
      try {
        expect(await s.authenticate([new SCRAM(() => ['user', 'pencil'], { hashes: ['SHA-256'] })])).toBe('SCRAM-SHA-256');
      } finally {
        await s.logout();
      }
    },
    smtp: async () => {
      const c = await connectSmtp({ host: '127.0.0.1', port: servers.smtp.port, tls: clientTls(), readTimeoutMs: 10_000 });
      try {
        expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'], { hashes: ['SHA-256'] })])).toBe('SCRAM-SHA-256');
      } finally {
        await c.quit();
      }
    },
    xmpp: async () => {
      const c = await connectXmpp({ host: '127.0.0.1', port: servers.xmpp.port, domain: DOMAIN, tls: clientTls(), readTimeoutMs: 10_000 });
      try {
        expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'], { hashes: ['SHA-256'] })])).toBe('SCRAM-SHA-256');
      } finally {
        c.close();
      }
    },
  };

  it('implicit TLS 1.2 without a client certificate: tlsVersion TLSv1.2, no certificate identity', async () => {
    const sasl = new SASLServer({
      mechanisms: scramServerMechanisms({ hashes: ['SHA-256'], plus: false }),
      credentials: await (async () => {
        const c = new MemoryCredentialStore();
        await c.addUser('user', 'pencil', { hashes: ['SHA-256'] });
        return c;
      })(),
      throttle: null,
      onExchangeEnd: (end) => seen.push({ hook: 'onExchangeEnd', connection: end.connection }),
    });
    const tls12 = await startImapServer({ sasl, tls: { key: serverCert.key, cert: serverCert.cert, maxVersion: 'TLSv1.2' }, implicitTLS: true, readTimeoutMs: 10_000 });
    try {
      seen.length = 0;
      const s = await ImapClientSession.connect({ host: '127.0.0.1', port: tls12.port, security: 'implicit', tls: { ca: serverCert.cert, servername: 'localhost' }, readTimeoutMs: 10_000 });
      try {
        await s.authenticate([new SCRAM(() => ['user', 'pencil'], { hashes: ['SHA-256'] })]);
      } finally {
        await s.logout();
      }
      expect(seen[0]?.connection).toMatchObject({ secure: true, peerAddress: '127.0.0.1', localPort: tls12.port, tlsVersion: 'TLSv1.2', clientCertificateIdentity: null });
    } finally {
      await tls12.close();
    }
  });

  for (const protocol of ['imap', 'smtp', 'xmpp'] as const) {
    it(`${protocol.toUpperCase()}: the authorizer, onExchangeEnd and the throttle see addresses, ports, TLS version and certificate identity`, async () => {
      seen.length = 0;
      await logins[protocol]();
      expect(seen.map((s) => s.hook).sort()).toEqual(['authorize', 'onExchangeEnd', 'throttle', 'throttle']);
      for (const { connection } of seen) {
        expect(connection).toMatchObject({
          secure: true,
          peerAddress: '127.0.0.1',
          localAddress: '127.0.0.1',
          localPort: servers[protocol].port,
          tlsVersion: 'TLSv1.3',
          clientCertificateIdentity: 'alice',
        });
        expect(connection.peerPort).toBeGreaterThan(0);
        expect(connection.peerPort).not.toBe(servers[protocol].port);
      }
    });
  }
});

/** A raw loopback client: send lines, wait for text. */
async function rawClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  const waitFor = async (pattern: RegExp, ms = 15_000): Promise<string> => {
    const deadline = Date.now() + ms;
    while (!pattern.test(text)) {
      if (closed || Date.now() > deadline) throw new Error(`no ${pattern} in ${JSON.stringify(text.slice(-300))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return text;
  };
  const waitClosed = async (ms = 15_000): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return closed;
  };
  return { send: (s: string) => socket.write(s), waitFor, waitClosed, text: () => text, destroy: () => socket.destroy() };
}

const count = (text: string, pattern: RegExp): number => (text.match(new RegExp(pattern.source, 'gm')) ?? []).length;

describe('one failed-login limit per connection on IMAP, SMTP and XMPP (SASLServerOptions.maxAuthFailures)', () => {
  let imap: RunningServer;
  let smtp: RunningServer;
  let xmpp: RunningServer;
  const wrong = base64Encode(new TextEncoder().encode('\0user\0wrong'));

  beforeAll(async () => {
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'] });
    const sasl = new SASLServer({ mechanisms: [new PLAINServer()], credentials, allowInsecurePlaintext: true, throttle: null, maxAuthFailures: 2 });
    imap = await startImapServer({ sasl, readTimeoutMs: 10_000 });
    smtp = await startSmtpServer({ sasl, readTimeoutMs: 10_000 });
    xmpp = await startXmppServer({ sasl, domain: DOMAIN, readTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    await Promise.all([imap?.close(), smtp?.close(), xmpp?.close()]);
  });

  it('IMAP closes with BYE after the second failed login', async () => {
    const c = await rawClient(imap.port);
    try {
      await c.waitFor(/^\* OK/m);
      c.send(`a1 AUTHENTICATE PLAIN ${wrong}\r\n`);
      await c.waitFor(/^a1 NO/m);
      c.send(`a2 AUTHENTICATE PLAIN ${wrong}\r\n`);
      await c.waitFor(/^\* BYE Too many authentication failures/m);
      expect(await c.waitClosed()).toBe(true);
    } finally {
      c.destroy();
    }
  });

  it('SMTP closes with 421 after the second failed login (it allowed 20 before)', async () => {
    const c = await rawClient(smtp.port);
    try {
      await c.waitFor(/^220 /m);
      c.send('EHLO client.test\r\n');
      await c.waitFor(/^250 /m);
      c.send(`AUTH PLAIN ${wrong}\r\n`);
      await c.waitFor(/^535 /m);
      c.send(`AUTH PLAIN ${wrong}\r\n`);
      const text = await c.waitFor(/^421 4\.7\.0 Too many authentication failures/m);
      expect(count(text, /^535 /m)).toBe(2);
      expect(await c.waitClosed()).toBe(true);
    } finally {
      c.destroy();
    }
  });

  it('XMPP closes the stream with policy-violation after the second failed login', async () => {
    const c = await rawClient(xmpp.port);
    try {
      c.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${DOMAIN}' version='1.0'>`);
      await c.waitFor(/<\/stream:features>/);
      const auth = `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${wrong}</auth>`;
      c.send(auth);
      await c.waitFor(/<not-authorized\/>[\s\S]*<\/failure>/);
      c.send(auth);
      const text = await c.waitFor(/policy-violation/);
      expect(count(text, /<failure /)).toBe(2);
      expect(await c.waitClosed()).toBe(true);
    } finally {
      c.destroy();
    }
  });
});
