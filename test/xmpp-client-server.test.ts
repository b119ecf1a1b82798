// saslkit XMPP client ↔ saslkit XMPP server over real loopback TLS sockets
// (STARTTLS): every mechanism and every channel-binding type on TLS 1.2 and
// TLS 1.3, and the failure conditions mapped both ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  AuthenticationFailure,
  PLAIN,
  SASLFailure,
  SASLStateMachine,
  SCRAM,
  SCRAMPLUS,
  type HashName,
} from '../src/index.js';
import {
  ANONYMOUSServer,
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  scramServerMechanisms,
  type AuthOutcome,
} from '../src/server/index.js';
import { ChannelBindingError, connectXmpp, startXmppServer, type RunningXmppServer, type XmppClientConnection } from '../src/node/index.js';
import { NS_BIND, NS_SASL } from '../src/protocols/xmpp/namespaces.js';
import { XmppSASLInterface, XmppStreamError, xmlElement } from '../src/protocols/xmpp/index.js';
import { childElement } from '../src/protocols/xmpp/element.js';
import { readChannelBindingTypes, readStartTLS } from '../src/protocols/xmpp/features.js';
import { saslElement } from '../src/protocols/xmpp/wire.js';
import { generateCert, makeTempDir, removeDir, type TestCert } from './helpers/tls-certs.js';
import { describeWithPeers } from './helpers/peers.js';

const HASHES: readonly HashName[] = ['SHA-1', 'SHA-256', 'SHA-512', 'SHA3-512'];
const DOMAIN = 'localhost';

let dir = '';
let cert: TestCert;
let store: MemoryCredentialStore;
const servers: RunningXmppServer[] = [];
const clients: XmppClientConnection[] = [];

