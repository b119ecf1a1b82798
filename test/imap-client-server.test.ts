// saslkit IMAP client ↔ saslkit IMAP server over real loopback sockets:
// every mechanism and channel-binding type on TLS 1.2 and 1.3, STARTTLS and
// implicit TLS, the non-SASL-IR path, and the server's handling of garbage,
// cancellation, LOGIN/LOGINDISABLED and STARTTLS injection (raw lines).
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SASLFailure, SASLStateMachine, SCRAM, SCRAMPLUS, type ChannelBindingType, type HashName } from '../src/index.js';
import { utf8Encode } from '../src/mechanism.js';
import { MemoryCredentialStore, PLAINServer, SASLServer, scramServerMechanisms } from '../src/server/index.js';
import { ImapClientChannel, ImapSASLInterface } from '../src/protocols/imap/index.js';
import { connectLineTransport, type ConnectionSecurity } from '../src/node/transport/connect.js';
import { ImapClientSession } from '../src/node/imap/client.js';
import type { NodeImapServerOptions, RunningImapServer } from '../src/node/imap/server.js';
import { channelBindingProvider } from '../src/channel-binding/tls/providers.js';
import type { SocketLineTransport } from '../src/node/transport/socket-line-transport.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';
import { ImapServers } from './helpers/imap-servers.js';
import { describeWithPeers } from './helpers/peers.js';

const USER = 'user';
const PASSWORD = 'pencil-ünïcødé';
const creds = (): readonly [string, string] => [USER, PASSWORD];

let dir: string;
let cert: TestCert;
let sasl: SASLServer;
const servers = new ImapServers();
const outcomes = servers.outcomes;

const server = (options: Partial<NodeImapServerOptions> = {}): Promise<RunningImapServer> =>
  servers.start({ sasl, tls: { key: cert.key, cert: cert.cert }, ...options });

