// TLS channel binding over real loopback TLS connections: both ends must
// compute the same bytes for each type, on TLS 1.2 and TLS 1.3, and the
// tls-server-end-point hash must follow RFC 5929 §4.1 per signature
// algorithm (checked against openssl's own fingerprint).
import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SASLError } from '../src/index.js';
import {
  ChannelBindingError,
  TlsExporterBinding,
  TlsServerEndPointBinding,
  TlsUniqueBinding,
  availableChannelBindings,
  channelBindingFor,
  channelBindingProvider,
  defaultChannelBindingType,
  endPointHashOf,
  serverChannelBindings,
  serverEndPointHash,
  tlsRoleOf,
} from '../src/channel-binding/tls/index.js';
import { serverConnectionOf } from '../src/node/server/connection.js';
import { generateCert, makeTempDir, opensslFingerprint, removeDir, type CertKind, type TestCert } from './helpers/tls-certs.js';
import { describeWithPeers } from './helpers/peers.js';

type Version = 'TLSv1.2' | 'TLSv1.3';

interface Pair {
  client: tls.TLSSocket;
  server: tls.TLSSocket;
  close(): Promise<void>;
}

/** A loopback TLS connection pinned to `version`, with `cert` on the server. */
// Fixed ticket keys, so that a second server accepts the first one's session ticket.
const TICKET_KEYS = Buffer.alloc(48, 7);

