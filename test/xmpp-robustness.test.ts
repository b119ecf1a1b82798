// The saslkit XMPP server under hostile clients over real loopback sockets:
// garbage, entity bombs, huge and deep elements, invalid UTF-8, STARTTLS
// command injection and stalled clients each end that one connection with a
// clean stream error, while the server keeps serving everybody else.
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRAM } from '../src/index.js';
import { MemoryCredentialStore, PLAINServer, SASLServer, scramServerMechanisms } from '../src/server/index.js';
import { connectXmpp, startXmppServer, type RunningXmppServer } from '../src/node/index.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';
import { describeWithPeers } from './helpers/peers.js';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

let dir = '';
let cert: TestCert;
let server: RunningXmppServer;

// Every suite here needs test certificates, made with openssl.
describeWithPeers('XMPP server robustness over loopback TLS', ['openssl'], () => {
  beforeAll(async () => {
    dir = makeTempDir('saslkit-xmpp-robust-');
    cert = generateCert(dir, 'ecdsa-p256-sha256');
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'] });
    server = await startXmppServer({
      sasl: new SASLServer({ mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'] }), new PLAINServer()], credentials }),
      domain: 'localhost',
      tls: { key: cert.key, cert: cert.cert },
      // Long enough that a loaded CI machine does not drop the good clients.
      readTimeoutMs: 3000,
      maxElementSize: 8192,
      maxDepth: 16,
    });
  });

  afterAll(async () => {
    await server?.close();
    removeDir(dir);
  });

  /** Send `chunks` over a raw socket and collect everything until the server closes (bounded by a timeout). */
  function raw(chunks: readonly (string | Buffer)[], timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      let received = 0;
      const s = netConnect({ host: '127.0.0.1', port: server.port }, () => {
        for (const c of chunks) {
          if (!s.writable) break;
          s.write(c);
        }
      });
      const done = (closed: boolean): void => {
        clearTimeout(timer);
        s.destroy();
        resolve({ text: Buffer.concat(parts).toString('utf8'), closed });
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      s.on('data', (d: Buffer) => {
        received += d.length;
        if (received < 1_000_000) parts.push(d);
      });
      s.on('error', () => {});
      s.on('close', () => done(true));
    });
  }

  async function goodClientWorks(): Promise<void> {
    const c = await connectXmpp({ host: '127.0.0.1', port: server.port, domain: 'localhost', tls: { ca: cert.cert }, readTimeoutMs: 5000 });
    try {
      expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'])])).toBe('SCRAM-SHA-256');
    } finally {
      c.close();
    }
  }

  describe('XMPP server robustness', () => {
    const cases: Array<[string, readonly (string | Buffer)[], string]> = [
      ['garbage instead of a stream', ['GET / HTTP/1.1\r\nHost: x\r\n\r\n'], 'not-well-formed'],
      ['a wrong root element', ["<html xmlns='http://www.w3.org/1999/xhtml'>"], 'invalid-namespace'],
      [
        'a billion-laughs DTD',
        ["<?xml version='1.0'?><!DOCTYPE s [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>", HEADER, '<x>&b;</x>'],
        'restricted-xml',
      ],
      ['an undefined entity', [HEADER, '<x>&xxe;</x>'], 'not-well-formed'],
      ['a huge element', [HEADER, '<x>', 'A'.repeat(64 * 1024), '</x>'], 'policy-violation'],
      ['deep nesting', [HEADER, '<x>'.repeat(100)], 'policy-violation'],
      ['invalid UTF-8', [HEADER, Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e])], 'not-well-formed'],
      ['an old (pre-1.0) stream header', [HEADER.replace(" version='1.0'>", '>')], 'unsupported-version'],
      ['a stream for another domain', [HEADER.replace("to='localhost'", "to='elsewhere.example'")], 'host-unknown'],
    ];
    for (const [name, chunks, condition] of cases) {
      it(`${name} → <${condition}/> and the connection is closed`, async () => {
        const { text, closed } = await raw(chunks);
        expect(closed).toBe(true);
        expect(text).toContain(`<${condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>`);
        expect(text).toMatch(/<\/stream:stream>$/);
      });
    }

    it('STARTTLS command injection (plaintext pipelined after <starttls/>) is refused', async () => {
      const { text, closed } = await raw([HEADER + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHVzZXIAcGVuY2ls</auth>"]);
      expect(closed).toBe(true);
      expect(text).toContain('<proceed');
      expect(text).toContain('policy-violation');
      expect(text).not.toContain('<success');
    });

    it('a client that stalls mid-element is dropped after the read timeout', async () => {
      const { closed } = await raw([HEADER, '<x>'], 15_000);
      expect(closed).toBe(true);
    });

    it('keeps serving well-behaved clients during and after all of that', async () => {
      const hostile = Promise.all(cases.map(([, chunks]) => raw(chunks)));
      await Promise.all([goodClientWorks(), goodClientWorks(), hostile]);
      await goodClientWorks();
      // Every connection is gone again.
      for (let i = 0; i < 250 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(server.connections).toBe(0);
    });
  });
});