// Every suite here needs test certificates, made with openssl.
describeWithPeers('IMAP client and server over loopback TLS', ['openssl'], () => {
  beforeAll(async () => {
    dir = makeTempDir('saslkit-imap-');
    cert = generateCert(dir, 'ecdsa-p256-sha256');
    const credentials = new MemoryCredentialStore();
    await credentials.addUser(USER, PASSWORD, { hashes: ['SHA-1', 'SHA-256', 'SHA-512'] });
    sasl = new SASLServer({ mechanisms: [...scramServerMechanisms({ hashes: ['SHA-1', 'SHA-256', 'SHA-512'] }), new PLAINServer()], credentials });
  }, 30_000);

  afterAll(async () => {
    await servers.closeAll();
    removeDir(dir);
  });

  function connect(port: number, security: ConnectionSecurity, version?: tls.SecureVersion): Promise<ImapClientSession> {
    return ImapClientSession.connect({
      host: '127.0.0.1',
      port,
      security,
      tls: { ca: cert.cert, servername: 'localhost', ...(version ? { minVersion: version, maxVersion: version } : {}) },
      readTimeoutMs: 10_000,
    });
  }

  describe.each(['TLSv1.2', 'TLSv1.3'] as const)('saslkit client ↔ saslkit server on %s', (version) => {
    let starttls: RunningImapServer;
    let implicit: RunningImapServer;
    const cb = { allowExporterOnTls12: true };
    beforeAll(async () => {
      starttls = await server({ channelBinding: cb });
      implicit = await server({ implicitTLS: true, channelBinding: cb });
    });

    const plainAndScram: Array<[string, () => PLAIN | SCRAM]> = [
      ['PLAIN', () => new PLAIN(creds)],
      ...(['SHA-1', 'SHA-256', 'SHA-512'] as HashName[]).map((h): [string, () => SCRAM] => [`SCRAM-${h}`, () => new SCRAM(creds, { hashes: [h] })]),
    ];
    for (const security of ['starttls', 'implicit'] as const) {
      for (const [name, make] of plainAndScram) {
        it(`${security}: ${name}`, async () => {
          const session = await connect(security === 'implicit' ? implicit.port : starttls.port, security, version);
          try {
            expect(session.tlsSocket?.getProtocol()).toBe(version);
            expect(await session.authenticate([make()])).toBe(name);
            expect(outcomes.at(-1)).toMatchObject({ mechanism: name, authcid: USER, channelBinding: null });
            expect(session.capabilities.saslMechanisms).toEqual([]);
          } finally {
            await session.logout();
          }
        });
      }
    }

    const types: ChannelBindingType[] = ['tls-exporter', 'tls-unique', 'tls-server-end-point'].filter((t) => version === 'TLSv1.2' || t !== 'tls-unique') as ChannelBindingType[];
    for (const type of types) {
      for (const security of ['starttls', 'implicit'] as const) {
        it(`${security}: SCRAM-SHA-256-PLUS with ${type}`, async () => {
          const session = await connect(security === 'implicit' ? implicit.port : starttls.port, security, version);
          try {
            expect(session.capabilities.saslMechanisms).toContain('SCRAM-SHA-256-PLUS');
            const provider = channelBindingProvider(session.tlsSocket!, type, cb);
            expect(await session.authenticate([new SCRAMPLUS(creds, provider, { hashes: ['SHA-256'] })])).toBe('SCRAM-SHA-256-PLUS');
            expect(outcomes.at(-1)).toMatchObject({ mechanism: 'SCRAM-SHA-256-PLUS', channelBinding: type });
          } finally {
            await session.logout();
          }
        });
      }
    }

    it('the default binding for the version (channelBinding(): exporter on 1.3, unique on 1.2) works', async () => {
      const session = await connect(starttls.port, 'starttls', version);
      try {
        const provider = session.channelBinding({ policy: 'require' })!;
        expect(provider.cbName).toBe(version === 'TLSv1.3' ? 'tls-exporter' : 'tls-unique');
        expect(await session.authenticate([new SCRAMPLUS(creds, provider), new SCRAM(creds)])).toBe('SCRAM-SHA-512-PLUS');
      } finally {
        await session.logout();
      }
    });
  });

  describe('failures and negotiation', () => {
    let srv: RunningImapServer;
    beforeAll(async () => {
      srv = await server({ maxAuthFailures: 100 });
    });

    it('a wrong password is an AuthenticationFailure (not-authorized), for PLAIN and SCRAM', async () => {
      const session = await connect(srv.port, 'starttls');
      try {
        for (const mech of [new PLAIN(() => [USER, 'wrong']), new SCRAM(() => [USER, 'wrong'])]) {
          const err = await session.authenticate([mech]).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(AuthenticationFailure);
          expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
        }
        // the connection is still usable
        expect(await session.authenticate([new SCRAM(creds)])).toBe('SCRAM-SHA-512');
      } finally {
        await session.logout();
      }
    });

    it('a channel binding that does not match the server\'s is refused', async () => {
      const session = await connect(srv.port, 'starttls', 'TLSv1.3');
      try {
        const wrong = { cbName: 'tls-exporter', extractCbData: () => new Uint8Array(32) };
        const err = await session.authenticate([new SCRAMPLUS(creds, wrong)]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AuthenticationFailure);
      } finally {
        await session.logout();
      }
    });

    it('on a plaintext connection PLAIN is neither offered nor accepted (PRIVACYREQUIRED → encryption-required)', async () => {
      const session = await connect(srv.port, 'none');
      try {
        const caps = session.capabilities;
        expect(caps.has('STARTTLS')).toBe(true);
        expect(caps.loginDisabled).toBe(true);
        expect(caps.saslMechanisms).not.toContain('PLAIN');
        expect(caps.saslMechanisms).not.toContain('SCRAM-SHA-256-PLUS');
        const intf = new ImapSASLInterface(session.channel);
        const err = await new SASLStateMachine(intf).initiate('PLAIN', utf8Encode(`\0${USER}\0${PASSWORD}`)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SASLFailure);
        expect((err as SASLFailure).opaqueError).toBe('encryption-required');
        // SCRAM is fine in plaintext
        expect(await session.authenticate([new SCRAM(creds, { hashes: ['SHA-256'] })])).toBe('SCRAM-SHA-256');
      } finally {
        await session.logout();
      }
    });

    it('an unknown mechanism is invalid-mechanism, and authenticate() moves on', async () => {
      const session = await connect(srv.port, 'starttls');
      try {
        const err = await new SASLStateMachine(new ImapSASLInterface(session.channel)).initiate('DIGEST-MD5', null).catch((e: unknown) => e);
        expect((err as SASLFailure).opaqueError).toBe('invalid-mechanism');
      } finally {
        await session.logout();
      }
    });

    it('abort() sends * and reads the tagged BAD; a new exchange then works', async () => {
      const session = await connect(srv.port, 'starttls');
      try {
        const sm = new SASLStateMachine(new ImapSASLInterface(session.channel));
        const [state] = await sm.initiate('SCRAM-SHA-256', utf8Encode('n,,n=user,r=abcdefghijklmnop'));
        expect(state).toBe('challenge');
        expect(await sm.abort()).toEqual(['failure', null]);
        expect(sm.state).toBe('failure');
        expect(await session.authenticate([new PLAIN(creds)])).toBe('PLAIN');
      } finally {
        await session.logout();
      }
    });

    it('an authorizer\'s account-disabled reaches the client as CONTACTADMIN → account-disabled', async () => {
      const credentials = new MemoryCredentialStore();
      await credentials.addUser(USER, PASSWORD, { hashes: ['SHA-256'], iterations: 4096 });
      const strict = new SASLServer({
        mechanisms: [new PLAINServer()],
        credentials,
        authorize: () => {
          throw new SASLFailure('account-disabled', 'disabled');
        },
      });
      const s = await server({ sasl: strict });
      const session = await connect(s.port, 'starttls');
      try {
        const err = await session.authenticate([new PLAIN(creds)]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AuthenticationFailure);
        expect((err as AuthenticationFailure).opaqueError).toBe('account-disabled');
      } finally {
        await session.logout();
      }
    });
  });

  describe('a server without SASL-IR', () => {
    it('the client sends AUTHENTICATE alone and answers the empty continuation with its initial response', async () => {
      const s = await server({ saslIR: false });
      for (const mech of [new PLAIN(creds), new SCRAM(creds, { hashes: ['SHA-1'] })]) {
        const session = await connect(s.port, 'starttls');
        try {
          expect(session.capabilities.saslIR).toBe(false);
          expect(await session.authenticate([mech])).toMatch(/^(PLAIN|SCRAM-SHA-1)$/);
        } finally {
          await session.logout();
        }
      }
    });
  });

  describe('server behaviour on raw lines', () => {
    let srv: RunningImapServer;
    let t: SocketLineTransport;
    beforeAll(async () => {
      srv = await server({ maxErrors: 5 });
    });

    async function open(): Promise<SocketLineTransport> {
      t = await connectLineTransport({ host: '127.0.0.1', port: srv.port, security: 'none', readTimeoutMs: 5000 });
      const greeting = await t.readLine();
      expect(greeting).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED AUTH=SCRAM-SHA-512 AUTH=SCRAM-SHA-256 AUTH=SCRAM-SHA-1\] /);
      return t;
    }
    const send = async (line: string): Promise<void> => t.writeLine(line);
    const read = (): Promise<string> => t.readLine();

    it('garbage gets BAD (untagged when there is no tag), and too much of it gets BYE', async () => {
      await open();
      await send('');
      expect(await read()).toBe('* BAD Invalid tag');
      await send('a1');
      expect(await read()).toBe('a1 BAD Missing command');
      await send('a2 FROBNICATE');
      expect(await read()).toMatch(/^a2 BAD /);
      await send('a3 SELECT INBOX');
      expect(await read()).toMatch(/^a3 BAD Command unknown or not allowed before authentication/);
      await send('a4 CAPABILITY extra');
      expect(await read()).toMatch(/^a4 BAD /);
      expect(await read()).toBe('* BYE Too many invalid commands');
      await expect(read()).rejects.toThrow(/closed/);
    });

    it('LOGIN is refused before TLS with PRIVACYREQUIRED; AUTHENTICATE with bad arguments is BAD; LOGOUT says BYE', async () => {
      await open();
      await send(`l1 LOGIN ${USER} "${PASSWORD}"`);
      expect(await read()).toBe('l1 NO [PRIVACYREQUIRED] LOGIN is disabled before STARTTLS');
      await send('l2 AUTHENTICATE SCRAM-SHA-256 !!!');
      expect(await read()).toBe('l2 BAD Invalid base64 in initial response');
      await send('l3 AUTHENTICATE BAD/NAME');
      expect(await read()).toBe('l3 BAD Invalid AUTHENTICATE arguments');
      await send('l4 AUTHENTICATE PLAIN');
      expect(await read()).toBe('l4 NO [PRIVACYREQUIRED] Encryption required');
      await send('l5 LOGOUT');
      expect(await read()).toBe('* BYE Logging out');
      expect(await read()).toBe('l5 OK LOGOUT completed');
    });

    it('AUTHENTICATE without an initial response gets an empty continuation; * cancels with BAD; bad base64 is BAD', async () => {
      await open();
      await send('c1 AUTHENTICATE SCRAM-SHA-256');
      expect(await read()).toBe('+ ');
      await send('*');
      expect(await read()).toBe('c1 BAD AUTHENTICATE cancelled');
      await send('c2 AUTHENTICATE SCRAM-SHA-256');
      expect(await read()).toBe('+ ');
      await send('not base64!');
      expect(await read()).toBe('c2 BAD Invalid base64 in client response');
      await send('c3 NOOP');
      expect(await read()).toBe('c3 OK NOOP completed');
    });

    it('STARTTLS then LOGIN works; the capabilities change with the state', async () => {
      await open();
      await send('s1 STARTTLS');
      expect(await read()).toBe('s1 OK Begin TLS negotiation now');
      await t.startTLS({ ca: cert.cert, servername: 'localhost' });
      await send('s2 CAPABILITY');
      const caps = await read();
      expect(caps).toMatch(/^\* CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-512-PLUS /);
      expect(caps).toContain('AUTH=PLAIN');
      expect(caps).not.toContain('STARTTLS');
      expect(caps).not.toContain('LOGINDISABLED');
      expect(await read()).toBe('s2 OK CAPABILITY completed');
      await send('s3 STARTTLS');
      expect(await read()).toMatch(/^s3 BAD /);
      await send(`s4 LOGIN ${USER} "${PASSWORD}"`);
      expect(await read()).toBe('s4 OK [CAPABILITY IMAP4rev1] LOGIN completed');
      expect(outcomes.at(-1)).toMatchObject({ mechanism: 'PLAIN', authcid: USER });
      await send('s5 AUTHENTICATE PLAIN =');
      expect(await read()).toBe('s5 BAD Already authenticated');
      await send('s6 LOGOUT');
      expect(await read()).toBe('* BYE Logging out');
    });

    it('STARTTLS with a command pipelined behind it in plaintext is refused (CVE-2011-0411)', async () => {
      await open();
      const socket = t.socket;
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      socket.write('x1 STARTTLS\r\nx2 CAPABILITY\r\n');
      expect(await read()).toBe('x1 OK Begin TLS negotiation now');
      await closed;
    });

    it('AUTHENTICATE with SASL-IR "=" sends an empty initial response', async () => {
      await open();
      await send('e1 AUTHENTICATE SCRAM-SHA-256 =');
      // an empty client-first-message is malformed
      expect(await read()).toMatch(/^e1 BAD /);
      await send('e2 LOGOUT');
      expect(await read()).toBe('* BYE Logging out');
    });
  });

  describe('ImapClientChannel against the saslkit server', () => {
    it('refreshes capabilities from the OK code and bounds untagged responses', async () => {
      const s = await server({ implicitTLS: true });
      const session = await connect(s.port, 'implicit');
      try {
        expect(session.greeting.status).toBe('OK');
        expect(session.capabilities.saslMechanisms[0]).toBe('SCRAM-SHA-512-PLUS');
        await session.authenticate([new PLAIN(creds)], { refreshCapabilities: true });
        expect(session.capabilities.names).toEqual(['IMAP4rev1']);
      } finally {
        await session.logout();
      }
      expect(() => new ImapClientChannel(null as never, { tagPrefix: 'bad prefix' })).toThrow(/tagPrefix/);
    });
  });
});