async function connectPair(cert: TestCert, version: Version, session?: Buffer): Promise<Pair> {
  const serverSockets: tls.TLSSocket[] = [];
  let resolveServer!: (s: tls.TLSSocket) => void;
  const serverSide = new Promise<tls.TLSSocket>((r) => (resolveServer = r));
  const srv = tls.createServer({ key: cert.key, cert: cert.cert, ticketKeys: TICKET_KEYS, minVersion: version, maxVersion: version }, (s) => {
    serverSockets.push(s);
    s.on('error', () => {});
    resolveServer(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const client = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const c = tls.connect({ host: '127.0.0.1', port, ca: cert.cert, servername: 'localhost', minVersion: version, maxVersion: version, session }, () => resolve(c));
    c.once('error', reject);
  });
  client.on('error', () => {});
  const server = await serverSide;
  return {
    client,
    server,
    async close() {
      client.destroy();
      for (const s of serverSockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** Like connectPair, but the client keeps the session for a resumed second connection. */
async function sessionOf(cert: TestCert, version: Version): Promise<Buffer> {
  const pair = await connectPair(cert, version);
  try {
    const session = pair.client.getSession();
    if (!session) throw new Error('no session');
    return session;
  } finally {
    await pair.close();
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

let dir: string;
const certs = new Map<CertKind, TestCert>();
const cert = (kind: CertKind): TestCert => certs.get(kind)!;

// Every suite here needs test certificates, made with openssl.
describeWithPeers('TLS channel binding', ['openssl'], () => {
  beforeAll(() => {
    dir = makeTempDir('saslkit-cb-');
    for (const kind of ['rsa-sha256', 'rsa-sha1', 'rsa-sha384', 'rsa-pss-sha512', 'rsa-pss-sha256', 'ecdsa-p256-sha256', 'ecdsa-p384-sha384', 'ed25519'] as const) {
      certs.set(kind, generateCert(dir, kind));
    }
  }, 60_000);

  afterAll(() => removeDir(dir));

  describe.each(['TLSv1.2', 'TLSv1.3'] as const)('on %s', (version) => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await connectPair(cert('rsa-sha256'), version);
    });
    afterAll(async () => pair?.close());

    it('negotiated the pinned version and infers each role', () => {
      expect(pair.client.getProtocol()).toBe(version);
      expect(pair.server.getProtocol()).toBe(version);
      expect(tlsRoleOf(pair.client)).toBe('client');
      expect(tlsRoleOf(pair.server)).toBe('server');
    });

    it('lists the available types, strongest first', () => {
      const expected = version === 'TLSv1.3' ? ['tls-exporter', 'tls-server-end-point'] : ['tls-unique', 'tls-server-end-point'];
      expect(availableChannelBindings(pair.client)).toEqual(expected);
      expect(availableChannelBindings(pair.server)).toEqual(expected);
      expect(serverChannelBindings(pair.server).map((p) => p.cbName)).toEqual(expected);
      expect(serverConnectionOf(pair.server).secure).toBe(true);
      expect(serverConnectionOf(pair.server).channelBindings!.map((p) => p.cbName)).toEqual(expected);
    });

    it('both ends compute equal data for every available type', async () => {
      const serverProviders = serverChannelBindings(pair.server);
      for (const type of availableChannelBindings(pair.client)) {
        const c = await channelBindingProvider(pair.client, type).extractCbData();
        const s = await serverProviders.find((p) => p.cbName === type)!.extractCbData();
        expect(hex(c), type).toBe(hex(s));
        expect(c.length).toBe(type === 'tls-unique' ? 12 : 32);
      }
    });

    it('defaults to tls-exporter on TLS 1.3 and tls-unique on TLS 1.2', () => {
      const expected = version === 'TLSv1.3' ? 'tls-exporter' : 'tls-unique';
      expect(defaultChannelBindingType(pair.client)).toBe(expected);
      expect(channelBindingFor(pair.client)?.cbName).toBe(expected);
      expect(channelBindingFor(pair.client, { policy: 'require' })?.cbName).toBe(expected);
    });

    it('tls-server-end-point is the SHA-256 fingerprint openssl computes', () => {
      const ref = hex(opensslFingerprint(cert('rsa-sha256').certPath, 'sha256'));
      expect(hex(new TlsServerEndPointBinding(pair.client).extractCbData())).toBe(ref);
      expect(hex(new TlsServerEndPointBinding(pair.server).extractCbData())).toBe(ref);
    });

    if (version === 'TLSv1.3') {
      it('tls-unique is a clear error on TLS 1.3, on both ends', () => {
        for (const s of [pair.client, pair.server]) {
          expect(() => new TlsUniqueBinding(s).extractCbData()).toThrow(ChannelBindingError);
          expect(() => new TlsUniqueBinding(s).extractCbData()).toThrow(/TLS 1\.3/);
        }
        expect(channelBindingFor(pair.client, { type: 'tls-unique' })).toBeNull();
        expect(() => channelBindingFor(pair.client, { type: 'tls-unique', policy: 'require' })).toThrow(ChannelBindingError);
      });

      it('an empty exporter context equals an absent one on TLS 1.3 (RFC 8446 §7.5)', () => {
        const withEmpty = pair.client.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
        // Node's typings demand a context; at run time an absent one is allowed.
        const absent = pair.client.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', undefined as unknown as Buffer);
        expect(hex(withEmpty)).toBe(hex(absent));
        expect(hex(new TlsExporterBinding(pair.server).extractCbData())).toBe(hex(withEmpty));
      });
    } else {
      it('tls-exporter is refused on TLS 1.2 unless explicitly allowed, then both ends agree', () => {
        expect(() => new TlsExporterBinding(pair.client).extractCbData()).toThrow(ChannelBindingError);
        expect(channelBindingFor(pair.client, { type: 'tls-exporter' })).toBeNull();
        const opts = { allowExporterOnTls12: true };
        expect(availableChannelBindings(pair.server, opts)[0]).toBe('tls-exporter');
        expect(defaultChannelBindingType(pair.client, opts)).toBe('tls-exporter');
        const c = new TlsExporterBinding(pair.client, opts).extractCbData();
        const s = new TlsExporterBinding(pair.server, opts).extractCbData();
        expect(hex(c)).toBe(hex(s));
      });

      it('on TLS 1.2 an empty exporter context differs from an absent one (RFC 5705), and saslkit sends the empty one', () => {
        const withEmpty = pair.client.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
        // Node's typings demand a context; at run time an absent one is allowed.
        const absent = pair.client.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', undefined as unknown as Buffer);
        expect(hex(withEmpty)).not.toBe(hex(absent));
        expect(hex(new TlsExporterBinding(pair.client, { allowExporterOnTls12: true }).extractCbData())).toBe(hex(withEmpty));
      });

      it('tls-unique is the client Finished in a full handshake', () => {
        expect(pair.client.isSessionReused()).toBe(false);
        expect(hex(new TlsUniqueBinding(pair.client).extractCbData())).toBe(hex(pair.client.getFinished()!));
        expect(hex(new TlsUniqueBinding(pair.server).extractCbData())).toBe(hex(pair.server.getPeerFinished()!));
      });
    }
  });

  describe('tls-unique on a resumed TLS 1.2 session', () => {
    it('uses the server Finished (sent first in an abbreviated handshake), equal on both ends', async () => {
      const session = await sessionOf(cert('rsa-sha256'), 'TLSv1.2');
      const pair = await connectPair(cert('rsa-sha256'), 'TLSv1.2', session);
      try {
        expect(pair.client.isSessionReused()).toBe(true);
        const c = new TlsUniqueBinding(pair.client).extractCbData();
        const s = new TlsUniqueBinding(pair.server).extractCbData();
        expect(hex(c)).toBe(hex(s));
        expect(hex(c)).toBe(hex(pair.client.getPeerFinished()!));
      } finally {
        await pair.close();
      }
    });
  });

  describe('tls-server-end-point hash per signature algorithm (RFC 5929 §4.1)', () => {
    const cases: Array<[CertKind, 'sha256' | 'sha384' | 'sha512']> = [
      ['rsa-sha1', 'sha256'], // SHA-1 is upgraded to SHA-256
      ['rsa-sha256', 'sha256'],
      ['rsa-sha384', 'sha384'],
      ['rsa-pss-sha256', 'sha256'],
      ['rsa-pss-sha512', 'sha512'],
      ['ecdsa-p256-sha256', 'sha256'],
      ['ecdsa-p384-sha384', 'sha384'],
    ];
    it.each(cases)('%s certificate → %s', async (kind, hash) => {
      const c = cert(kind);
      const der = new X509Certificate(c.cert).raw;
      expect(endPointHashOf(der)).toBe(hash);
      const ref = hex(opensslFingerprint(c.certPath, hash));
      expect(hex(serverEndPointHash(der))).toBe(ref);
      // and over a real connection, from both ends
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        const pair = await connectPair(c, version);
        try {
          expect(hex(new TlsServerEndPointBinding(pair.client).extractCbData())).toBe(ref);
          expect(hex(new TlsServerEndPointBinding(pair.server).extractCbData())).toBe(ref);
        } finally {
          await pair.close();
        }
      }
    });

    it('an Ed25519 certificate has no tls-server-end-point: clear error, and not listed', async () => {
      const c = cert('ed25519');
      expect(() => endPointHashOf(new X509Certificate(c.cert).raw)).toThrow(/not defined for signature algorithm 1\.3\.101\.112/);
      const pair = await connectPair(c, 'TLSv1.3');
      try {
        expect(availableChannelBindings(pair.server)).toEqual(['tls-exporter']);
        expect(() => new TlsServerEndPointBinding(pair.client).extractCbData()).toThrow(ChannelBindingError);
      } finally {
        await pair.close();
      }
    });

    it('malformed DER (every truncation, random byte flips, junk) only ever gives a ChannelBindingError', () => {
      const der = new X509Certificate(cert('rsa-pss-sha512').cert).raw;
      const check = (bytes: Uint8Array): void => {
        try {
          endPointHashOf(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ChannelBindingError);
        }
      };
      for (let n = 0; n < der.length; n += 7) check(der.subarray(0, n));
      let seed = 12345;
      const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
      for (let i = 0; i < 2000; i++) {
        const m = Uint8Array.from(der);
        m[rnd() % 80] = rnd() % 256; // the header, algorithm and lengths live up front...
        m[rnd() % m.length] = rnd() % 256; // ...and anywhere else
        check(m);
      }
      for (const junk of [new Uint8Array(0), Uint8Array.of(0x30), Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x30, 0x80, 0, 0), Uint8Array.of(0x1f, 0x01)]) {
        expect(() => endPointHashOf(junk)).toThrow(ChannelBindingError);
      }
    });
  });

  describe('client policy', () => {
    it('disable never binds; prefer goes without on plaintext; require refuses', () => {
      const plain = new net.Socket();
      try {
        expect(channelBindingFor(null, { policy: 'disable' })).toBeNull();
        expect(channelBindingFor(plain)).toBeNull();
        expect(channelBindingFor(null, { policy: 'prefer' })).toBeNull();
        expect(() => channelBindingFor(plain, { policy: 'require' })).toThrow(ChannelBindingError);
        const err = (() => {
          try {
            channelBindingFor(null, { policy: 'require' });
          } catch (e) {
            return e;
          }
          return null;
        })();
        expect(err).toBeInstanceOf(SASLError);
        expect(serverConnectionOf(plain)).toMatchObject({ secure: false, channelBindings: [], tlsVersion: null, clientCertificateIdentity: null });
      } finally {
        plain.destroy();
      }
    });

    it('an explicit type is honoured when available', async () => {
      const pair = await connectPair(cert('ecdsa-p384-sha384'), 'TLSv1.3');
      try {
        expect(channelBindingFor(pair.client, { type: 'tls-server-end-point', policy: 'require' })?.cbName).toBe('tls-server-end-point');
        expect(channelBindingFor(pair.client, { policy: 'disable' })).toBeNull();
      } finally {
        await pair.close();
      }
    });
  });

  describe('STARTTLS-style server sockets', () => {
    it('a TLSSocket made with isServer: true is a server and agrees with its client', async () => {
      const c = cert('rsa-sha256');
      let serverTls!: Promise<tls.TLSSocket>;
      const srv = net.createServer((raw) => {
        raw.on('error', () => {});
        serverTls = new Promise((resolve) => {
          const s = new tls.TLSSocket(raw, { isServer: true, key: c.key, cert: c.cert, maxVersion: 'TLSv1.2' } as tls.TLSSocketOptions);
          s.on('error', () => {});
          s.once('secure', () => resolve(s));
        });
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as net.AddressInfo).port;
      const client = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: c.cert, servername: 'localhost' }, () => resolve(s));
        s.once('error', reject);
      });
      try {
        const server = await serverTls;
        expect(tlsRoleOf(server)).toBe('server');
        for (const type of ['tls-unique', 'tls-server-end-point'] as const) {
          expect(hex(await channelBindingProvider(client, type).extractCbData())).toBe(hex(await channelBindingProvider(server, type).extractCbData()));
        }
        server.destroy();
      } finally {
        client.destroy();
        await new Promise<void>((r) => srv.close(() => r()));
      }
    });
  });
});
