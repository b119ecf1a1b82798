// The Node connect helpers on their error paths: each must reject with a
// SASLError-family error and close the connection. The "servers" here are
// raw loopback sockets that misbehave on purpose (no real server can be made
// to send these), each checked to see the client hang up.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SASLError, SASLFailure, SASLStateMachine } from '../src/index.js';
import { utf8Encode } from '../src/mechanism.js';
import { ImapByeError, ImapProtocolError, ImapSASLInterface } from '../src/protocols/imap/index.js';
import { connectLineTransport } from '../src/node/transport/connect.js';
import { ImapClientSession } from '../src/node/imap/client.js';
import { TransportError } from '../src/node/transport/socket-line-transport.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';
import { rejection } from './helpers/errors.js';
import { describeWithPeers } from './helpers/peers.js';

let dir: string;
let cert: TestCert;
// Every suite here needs test certificates, made with openssl.
describeWithPeers('IMAP Node helpers', ['openssl'], () => {
  beforeAll(() => {
    dir = makeTempDir('saslkit-connect-');
    cert = generateCert(dir, 'rsa-sha256');
  }, 30_000);
  afterAll(() => removeDir(dir));

  interface Fake {
    port: number;
    /** Resolves when the client's connection to the fake closed. */
    clientClosed: Promise<void>;
    received: string[];
    close(): Promise<void>;
  }

  const fakes: Fake[] = [];
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  /** A loopback server that runs `script` on the first connection. */
  async function fake(script: (socket: net.Socket, received: string[]) => void, secure = false): Promise<Fake> {
    let resolveClosed!: () => void;
    const clientClosed = new Promise<void>((r) => (resolveClosed = r));
    const received: string[] = [];
    const sockets: net.Socket[] = [];
    const onSocket = (socket: net.Socket): void => {
      sockets.push(socket);
      socket.on('error', () => {});
      socket.on('close', () => resolveClosed());
      socket.on('data', (d: Buffer) => received.push(...d.toString('utf8').split('\r\n').filter((l) => l)));
      script(socket, received);
    };
    const srv = secure ? tls.createServer({ key: cert.key, cert: cert.cert }, onSocket) : net.createServer(onSocket);
    srv.on('tlsClientError', () => resolveClosed());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const f: Fake = {
      port: (srv.address() as net.AddressInfo).port,
      clientClosed,
      received,
      async close() {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => srv.close(() => r()));
      },
    };
    fakes.push(f);
    return f;
  }

  // A generous read timeout, so a loaded CI machine cannot turn an expected
  // protocol error into a timeout; the timeout test sets its own short one.
  const connectTo = (port: number, extra: Record<string, unknown> = {}): Promise<ImapClientSession> =>
    ImapClientSession.connect({ host: '127.0.0.1', port, security: 'none', readTimeoutMs: 5000, ...extra });

  describe('connectLineTransport', () => {
    it('rejects bad arguments and refused connections with a TransportError', async () => {
      expect(await rejection(connectLineTransport({ host: '', port: 143 }))).toBeInstanceOf(TransportError);
      expect(await rejection(connectLineTransport({ host: '127.0.0.1', port: 70000 }))).toBeInstanceOf(TransportError);
      const f = await fake(() => {});
      const port = f.port;
      await f.close();
      const err = await rejection(connectLineTransport({ host: '127.0.0.1', port, security: 'none' }));
      expect(err).toBeInstanceOf(TransportError);
      expect(String((err as Error).message)).toMatch(/ECONNREFUSED/);
    });

    it('implicit TLS to an untrusted certificate fails the handshake, and the socket is closed', async () => {
      const f = await fake(() => {}, true);
      const err = await rejection(connectLineTransport({ host: '127.0.0.1', port: f.port, security: 'implicit' }));
      expect(err).toBeInstanceOf(TransportError);
      expect(String((err as Error).message)).toMatch(/self.signed|certificate/i);
      await f.clientClosed;
    });

    it('a slow TLS handshake times out (connectTimeoutMs)', async () => {
      const f = await fake(() => {}); // plain TCP: never answers the ClientHello
      const err = await rejection(connectLineTransport({ host: '127.0.0.1', port: f.port, security: 'implicit', connectTimeoutMs: 200 }));
      expect(String((err as Error).message)).toMatch(/timed out/);
      await f.clientClosed;
    });
  });

  describe('ImapClientSession.connect error paths close the connection', () => {
    it('no greeting: the read times out', async () => {
      const f = await fake(() => {});
      const err = await rejection(connectTo(f.port, { readTimeoutMs: 300 }));
      expect(err).toBeInstanceOf(TransportError);
      expect(String((err as Error).message)).toMatch(/timed out/);
      await f.clientClosed;
    });

    it('an endless line is cut off at maxLineLength', async () => {
      const f = await fake((s) => s.write('* OK ' + 'x'.repeat(5000)));
      const err = await rejection(connectTo(f.port, { maxLineLength: 1024 }));
      expect(err).toBeInstanceOf(TransportError);
      expect(String((err as Error).message)).toMatch(/longer than 1024/);
      await f.clientClosed;
    });

    it('a BYE greeting is an ImapByeError', async () => {
      const f = await fake((s) => s.write('* BYE go away\r\n'));
      expect(await rejection(connectTo(f.port))).toBeInstanceOf(ImapByeError);
      await f.clientClosed;
    });

    it('garbage instead of a greeting is an ImapProtocolError', async () => {
      const f = await fake((s) => s.write('220 smtp.example.com ESMTP\r\n'));
      expect(await rejection(connectTo(f.port))).toBeInstanceOf(ImapProtocolError);
      await f.clientClosed;
    });

    it('security "starttls" refuses to go on when the server has no STARTTLS', async () => {
      const f = await fake((s) => s.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n'));
      const err = await rejection(connectTo(f.port, { security: 'starttls' }));
      expect(err).toBeInstanceOf(ImapProtocolError);
      expect(String((err as Error).message)).toMatch(/STARTTLS/);
      await f.clientClosed;
    });

    it('a refused STARTTLS is an error too', async () => {
      const f = await fake((s) => {
        s.write('* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n');
        s.on('data', (d: Buffer) => {
          const tag = d.toString().split(' ')[0];
          s.write(`${tag} NO not today\r\n`);
        });
      });
      expect(await rejection(connectTo(f.port, { security: 'starttls' }))).toBeInstanceOf(ImapProtocolError);
      await f.clientClosed;
    });
  });

  describe('ImapSASLInterface against a misbehaving server', () => {
    it('a challenge that is not base64 is a SASLFailure, after cancelling with *', async () => {
      const f = await fake((s, received) => {
        s.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n');
        s.on('data', (d: Buffer) => {
          const text = d.toString();
          if (text.startsWith('A1 ')) s.write('+ Ready, this is not base64!\r\n');
          else if (text.startsWith('*')) s.write('A1 BAD cancelled\r\n');
          void received;
        });
      });
      const session = await connectTo(f.port);
      try {
        const sm = new SASLStateMachine(new ImapSASLInterface(session.channel));
        const err = await rejection(sm.initiate('PLAIN', utf8Encode('\0u\0p')));
        expect(err).toBeInstanceOf(SASLFailure);
        expect(f.received).toContain('*');
      } finally {
        session.close();
      }
    });

    it.each([
      ['+ dj1zaWc= trailing words', 'v=sig'],
      ['+ dj1zaWc=\tand a tab', 'v=sig'],
      ['+  dj1zaWc=', 'v=sig'],
      ['+ dj1zaWc= ', 'v=sig'],
      ['+ ', ''],
      ['+', ''],
    ])('takes the base64 token of the continuation %j', async (line, data) => {
      const f = await fake((s) => {
        s.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] hi\r\n');
        s.on('data', (d: Buffer) => {
          if (d.toString().startsWith('A1 ')) s.write(`${line}\r\n`);
        });
      });
      const session = await connectTo(f.port);
      try {
        const sm = new SASLStateMachine(new ImapSASLInterface(session.channel));
        expect(await sm.initiate('SCRAM-SHA-256', utf8Encode('n,,n=u,r=abc'))).toEqual(['challenge', utf8Encode(data)]);
      } finally {
        session.close();
      }
    });

    it('without SASL-IR, a first continuation that is not base64 (+ Ready ...) is the go-ahead for the initial response', async () => {
      for (const line of ['+ Ready for additional command text', '+ ', '+']) {
        const f = await fake((s) => {
          s.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n');
          let authTag = '';
          s.on('data', (d: Buffer) => {
            for (const text of d.toString().split('\r\n').filter(Boolean)) {
              const m = /^(\S+) (\S+)/.exec(text);
              if (m && m[2]!.toUpperCase() === 'AUTHENTICATE') {
                authTag = m[1]!;
                s.write(`${line}\r\n`);
              } else if (m && m[2]!.toUpperCase() === 'CAPABILITY') {
                s.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${m[1]} OK done\r\n`);
              } else {
                s.write(`${authTag} OK done\r\n`);
              }
            }
          });
        });
        const session = await connectTo(f.port);
        try {
          const sm = new SASLStateMachine(new ImapSASLInterface(session.channel));
          expect(await sm.initiate('PLAIN', utf8Encode('\0u\0p')), line).toEqual(['success', null]);
          expect(f.received).toContain(Buffer.from('\0u\0p').toString('base64'));
        } finally {
          session.close();
        }
      }
    });

    it('a flood of untagged responses is bounded', async () => {
      const f = await fake((s) => {
        s.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n');
        s.on('data', () => s.write('* 1 EXISTS\r\n'.repeat(50)));
      });
      const session = await ImapClientSession.connect({ host: '127.0.0.1', port: f.port, security: 'none', readTimeoutMs: 2000, maxUntaggedPerCommand: 10 });
      const err = await rejection(session.authenticate([{ anySupported: () => 'PLAIN', authenticate: async (sm: SASLStateMachine) => void (await sm.initiate('PLAIN', utf8Encode('\0u\0p'))) } as never]));
      expect(err).toBeInstanceOf(ImapProtocolError);
      expect(String((err as Error).message)).toMatch(/more than 10 untagged/);
      await f.clientClosed; // a protocol error closes the connection
    });

    it('every error above is a SASLError', () => {
      for (const E of [TransportError, ImapProtocolError, ImapByeError]) expect(new E('x')).toBeInstanceOf(SASLError);
    });
  });
});
