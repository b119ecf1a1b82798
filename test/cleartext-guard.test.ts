// Issue 9 kind 7: PLAIN and LOGIN refuse to send a password over a channel
// not known to be secure unless the caller opts in; SASLInterface.secure
// defaults to false and saslkit's adapters report it truthfully.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, PLAIN, SASLFailure, SASLInterface, SCRAM, authenticate, type NextStateTuple } from '../src/index.js';
import { SocketLineTransport } from '../src/node/index.js';
import { StreamLineTransport } from '../src/node/transport/stream-line-transport.js';
import { ImapClientChannel, ImapSASLInterface } from '../src/protocols/imap/index.js';
import { SmtpClient } from '../src/protocols/smtp/index.js';
import { LinesSASLInterface, GsaslDiagnostics } from '../src/gsasl.js';
import { FramedXmppTransport, XmppSASLInterface, webSocketXmppTransport } from '../src/protocols/xmpp/index.js';
import { PassThrough } from 'node:stream';
import { ScriptedInterface } from './helpers/scripted.js';

const creds = () => ['user', 'pencil'] as const;

/** A custom interface that says nothing about its channel (the default). */
class Custom extends SASLInterface {
  readonly sent: Array<Uint8Array | null> = [];
  override async initiate(_m: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    this.sent.push(payload);
    return ['success', null];
  }
  override async respond(payload: Uint8Array): Promise<NextStateTuple> {
    this.sent.push(payload);
    return ['success', null];
  }
  override async abort(): Promise<NextStateTuple> {
    return ['failure', null];
  }
}

describe('PLAIN and LOGIN over a channel not known to be secure', () => {
  it('SASLInterface.secure defaults to false', () => {
    expect(new Custom().secure).toBe(false);
  });

  it.each([
    ['PLAIN', () => new PLAIN(creds)],
    ['LOGIN', () => new LOGIN(creds)],
  ] as const)('%s refuses locally and sends nothing', async (name, make) => {
    const intf = new Custom();
    const err = await authenticate(intf, [name], [make()]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBeNull();
    expect((err as SASLFailure).text).toMatch(/not known to be secure/);
    expect(intf.sent).toEqual([]);
  });

  it('negotiation moves on to a mechanism that does not reveal the password', async () => {
    const intf = new ScriptedInterface([{ reply: ['challenge', 'r=abc123xyz,s=QUJD,i=4096'] }], { secure: false });
    // SCRAM runs (and fails on this script) after PLAIN refused: what matters is that PLAIN sent nothing.
    await authenticate(intf, ['PLAIN', 'SCRAM-SHA-256'], [new PLAIN(creds), new SCRAM(creds)]).catch(() => undefined);
    expect(intf.sent[0]!.mechanism).toBe('SCRAM-SHA-256');
  });

  it('an explicit opt-in sends the password', async () => {
    const a = new Custom();
    expect(await authenticate(a, ['PLAIN'], [new PLAIN(creds, { allowInsecureChannel: true })])).toBe('PLAIN');
    expect(new TextDecoder().decode(a.sent[0]!)).toBe('\0user\0pencil');
    const b = new ScriptedInterface([{ reply: ['challenge', 'Username:'] }, { reply: ['challenge', 'Password:'] }, { reply: ['success', null] }], { secure: false });
    expect(await authenticate(b, ['LOGIN'], [new LOGIN(creds, { allowInsecureChannel: true })])).toBe('LOGIN');
  });

  it('a secure interface needs no opt-in', async () => {
    class Secure extends Custom {
      override get secure(): boolean {
        return true;
      }
    }
    expect(await authenticate(new Secure(), ['PLAIN'], [new PLAIN(creds)])).toBe('PLAIN');
  });
});

describe('the adapters report whether their channel is secure', () => {
  let server: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('plain TCP (even loopback) is not secure, for IMAP and SMTP', async () => {
    const { port } = server.address() as { port: number };
    const { connect } = await import('node:net');
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const transport = new SocketLineTransport(socket);
    expect(transport.secure).toBe(false);
    expect(new ImapSASLInterface(new ImapClientChannel(transport)).secure).toBe(false);
    expect(new SmtpClient(transport).saslInterface().secure).toBe(false);
    transport.close();
  });

  it('XMPP: from the transport; a WebSocket from its wss: URL', () => {
    expect(new XmppSASLInterface({ send: async () => {}, receive: async () => Promise.reject(new Error('x')) }).secure).toBe(false);
    expect(new XmppSASLInterface({ secure: true, send: async () => {}, receive: async () => Promise.reject(new Error('x')) }).secure).toBe(true);
    const ws = (url: string) => ({ url, send: () => {}, close: () => {}, addEventListener: () => {} });
    expect(new XmppSASLInterface(webSocketXmppTransport(ws('wss://chat.example/ws'))).secure).toBe(true);
    expect(new XmppSASLInterface(webSocketXmppTransport(ws('ws://chat.example/ws'))).secure).toBe(false);
    expect(new FramedXmppTransport(() => {}).secure).toBe(false);
  });

  it('lines: a stream is not secure unless said so', () => {
    const status = new GsaslDiagnostics(new StreamLineTransport(new PassThrough(), null));
    expect(new LinesSASLInterface(new StreamLineTransport(new PassThrough(), new PassThrough()), status).secure).toBe(false);
    expect(new LinesSASLInterface(new StreamLineTransport(new PassThrough(), new PassThrough(), { secure: true }), status).secure).toBe(true);
  });
});

describe('CLI: --plain -m PLAIN needs --allow-insecure-password', () => {
  const MAIN = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
  const run = (args: readonly string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin!.end('pencil\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });

  it.each(['PLAIN', 'LOGIN'])('-m %s over --plain is a usage error without the flag', async (m) => {
    const r = await run(['client', '--protocol', 'imap', '--connect', '127.0.0.1:1', '--plain', '-a', 'u', '-m', m]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sends the password in clear; add --allow-insecure-password/);
  }, 40_000);

  it('with the flag it gets as far as connecting', async () => {
    const r = await run(['client', '--protocol', 'imap', '--connect', '127.0.0.1:1', '--plain', '-a', 'u', '-m', 'PLAIN', '--allow-insecure-password', '--timeout', '2000']);
    expect(r.code).toBe(3); // nothing listens on port 1
  }, 40_000);
});