// Every suite here needs test certificates, made with openssl.
describeWithPeers('XMPP client and server over loopback TLS', ['openssl'], () => {
  beforeAll(async () => {
    dir = makeTempDir('saslkit-xmpp-');
    cert = generateCert(dir, 'rsa-sha256');
    store = new MemoryCredentialStore();
    await store.addUser('user', 'pencil');
    await store.addUser('ünï,cödé=x', 'pässwörd');
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.close()));
    removeDir(dir);
  });

  interface Started {
    readonly server: RunningXmppServer;
    readonly outcomes: AuthOutcome[];
  }

  async function start(version: 'TLSv1.2' | 'TLSv1.3', extra: { maxAttempts?: number } = {}): Promise<Started> {
    const outcomes: AuthOutcome[] = [];
    const sasl = new SASLServer({
      mechanisms: [...scramServerMechanisms(), new PLAINServer(), new ANONYMOUSServer()],
      credentials: store,
      throttle: null, // many wrong passwords from 127.0.0.1; the throttle has its own tests
    });
    const server = await startXmppServer({
      sasl,
      domain: DOMAIN,
      tls: { key: cert.key, cert: cert.cert, minVersion: version, maxVersion: version },
      channelBinding: { allowExporterOnTls12: true },
      readTimeoutMs: 10_000,
      onAuthenticated: (outcome) => {
        outcomes.push(outcome);
      },
      ...extra,
    });
    servers.push(server);
    return { server, outcomes };
  }

  async function connect(server: RunningXmppServer, security: 'starttls' | 'none' = 'starttls'): Promise<XmppClientConnection> {
    const c = await connectXmpp({ host: '127.0.0.1', port: server.port, domain: DOMAIN, security, tls: { ca: cert.cert }, readTimeoutMs: 10_000 });
    clients.push(c);
    return c;
  }

  function expectBind(c: XmppClientConnection): void {
    expect(childElement(c.features, 'bind', NS_BIND)).not.toBeNull();
  }

  const CB_TYPES = {
    'TLSv1.2': ['tls-exporter', 'tls-unique', 'tls-server-end-point'],
    'TLSv1.3': ['tls-exporter', 'tls-server-end-point'],
  } as const;

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    describe(`XMPP client ↔ server over STARTTLS, ${version}`, () => {
      let s: Started;
      beforeAll(async () => {
        s = await start(version);
      });

      it('offers STARTTLS (required) and no mechanisms before TLS', async () => {
        const c = await connect(s.server, 'none');
        expect(readStartTLS(c.features)).toEqual({ required: true });
        expect(c.mechanisms).toEqual([]);
        c.close();
      });

      it('after STARTTLS offers every mechanism, strongest first, and advertises its channel-binding types (XEP-0440)', async () => {
        const c = await connect(s.server);
        expect(c.tlsSocket?.getProtocol()).toBe(version);
        expect(readStartTLS(c.features)).toBeNull();
        expect(c.mechanisms[0]).toBe('SCRAM-SHA3-512-PLUS');
        expect(c.mechanisms).toEqual(expect.arrayContaining(['PLAIN', 'ANONYMOUS', ...HASHES.flatMap((h) => [`SCRAM-${h}`, `SCRAM-${h}-PLUS`])]));
        expect(readChannelBindingTypes(c.features)).toEqual(CB_TYPES[version]);
        c.close();
      });

      it('PLAIN', async () => {
        const c = await connect(s.server);
        expect(await c.authenticate([new PLAIN(() => ['user', 'pencil'])])).toBe('PLAIN');
        expectBind(c);
        expect(s.outcomes.at(-1)).toMatchObject({ mechanism: 'PLAIN', authcid: 'user', authzid: 'user', channelBinding: null });
        c.close();
      });

      it('ANONYMOUS', async () => {
        const c = await connect(s.server);
        expect(await c.authenticate([new ANONYMOUS('tracer@example.test')])).toBe('ANONYMOUS');
        expectBind(c);
        expect(s.outcomes.at(-1)).toMatchObject({ mechanism: 'ANONYMOUS', authcid: null, claims: { traceToken: 'tracer@example.test' } });
        c.close();
      });

      for (const h of HASHES) {
        it(`SCRAM-${h} (success data v= verified through <success/>)`, async () => {
          const c = await connect(s.server);
          expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'], { hashes: [h] })])).toBe(`SCRAM-${h}`);
          expectBind(c);
          expect(s.outcomes.at(-1)).toMatchObject({ mechanism: `SCRAM-${h}`, authcid: 'user', channelBinding: null });
          c.close();
        });

        for (const type of CB_TYPES[version]) {
          it(`SCRAM-${h}-PLUS with ${type}`, async () => {
            const c = await connect(s.server);
            const cb = c.channelBinding({ policy: 'require', type, allowExporterOnTls12: true });
            expect(cb?.cbName).toBe(type);
            expect(await c.authenticate([new SCRAMPLUS(() => ['user', 'pencil'], cb!, { hashes: [h] })])).toBe(`SCRAM-${h}-PLUS`);
            expectBind(c);
            expect(s.outcomes.at(-1)).toMatchObject({ mechanism: `SCRAM-${h}-PLUS`, authcid: 'user', channelBinding: type });
            c.close();
          });
        }
      }

      it('chooses a channel-binding type from the XEP-0440 list by default', async () => {
        const c = await connect(s.server);
        const cb = c.channelBinding({ policy: 'require', allowExporterOnTls12: true });
        expect(cb?.cbName).toBe('tls-exporter');
        expect(await c.authenticate([new SCRAMPLUS(() => ['user', 'pencil'], cb!)])).toBe('SCRAM-SHA3-512-PLUS');
        c.close();
      });

      it('SCRAM-SHA-256 with a name that needs escaping and a non-ASCII password', async () => {
        const c = await connect(s.server);
        expect(await c.authenticate([new SCRAM(() => ['ünï,cödé=x', 'pässwörd'], { hashes: ['SHA-256'] })])).toBe('SCRAM-SHA-256');
        expect(s.outcomes.at(-1)).toMatchObject({ authcid: 'ünï,cödé=x' });
        c.close();
      });

      it('-PLUS with binding data of another connection fails (not-authorized)', async () => {
        const other = await connect(s.server);
        const c = await connect(s.server);
        const foreign = other.channelBinding({ policy: 'require', type: 'tls-exporter', allowExporterOnTls12: true })!;
        await expect(c.authenticate([new SCRAMPLUS(() => ['user', 'pencil'], foreign)])).rejects.toMatchObject({ opaqueError: 'not-authorized' });
        other.close();
        c.close();
      });
    });
  }

  describe('XMPP channel binding on TLS 1.3', () => {
    it('tls-unique is refused on TLS 1.3, never silently wrong', async () => {
      const { server } = await start('TLSv1.3');
      const c = await connect(server);
      expect(() => c.channelBinding({ policy: 'require', type: 'tls-unique' })).toThrow(ChannelBindingError);
      expect(c.channelBinding({ policy: 'prefer', type: 'tls-unique' })).toBeNull();
      c.close();
    });
  });

  describe('XMPP failure conditions, server → wire → client', () => {
    let s: Started;
    beforeAll(async () => {
      s = await start('TLSv1.3', { maxAttempts: 5 });
    });

    async function rawAuth(c: XmppClientConnection, mechanism: string, payload: Uint8Array | null): Promise<unknown> {
      const sm = new SASLStateMachine(new XmppSASLInterface(c.transport));
      return sm.initiate(mechanism, payload).catch((e: unknown) => e);
    }

    it('wrong password → not-authorized, an AuthenticationFailure (SCRAM and PLAIN)', async () => {
      const c = await connect(s.server);
      const e1 = await c.authenticate([new SCRAM(() => ['user', 'wrong'])]).catch((e: unknown) => e);
      expect(e1).toBeInstanceOf(AuthenticationFailure);
      expect(e1).toMatchObject({ opaqueError: 'not-authorized' });
      const e2 = await c.authenticate([new PLAIN(() => ['user', 'wrong'])]).catch((e: unknown) => e);
      expect(e2).toBeInstanceOf(AuthenticationFailure);
      // The stream survives failures (RFC 6120 §6.4.5: the client may retry).
      expect(await c.authenticate([new PLAIN(() => ['user', 'pencil'])])).toBe('PLAIN');
      c.close();
    });

    it('an unknown mechanism → invalid-mechanism', async () => {
      const c = await connect(s.server);
      const err = await rawAuth(c, 'CRAM-MD5', null);
      expect(err).toBeInstanceOf(SASLFailure);
      expect(err).toMatchObject({ opaqueError: 'invalid-mechanism' });
      c.close();
    });

    it('bad base64 in <auth/> → incorrect-encoding', async () => {
      const c = await connect(s.server);
      await c.transport.send(xmlElement('auth', NS_SASL, { mechanism: 'PLAIN' }, ['not*base64']));
      const reply = await c.transport.receive();
      expect(reply.name).toBe('failure');
      expect(childElement(reply, 'incorrect-encoding', NS_SASL)).not.toBeNull();
      c.close();
    });

    it('an undecodable PLAIN message → malformed-request', async () => {
      const c = await connect(s.server);
      const err = await rawAuth(c, 'PLAIN', new TextEncoder().encode('no-nul-separators'));
      expect(err).toMatchObject({ opaqueError: 'malformed-request' });
      c.close();
    });

    it('an authzid the user may not use → invalid-authzid, an AuthenticationFailure', async () => {
      const c = await connect(s.server);
      const err = await c.authenticate([new PLAIN(() => ['user', 'pencil'], { authzid: 'admin' })]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect(err).toMatchObject({ opaqueError: 'invalid-authzid' });
      c.close();
    });

    it('an authzid that is the bare JID of the user authenticates the user (PLAIN and SCRAM)', async () => {
      for (const authzid of [`user@${DOMAIN}`, `user@${DOMAIN.toUpperCase()}`, 'user']) {
        const c = await connect(s.server);
        expect(await c.authenticate([new PLAIN(() => ['user', 'pencil'], { authzid })])).toBe('PLAIN');
        expect(s.outcomes.at(-1)).toMatchObject({ mechanism: 'PLAIN', authcid: 'user', authzid: 'user' });
        c.close();
      }
      const c = await connect(s.server);
      expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'], { authzid: `user@${DOMAIN}` })])).toBe('SCRAM-SHA3-512');
      expect(s.outcomes.at(-1)).toMatchObject({ authcid: 'user', authzid: 'user' });
      c.close();
    });

    it('a JID of someone else, another domain or with a resource → invalid-authzid', async () => {
      for (const authzid of [`admin@${DOMAIN}`, 'user@elsewhere.test', `user@${DOMAIN}/phone`, `@${DOMAIN}`]) {
        const c = await connect(s.server);
        const err = await c.authenticate([new PLAIN(() => ['user', 'pencil'], { authzid })]).catch((e: unknown) => e);
        expect(err, authzid).toMatchObject({ opaqueError: 'invalid-authzid' });
        c.close();
      }
    });

    it('<abort/> mid-exchange → aborted, acknowledged as [failure, null]', async () => {
      const c = await connect(s.server);
      const sm = new SASLStateMachine(new XmppSASLInterface(c.transport));
      const [state] = await sm.initiate('SCRAM-SHA-256', new TextEncoder().encode('n,,n=user,r=abcdefghijklmnop'));
      expect(state).toBe('challenge');
      expect(await sm.abort()).toEqual(['failure', null]);
      // The server is ready for a new attempt.
      expect(await c.authenticate([new SCRAM(() => ['user', 'pencil'])])).toMatch(/^SCRAM-/);
      c.close();
    });

    it('<auth/> before STARTTLS → encryption-required', async () => {
      const c = await connect(s.server, 'none');
      const err = await rawAuth(c, 'SCRAM-SHA-256', new TextEncoder().encode('n,,n=user,r=abcdefghijklmnop'));
      expect(err).toMatchObject({ opaqueError: 'encryption-required' });
      c.close();
    });

    it('a stanza before authentication → stream error not-authorized, stream closed', async () => {
      const c = await connect(s.server);
      await c.transport.send(xmlElement('message', 'jabber:client', { to: 'x@localhost' }, [xmlElement('body', 'jabber:client', {}, ['hi'])]));
      const reply = await c.transport.receive();
      expect(reply).toMatchObject({ name: 'error', xmlns: 'http://etherx.jabber.org/streams' });
      expect(childElement(reply, 'not-authorized', 'urn:ietf:params:xml:ns:xmpp-streams')).not.toBeNull();
      await expect(c.transport.receive()).rejects.toBeInstanceOf(XmppStreamError);
    });

    it('after too many failed attempts → stream error policy-violation', async () => {
      const c = await connect(s.server);
      for (let i = 0; i < 5; i++) {
        await expect(c.authenticate([new PLAIN(() => ['user', `wrong${i}`])])).rejects.toBeInstanceOf(AuthenticationFailure);
      }
      const reply = await c.transport.receive();
      expect(childElement(reply, 'policy-violation', 'urn:ietf:params:xml:ns:xmpp-streams')).not.toBeNull();
    });

    it('a stray <response/> outside an exchange → failure, stream kept', async () => {
      const c = await connect(s.server);
      await c.transport.send(saslElement('response', null));
      const reply = await c.transport.receive();
      expect(reply.name).toBe('failure');
      expect(await c.authenticate([new PLAIN(() => ['user', 'pencil'])])).toBe('PLAIN');
      c.close();
    });
  });

  describe('XMPP over direct TLS (XEP-0368)', () => {
    it('connectXmpp with security implicit ↔ startXmppServer with implicitTLS, SCRAM-SHA-256-PLUS', async () => {
      const server = await startXmppServer({
        sasl: new SASLServer({ mechanisms: scramServerMechanisms({ hashes: ['SHA-256'] }), credentials: store }),
        domain: DOMAIN,
        tls: { key: cert.key, cert: cert.cert },
        implicitTLS: true,
        readTimeoutMs: 10_000,
      });
      servers.push(server);
      const c = await connectXmpp({ host: '127.0.0.1', port: server.port, domain: DOMAIN, security: 'implicit', tls: { ca: cert.cert }, readTimeoutMs: 10_000 });
      clients.push(c);
      expect(readStartTLS(c.features)).toBeNull();
      const cb = c.channelBinding({ policy: 'require' });
      expect(await c.authenticate([new SCRAMPLUS(() => ['user', 'pencil'], cb!)])).toBe('SCRAM-SHA-256-PLUS');
      expectBind(c);
      c.close();
    });
  });
});
