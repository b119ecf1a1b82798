// connectSmtp, connectXmpp and ImapClientSession.connect connect from the
// local address they are given (e.g. to test a server's per-address limits).
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapClientSession, connectSmtp, connectXmpp } from '../src/node/index.js';

describe('connect helpers: localAddress', () => {
  let server: net.Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    // Records where each connection came from, then hangs up: the helpers fail, which is fine here.
    server = net.createServer((socket) => {
      seen.push(socket.remoteAddress ?? '');
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const base = { host: '127.0.0.1', readTimeoutMs: 2000, connectTimeoutMs: 2000 } as const;
  it.each([
    ['connectSmtp', '127.0.0.2', (a: string) => connectSmtp({ ...base, port, localAddress: a })],
    ['connectXmpp', '127.0.0.3', (a: string) => connectXmpp({ ...base, port, domain: 'localhost', localAddress: a })],
    ['ImapClientSession.connect', '127.0.0.4', (a: string) => ImapClientSession.connect({ ...base, port, localAddress: a })],
  ] as const)('%s connects from %s', async (_name, address, connect) => {
    const n = seen.length;
    await expect(connect(address)).rejects.toThrow();
    expect(seen.slice(n)).toEqual([address]);
  });
});
