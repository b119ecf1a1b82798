// The SMTP server adapter over real loopback sockets: command handling,
// RFC 4954 reply codes, and garbage: the server answers 500/501 (or closes
// that one connection) and keeps serving other connections.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64Encode } from '../src/mechanism.js';
import { PLAIN } from '../src/index.js';
import { connectSmtp, SocketLineTransport, startSmtpServer, type RunningSmtpServer } from '../src/node/index.js';
import { SmtpClient, type SmtpReply } from '../src/protocols/smtp/index.js';
import type { SmtpMessage } from '../src/node/index.js';
import { MemoryCredentialStore, PLAINServer, SASLServer, scramServerMechanisms, type AuthOutcome } from '../src/server/index.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';
import { describeWithPeers } from './helpers/peers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const plainIR = (user: string, pw: string): string => base64Encode(enc(`\0${user}\0${pw}`));

let dir: string;
let cert: TestCert;
let sasl: SASLServer;
let server: RunningSmtpServer;
let lenient: RunningSmtpServer;
const outcomes: AuthOutcome[] = [];
const messages: SmtpMessage[] = [];
const errors: unknown[] = [];

// Every suite here needs test certificates, made with openssl.
describeWithPeers('SMTP server over loopback TLS', ['openssl'], () => {
  beforeAll(async () => {
    dir = makeTempDir('saslkit-smtp-server-');
    cert = generateCert(dir);
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'] });
    sasl = new SASLServer({ mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'] }), new PLAINServer()], credentials });
    const common = {
      sasl,
      tls: { key: cert.key, cert: cert.cert },
      readTimeoutMs: 5000,
      maxErrors: 8,
      onAuthenticated: (o: AuthOutcome) => outcomes.push(o),
      onMessage: (m: SmtpMessage) => void messages.push(m),
      onError: (e: unknown) => errors.push(e),
    };
    server = await startSmtpServer({ ...common, hostname: 'mx.test' });
    const lenientSasl = new SASLServer({ mechanisms: [new PLAINServer()], credentials, allowInsecurePlaintext: true });
    lenient = await startSmtpServer({ ...common, sasl: lenientSasl, requireAuth: false });
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    await lenient?.close();
    removeDir(dir);
  });

  /** A plaintext connection driven line by line. */
  async function open(port = server.port): Promise<{ client: SmtpClient; transport: SocketLineTransport; cmd: (line: string) => Promise<SmtpReply> }> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const transport = new SocketLineTransport(socket, { readTimeoutMs: 5000 });
    const client = new SmtpClient(transport);
    await client.readGreeting();
    return { client, transport, cmd: (line) => client.command(line) };
  }

  const codeOf = async (p: Promise<SmtpReply>): Promise<string> => {
    const r = await p;
    return `${r.code} ${r.enhancedStatus ?? ''}`.trim();
  };

  describe('SMTP server session', () => {
    it('greets, and lists AUTH by connection state (no PLAIN before TLS)', async () => {
      const c = await open();
      expect(c.client.greeting!.lines[0]).toBe('mx.test ESMTP saslkit');
      const ext = await c.client.ehlo('client.test');
      expect(ext.domain).toBe('mx.test');
      expect(ext.startTLS).toBe(true);
      expect(ext.authMechanisms).toEqual(['SCRAM-SHA-256']);
      expect(ext.has('ENHANCEDSTATUSCODES')).toBe(true);
      expect(await codeOf(c.cmd(`AUTH PLAIN ${plainIR('user', 'pencil')}`))).toBe('538 5.7.11');
      const helo = await c.cmd('HELO client.test');
      expect(helo).toMatchObject({ code: 250, lines: ['mx.test'] });
      expect(await codeOf(c.cmd('QUIT'))).toBe('221 2.0.0');
      c.transport.close();
    });

    it('after STARTTLS lists PLAIN and -PLUS, forgets EHLO, and refuses a second STARTTLS', async () => {
      const conn = await connectSmtp({ host: '127.0.0.1', port: server.port, tls: { ca: cert.cert } });
      try {
        expect(conn.extensions.startTLS).toBe(false);
        expect(conn.extensions.authMechanisms).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'PLAIN']);
        expect(await codeOf(conn.client.command('STARTTLS'))).toBe('503 5.5.1');
        expect(await conn.authenticate([new PLAIN(() => ['user', 'pencil'])])).toBe('PLAIN');
        // RFC 4954 §4: AUTH after a successful AUTH is refused with 503.
        expect(await codeOf(conn.client.command(`AUTH PLAIN ${plainIR('user', 'pencil')}`))).toBe('503 5.5.1');
        const ehlo = await conn.client.ehlo('client.test');
        expect(ehlo.has('AUTH')).toBe(false);
        await conn.quit();
      } finally {
        conn.close();
      }
      expect(outcomes.at(-1)).toMatchObject({ mechanism: 'PLAIN', authcid: 'user' });
    });

    it('answers garbage with 500/501 and keeps the connection usable', async () => {
      const c = await open();
      expect(await codeOf(c.cmd('\x01\x02\x03'))).toBe('500 5.5.2');
      expect(await codeOf(c.cmd('FOO BAR'))).toBe('500 5.5.1');
      expect(await codeOf(c.cmd('ÉHLO x'))).toBe('500 5.5.2');
      expect(await codeOf(c.cmd(''))).toBe('500 5.5.2');
      expect(await codeOf(c.cmd('EHLO'))).toBe('501 5.5.4');
      expect(await codeOf(c.cmd(`NOOP ${'x'.repeat(600)}`))).toBe('500 5.5.2');
      expect(await codeOf(c.cmd('NOOP'))).toBe('250 2.0.0');
      c.transport.close();
    });

    it('checks AUTH syntax and sequence', async () => {
      const c = await open();
      expect(await codeOf(c.cmd('AUTH SCRAM-SHA-256'))).toBe('503 5.5.1'); // before EHLO
      await c.client.ehlo('client.test');
      expect(await codeOf(c.cmd('AUTH'))).toBe('501 5.5.4');
      expect(await codeOf(c.cmd('AUTH PLAIN a b'))).toBe('501 5.5.4');
      expect(await codeOf(c.cmd('AUTH PL@IN'))).toBe('501 5.5.4');
      expect(await codeOf(c.cmd('AUTH PLAIN '))).toBe('501 5.5.4');
      expect(await codeOf(c.cmd('AUTH SCRAM-SHA-256 not*base64'))).toBe('501 5.5.2');
      c.transport.close();
      // a fresh connection: the one above is close to its error budget (maxErrors)
      const d = await open();
      await d.client.ehlo('client.test');
      expect(await codeOf(d.cmd('AUTH X-UNKNOWN'))).toBe('504 5.5.4');
      expect(await codeOf(d.cmd('AUTH SCRAM-SHA-256-PLUS'))).toBe('504 5.5.4'); // no TLS, no binding
      expect(await codeOf(d.cmd('AUTH NOOP'))).toBe('504 5.5.4');
      d.transport.close();
    });

    it('answers `*` with 501, a bad base64 response with 501, an empty client-first with 501', async () => {
      const c = await open();
      await c.client.ehlo('client.test');
      const first = await c.cmd('AUTH SCRAM-SHA-256');
      expect(first).toMatchObject({ code: 334, lines: [''] });
      expect(await codeOf(c.cmd('*'))).toBe('501 5.7.0');
      expect((await c.cmd('AUTH SCRAM-SHA-256')).code).toBe(334);
      expect(await codeOf(c.cmd('@@@@'))).toBe('501 5.5.2');
      expect(await codeOf(c.cmd('AUTH SCRAM-SHA-256 ='))).toBe('501 5.5.2');
      // wrong client-first: not a SCRAM message
      expect(await codeOf(c.cmd(`AUTH SCRAM-SHA-256 ${base64Encode(enc('hello'))}`))).toBe('501 5.5.2');
      // the connection still works
      expect(await codeOf(c.cmd('NOOP'))).toBe('250 2.0.0');
      c.transport.close();
    });

    it('answers a wrong password with 535 and allows another attempt', async () => {
      const conn = await connectSmtp({ host: '127.0.0.1', port: server.port, tls: { ca: cert.cert } });
      try {
        expect(await codeOf(conn.client.command(`AUTH PLAIN ${plainIR('user', 'wrong')}`))).toBe('535 5.7.8');
        expect(await codeOf(conn.client.command(`AUTH PLAIN ${plainIR('nobody', 'pencil')}`))).toBe('535 5.7.8');
        expect(await codeOf(conn.client.command(`AUTH PLAIN ${plainIR('user', 'pencil')}`))).toBe('235 2.7.0');
      } finally {
        await conn.quit();
      }
    });

    it('refuses MAIL before AUTH (530) and AUTH during a transaction (503); RSET ends the transaction', async () => {
      const c = await open();
      await c.client.ehlo('client.test');
      expect(await codeOf(c.cmd('MAIL FROM:<a@test>'))).toBe('530 5.7.0');
      c.transport.close();

      const l = await open(lenient.port);
      const ext = await l.client.ehlo('client.test');
      expect(ext.authMechanisms).toEqual(['PLAIN']); // allowInsecurePlaintext
      expect(await codeOf(l.cmd('MAIL FROM:<a@test>'))).toBe('250 2.0.0');
      expect(await codeOf(l.cmd(`AUTH PLAIN ${plainIR('user', 'pencil')}`))).toBe('503 5.5.1');
      expect(await codeOf(l.cmd('RSET'))).toBe('250 2.0.0');
      expect(await codeOf(l.cmd(`AUTH PLAIN ${plainIR('user', 'pencil')}`))).toBe('235 2.7.0');
      expect(await codeOf(l.cmd('MAIL FROM:<a@test>'))).toBe('250 2.0.0');
      expect(await codeOf(l.cmd('MAIL FROM:<a@test>'))).toBe('503 5.5.1');
      expect(await codeOf(l.cmd('RCPT TO:<>'))).toBe('501 5.5.4');
      expect(await codeOf(l.cmd('RCPT TO:<b@test>'))).toBe('250 2.0.0');
      expect((await l.cmd('DATA')).code).toBe(354);
      await l.transport.writeLine('Subject: hi');
      await l.transport.writeLine('');
      await l.transport.writeLine('..dot-stuffed');
      expect(await codeOf(l.cmd('.'))).toBe('250 2.0.0');
      expect(messages.at(-1)).toMatchObject({ from: 'a@test', to: ['b@test'], lines: ['Subject: hi', '', '.dot-stuffed'], auth: { authcid: 'user' } });
      expect(await codeOf(l.cmd('DATA'))).toBe('503 5.5.1');
      expect(await codeOf(l.cmd('QUIT'))).toBe('221 2.0.0');
      l.transport.close();
    });

    it('closes a connection with 421 after too many errors; others are served', async () => {
      const c = await open();
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await c.cmd('BOGUS')).code);
      expect(codes.every((x) => x === 500)).toBe(true);
      await c.transport.writeLine('BOGUS');
      expect((await c.client.readReply()).code).toBe(500);
      expect(await codeOf(c.client.readReply())).toBe('421 4.7.0');
      await expect(c.transport.readLine()).rejects.toThrow(/closed/);
      const d = await open();
      expect((await d.cmd('NOOP')).code).toBe(250);
      d.transport.close();
    });

    it('drops a connection that sends an endless line, a STARTTLS injection or raw binary, and keeps serving', async () => {
      const hostile = async (payload: Buffer | string): Promise<void> => {
        const s = net.connect(server.port, '127.0.0.1');
        s.on('error', () => {});
        await new Promise((r) => s.once('connect', r));
        s.write(payload);
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            s.destroy();
            resolve();
          }, 3000);
          s.once('close', () => {
            clearTimeout(t);
            resolve();
          });
          s.resume();
        });
      };
      await hostile('X'.repeat(100_000));
      await hostile('EHLO x\r\nSTARTTLS\r\nAUTH PLAIN AHVzZXIAcGVuY2ls\r\n');
      await hostile(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)));
      // a client that opens and vanishes mid-exchange
      const v = await open();
      await v.client.ehlo('x');
      await v.transport.writeLine('AUTH SCRAM-SHA-256');
      v.transport.close();

      const conn = await connectSmtp({ host: '127.0.0.1', port: server.port, tls: { ca: cert.cert } });
      expect(await conn.authenticate([new PLAIN(() => ['user', 'pencil'])])).toBe('PLAIN');
      await conn.quit();
      expect(errors).toEqual([]);
    });
  });
});
