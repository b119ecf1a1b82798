// docs/xmpp.md quotes docs/examples/xmpp-*.ts verbatim, and that code runs:
// the browser example over an in-memory WebSocket pair, the own-stream
// example over a stream of XML text, the Node client and both server
// examples against each other over loopback TLS.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationFailure } from '../src/index.js';
import type { AuthOutcome } from '../src/server/index.js';
import { XmppServerSession, type XmppServerResult } from '../src/node/index.js';
import { clientStreamHeader, openClientStream, serializeElement, webSocketXmppTransport } from '../src/protocols/xmpp/index.js';
import { signInOverWebSocket } from '../docs/examples/xmpp-websocket.js';
import { authenticateOverMyStream, type MyStream } from '../docs/examples/xmpp-own-stream.js';
import { signInXmpp } from '../docs/examples/xmpp-node-client.js';
import { createSasl, listen, serveXmppSocket } from '../docs/examples/xmpp-server.js';
import { exampleRegion, markdownBlocks } from './helpers/doc-quotes.js';
import { describeWithPeers } from './helpers/peers.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';
import { socketPair } from './helpers/websocket-pair.js';

describe('docs/xmpp.md quotes its examples verbatim', () => {
  const quotes: ReadonlyArray<readonly [string, string]> = [
    ['docs/examples/xmpp-websocket.ts', 'websocket'],
    ['docs/examples/xmpp-own-stream.ts', 'own-stream'],
    ['docs/examples/xmpp-node-client.ts', 'node-client'],
    ['docs/examples/xmpp-server.ts', 'session'],
    ['docs/examples/xmpp-listener.ts', 'listener'],
    ['docs/examples/xmpp-own-server.ts', 'own-server'],
  ];
  const blocks = markdownBlocks('docs/xmpp.md');
  for (const [file, name] of quotes) {
    it(`${file}#${name}`, () => {
      expect(blocks).toContain(exampleRegion(file, name));
    });
  }
  it('quotes nothing else as TypeScript, but for the ws example', () => {
    // The `ws` example cannot live in docs/examples (ws is no dependency);
    // test/guides-typecheck.test.ts compiles it against a stand-in of ws's types.
    const others = blocks.filter((b) => !quotes.some(([file, name]) => exampleRegion(file, name) === b));
    expect(others.map((b) => b.split('\n')[0])).toEqual(["import WebSocket from 'ws';"]);
  });
});

/** A server session over the other end of an in-memory WebSocket pair. */
async function webSocketServer() {
  const sasl = await createSasl();
  const { a, b } = socketPair();
  const session = new XmppServerSession(webSocketXmppTransport(b, { readTimeoutMs: 5000 }), { sasl, domain: 'example.test', connection: () => ({ secure: true }) });
  return { clientSocket: a, served: session.run() };
}

describe('docs/xmpp.md client examples without a network', () => {
  it('signInOverWebSocket authenticates with SCRAM and gets the post-auth features', async () => {
    const { clientSocket, served } = await webSocketServer();
    const { transport, mechanism, features } = await signInOverWebSocket(clientSocket, 'example.test', 'user', 'pencil');
    try {
      expect(mechanism).toMatch(/^SCRAM-SHA/);
      expect(features.children.some((c) => typeof c !== 'string' && c.name === 'bind')).toBe(true);
      expect(await served).toMatchObject({ kind: 'authenticated', outcome: { authcid: 'user', mechanism } });
    } finally {
      transport.close();
    }
  });

  it('signInOverWebSocket: a wrong password is an AuthenticationFailure', async () => {
    const { clientSocket } = await webSocketServer();
    await expect(signInOverWebSocket(clientSocket, 'example.test', 'user', 'wrong')).rejects.toBeInstanceOf(AuthenticationFailure);
    clientSocket.close();
  });

  it('authenticateOverMyStream runs SASL over a stream the application parses itself', async () => {
    const { clientSocket, served } = await webSocketServer();
    // The application's own stream: it opened the stream and read the features itself.
    const own = webSocketXmppTransport(clientSocket, { readTimeoutMs: 5000 });
    const features = await openClientStream(own, clientStreamHeader('example.test'));
    const myStream: MyStream = {
      write: async (xml) => clientSocket.send(xml),
      nextTopLevelElement: async () => serializeElement(await own.receive()),
    };
    try {
      expect(await authenticateOverMyStream(myStream, features, 'user', 'pencil')).toMatch(/^SCRAM-SHA/);
      // The server now waits for the restart; closing ends its session.
    } finally {
      own.close();
    }
    expect(await served).toMatchObject({ kind: 'closed' });
  });
});

describeWithPeers('docs/xmpp.md Node examples over loopback TLS', ['openssl'], () => {
  let dir: string;
  let cert: TestCert;
  const closers: Array<() => Promise<void> | void> = [];

  beforeAll(() => {
    dir = makeTempDir('saslkit-xmpp-docs-');
    cert = generateCert(dir, 'ecdsa-p256-sha256');
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    removeDir(dir);
  });

  const clientOptions = (port: number) => ({ host: '127.0.0.1', port, domain: 'localhost', tls: { ca: cert.cert }, readTimeoutMs: 10_000 });

  it('signInXmpp against listen(): SCRAM-PLUS over STARTTLS, then a wrong password', async () => {
    const logins: AuthOutcome[] = [];
    const server = await listen(await createSasl(), 'localhost', cert.key, cert.cert, (outcome) => logins.push(outcome));
    closers.push(() => server.close());
    const conn = await signInXmpp(clientOptions(server.port), 'user', 'pencil');
    conn.close();
    for (let i = 0; i < 100 && logins.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(logins).toHaveLength(1);
    expect(logins[0]).toMatchObject({ authcid: 'user', mechanism: expect.stringMatching(/^SCRAM-SHA.*-PLUS$/) });
    await expect(signInXmpp(clientOptions(server.port), 'user', 'wrong')).rejects.toBeInstanceOf(AuthenticationFailure);
  });

  it('serveXmppSocket under a net server of your own', async () => {
    const sasl = await createSasl();
    const secureContext = tls.createSecureContext({ key: cert.key, cert: cert.cert });
    const results: Promise<XmppServerResult>[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      results.push(serveXmppSocket(socket, sasl, 'localhost', secureContext));
    });
    closers.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const conn = await signInXmpp(clientOptions((server.address() as net.AddressInfo).port), 'user', 'pencil');
    conn.close();
    expect(results).toHaveLength(1);
    expect(await results[0]).toMatchObject({ kind: 'authenticated', outcome: { authcid: 'user', mechanism: expect.stringMatching(/-PLUS$/) } });
  });
});
