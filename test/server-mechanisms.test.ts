// saslkit client ↔ saslkit server, in process, for every mechanism and hash,
// with and without initial responses, with success data inline or as a
// final challenge. The SCRAM clients check the server signature, so each
// success also proves the server's `v=`.
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, AuthenticationFailure, PLAIN, SASLFailure, SASLStateMachine, SCRAM, SCRAMPLUS, authenticate, type HashName } from '../src/index.js';
import { base64Decode } from '../src/mechanism.js';
import { ANONYMOUSServer, LoopbackInterface, MemoryCredentialStore, PLAINServer, SASLServer, SCRAMPLUSServer, SCRAMServer, scramServerMechanisms, type ServerConnection } from '../src/server/index.js';
import { deriveScramCredentials } from '../src/server/credentials/scram.js';
import { xmppAuthzidOf } from '../src/protocols/xmpp/authzid.js';
import { ALL_HASHES, SECRET, cb, dec, enc, feed, makeServer } from './helpers/server.js';

const TLS: ServerConnection = { secure: true, channelBindings: [cb('tls-exporter'), cb('tls-server-end-point', 9)] };
const MODES = [
  { initialResponse: true, successData: 'inline' },
  { initialResponse: false, successData: 'inline' },
  { initialResponse: true, successData: 'challenge' },
  { initialResponse: false, successData: 'challenge' },
] as const;

describe('server: advertising', () => {
  it('lists every mechanism strongest first over TLS with channel binding', async () => {
    const server = await makeServer();
    expect(server.advertise(TLS)).toEqual([
      'SCRAM-SHA3-512-PLUS',
      'SCRAM-SHA-512-PLUS',
      'SCRAM-SHA-256-PLUS',
      'SCRAM-SHA-1-PLUS',
      'SCRAM-SHA3-512',
      'SCRAM-SHA-512',
      'SCRAM-SHA-256',
      'SCRAM-SHA-1',
      'PLAIN',
      'ANONYMOUS',
    ]);
  });

  it('drops -PLUS without channel binding and PLAIN without a secure channel', async () => {
    const server = await makeServer();
    expect(server.advertise({ secure: true })).toEqual(['SCRAM-SHA3-512', 'SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN', 'ANONYMOUS']);
    expect(server.advertise({ secure: false })).toEqual(['SCRAM-SHA3-512', 'SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'ANONYMOUS']);
    expect(server.advertise({ secure: false, channelBindings: [cb('tls-unique')] })).toContain('SCRAM-SHA-256-PLUS');
  });

  it('offers PLAIN over an insecure channel only when explicitly allowed', async () => {
    const server = await makeServer({ allowInsecurePlaintext: true });
    expect(server.advertise({ secure: false })).toContain('PLAIN');
    const intf = new LoopbackInterface(server, { secure: false });
    await authenticate(intf, ['PLAIN'], [new PLAIN(() => ['user', 'pencil'], { allowInsecureChannel: true })]);
    expect(intf.outcome?.authcid).toBe('user');
  });

  it('orders by strength whatever the configured order', () => {
    const server = new SASLServer({ mechanisms: [new ANONYMOUSServer(), new PLAINServer(), new SCRAMServer('SHA-1'), new SCRAMPLUSServer('SHA-1'), new SCRAMServer('SHA-512')] });
    expect(server.advertise(TLS)).toEqual(['SCRAM-SHA-1-PLUS', 'SCRAM-SHA-512', 'SCRAM-SHA-1', 'PLAIN', 'ANONYMOUS']);
    expect(server.mechanisms.map((m) => m.name)).toEqual(['SCRAM-SHA-1-PLUS', 'SCRAM-SHA-512', 'SCRAM-SHA-1', 'PLAIN', 'ANONYMOUS']);
  });
});

describe('server: SCRAM client ↔ server for every hash', () => {
  for (const hash of ALL_HASHES) {
    for (const mode of MODES) {
      const label = `${mode.initialResponse ? 'IR' : 'no IR'}, success data ${mode.successData}`;
      it(`SCRAM-${hash} (${label})`, async () => {
        const server = await makeServer();
        const intf = new LoopbackInterface(server, TLS, mode);
        const used = await authenticate(intf, [`SCRAM-${hash}`], [new SCRAM(() => ['user', 'pencil'])]);
        expect(used).toBe(`SCRAM-${hash}`);
        expect(intf.outcome).toEqual({ mechanism: `SCRAM-${hash}`, authcid: 'user', authzid: 'user', channelBinding: null, claims: {} });
        const kinds = intf.results.map((r) => r.kind);
        const expected = [...(mode.initialResponse ? [] : ['challenge']), 'challenge', ...(mode.successData === 'challenge' ? ['challenge'] : []), 'success'];
        expect(kinds).toEqual(expected);
      });
      it(`SCRAM-${hash}-PLUS over tls-exporter (${label})`, async () => {
        const server = await makeServer();
        const intf = new LoopbackInterface(server, TLS, mode);
        const used = await authenticate(intf, server.advertise(TLS), [new SCRAMPLUS(() => ['user', 'pencil'], cb('tls-exporter'), { hashes: [hash] })]);
        expect(used).toBe(`SCRAM-${hash}-PLUS`);
        expect(intf.outcome).toMatchObject({ mechanism: `SCRAM-${hash}-PLUS`, authcid: 'user', channelBinding: 'tls-exporter' });
      });
    }
  }

  it('binds to any type the connection offers (tls-server-end-point)', async () => {
    const server = await makeServer();
    const intf = new LoopbackInterface(server, TLS);
    await authenticate(intf, ['SCRAM-SHA-256-PLUS'], [new SCRAMPLUS(() => ['user', 'pencil'], cb('tls-server-end-point', 9))]);
    expect(intf.outcome?.channelBinding).toBe('tls-server-end-point');
  });

  it('escapes and SASLpreps user names (",", "=", non-ASCII)', async () => {
    const server = await makeServer();
    const intf = new LoopbackInterface(server, TLS);
    // U+00AD SOFT HYPHEN maps to nothing under SASLprep; NFKC folds the fullwidth letter.
    await authenticate(intf, ['SCRAM-SHA-256'], [new SCRAM(() => ['ünï,cö\u00addé=x', 'pässwörd'])]);
    expect(intf.outcome?.authcid).toBe('ünï,cödé=x');
    const intf2 = new LoopbackInterface(server, TLS);
    await authenticate(intf2, ['SCRAM-SHA-256'], [new SCRAM(() => ['user', 'p\uff45ncil'])]);
    expect(intf2.outcome?.authcid).toBe('user');
  });

  it('carries an authzid through authorization', async () => {
    const server = await makeServer({ authorize: ({ authcid, authzid }) => (authcid === 'user' && authzid === 'admin' ? { claims: { role: 'admin' } } : authzid === null) });
    const intf = new LoopbackInterface(server, TLS);
    await authenticate(intf, ['SCRAM-SHA-256'], [new SCRAM(() => ['user', 'pencil'], { authzid: 'admin' })]);
    expect(intf.outcome).toEqual({ mechanism: 'SCRAM-SHA-256', authcid: 'user', authzid: 'admin', channelBinding: null, claims: { role: 'admin' } });
  });

  it('rejects a wrong password as an AuthenticationFailure(not-authorized) on the client', async () => {
    const server = await makeServer();
    const intf = new LoopbackInterface(server, TLS);
    const err = await authenticate(intf, ['SCRAM-SHA-256'], [new SCRAM(() => ['user', 'wrong'])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    const last = intf.results.at(-1)!;
    expect(last.kind === 'failure' && dec(last.data)).toBe('e=invalid-proof');
  });
});

describe('server: RFC test vectors, server side byte for byte', () => {
  it('RFC 5802 §5 SCRAM-SHA-1', async () => {
    const credentials = new MemoryCredentialStore();
    credentials.addCredentials('user', 'SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=');
    const server = new SASLServer({ mechanisms: [new SCRAMServer('SHA-1', { generateNonce: () => '3rfcNHYJY1ZVvWVs7j' })], credentials });
    const results = await feed(server.start('SCRAM-SHA-1', { secure: false }), [
      'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    ]);
    expect(results.map((r) => [r.kind, dec(r.kind === 'failure' ? null : r.data)])).toEqual([
      ['challenge', 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'],
      ['success', 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ='],
    ]);
  });

  it('RFC 7677 §3 SCRAM-SHA-256', async () => {
    const credentials = new MemoryCredentialStore();
    credentials.addCredentials('user', await deriveScramCredentials('pencil', { hash: 'SHA-256', iterations: 4096, salt: base64Decode('W22ZaJ0SNY7soEsUEjb6gQ==') }));
    const server = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256', { generateNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' })], credentials });
    const results = await feed(server.start('SCRAM-SHA-256', { secure: false }), [
      'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    ]);
    expect(results.map((r) => [r.kind, dec(r.kind === 'failure' ? null : r.data)])).toEqual([
      ['challenge', 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'],
      ['success', 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='],
    ]);
  });
});

describe('server: SCRAM nonces (conservative in what it sends, liberal in what it accepts)', () => {
  let printable = '';
  for (let c = 0x21; c <= 0x7e; c++) if (c !== 0x2c) printable += String.fromCharCode(c);

  it('appends letters and digits only to the client nonce, over many exchanges', async () => {
    const credentials = new MemoryCredentialStore();
    credentials.addCredentials('user', await deriveScramCredentials('pencil', { hash: 'SHA-256', iterations: 4096, salt: base64Decode('W22ZaJ0SNY7soEsUEjb6gQ==') }));
    const server = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256')], credentials });
    for (let i = 0; i < 300; i++) {
      const [first] = await feed(server.start('SCRAM-SHA-256', { secure: false }), ['n,,n=user,r=abc']);
      const text = dec(first!.kind === 'failure' ? null : first!.data) ?? '';
      const m = /^r=abc([^,]*),s=/.exec(text);
      expect(m, text).not.toBeNull();
      expect(m![1]).toMatch(/^[A-Za-z0-9]{24}$/);
    }
  });

  it('accepts a client nonce of any printable character but comma', async () => {
    const server = await makeServer();
    for (const nonce of [printable, '"', '\\"=\'', '<&>']) {
      const intf = new LoopbackInterface(server, TLS, { initialResponse: true, successData: 'inline' });
      await authenticate(intf, ['SCRAM-SHA-256'], [new SCRAM(() => ['user', 'pencil'], { generateNonce: () => nonce })]);
      expect(intf.outcome?.authcid).toBe('user');
    }
  });
});

describe('server: an authzid naming the user is prepared like the authcid (issue 9 kind 2)', () => {
  const NBSP = 'first\u00A0last';
  async function firstLastServer(): Promise<SASLServer> {
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('first last', 'pencil', { iterations: 4096 });
    return new SASLServer({ mechanisms: [...scramServerMechanisms({ plus: false }), new PLAINServer()], credentials });
  }

  it('PLAIN first\\u00A0last NUL first\\u00A0last NUL pencil authenticates the stored user "first last"', async () => {
    const server = await firstLastServer();
    const results = await feed(server.start('PLAIN', { secure: true }), [`${NBSP}\0${NBSP}\0pencil`]);
    expect(results.at(-1)).toMatchObject({ kind: 'success', outcome: { authcid: 'first last', authzid: 'first last' } });
    // Other non-ASCII spaces and "mapped to nothing" characters prepare the same way.
    for (const authzid of ['first\u2003last', 'fi\u00ADrst last', 'first\u3000last']) {
      const r = await feed(server.start('PLAIN', { secure: true }), [`${authzid}\0first last\0pencil`]);
      expect(r.at(-1), authzid).toMatchObject({ kind: 'success', outcome: { authzid: 'first last' } });
    }
  });

  it('SCRAM a= and saslkit\'s own SCRAM client with authzid, for every hash', async () => {
    const server = await firstLastServer();
    for (const hash of ALL_HASHES) {
      const intf = new LoopbackInterface(server, { secure: true });
      const mech = await authenticate(intf, server.advertise({ secure: true }), [new SCRAM(() => [NBSP, 'pencil'], { authzid: NBSP, hashes: [hash] })]);
      expect(mech).toBe(`SCRAM-${hash}`);
      expect(intf.outcome).toMatchObject({ authcid: 'first last', authzid: 'first last' });
    }
  });

  it('an authzid that is someone else, or that SASLprep refuses, is still invalid-authzid', async () => {
    const server = await firstLastServer();
    for (const authzid of ['first  last', 'First last', 'first last\u0007', 'first@example.test']) {
      const r = await feed(server.start('PLAIN', { secure: true }), [`${authzid}\0first last\0pencil`]);
      expect(r.at(-1), JSON.stringify(authzid)).toMatchObject({ kind: 'failure', condition: 'invalid-authzid' });
    }
  });

  it('the protocol adapter says what an authzid denotes (ExchangeOptions.authzidOf); one that throws means "no one"', async () => {
    const server = await firstLastServer();
    const jid = (authzid: string) => (authzid.endsWith('@example.test') ? authzid.slice(0, -'@example.test'.length) : null);
    const ok = await feed(server.start('PLAIN', { secure: true }, { authzidOf: jid }), [`${NBSP}@example.test\0first last\0pencil`]);
    expect(ok.at(-1)).toMatchObject({ kind: 'success', outcome: { authzid: 'first last' } });
    const none = await feed(server.start('PLAIN', { secure: true }, { authzidOf: jid }), ['first last\0first last\0pencil']);
    expect(none.at(-1)).toMatchObject({ kind: 'failure', condition: 'invalid-authzid' });
    const throwing = () => {
      throw new Error('policy bug');
    };
    const no = await feed(server.start('PLAIN', { secure: true }, { authzidOf: throwing }), ['first last\0first last\0pencil']);
    expect(no.at(-1)).toMatchObject({ kind: 'failure', condition: 'invalid-authzid' });
  });

  it('a custom authorizer sees authzidIsSelf', async () => {
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('first last', 'pencil', { iterations: 4096 });
    const seen: boolean[] = [];
    const server = new SASLServer({
      mechanisms: [new PLAINServer()],
      credentials,
      authorize: (req) => {
        seen.push(req.authzidIsSelf);
        return true;
      },
    });
    await feed(server.start('PLAIN', { secure: true }), [`${NBSP}\0first last\0pencil`]);
    const other = await feed(server.start('PLAIN', { secure: true }), ['admin\0first last\0pencil']);
    expect(seen).toEqual([true, false]);
    expect(other.at(-1)).toMatchObject({ kind: 'success', outcome: { authcid: 'first last', authzid: 'admin' } });
  });
});

describe('xmppAuthzidOf: an XMPP authzid is a bare JID (RFC 6120 §6.3.8)', () => {
  const of = xmppAuthzidOf('Example.TEST.');
  it.each([
    ['user@example.test', 'user'],
    ['user@EXAMPLE.test', 'user'],
    ['user@example.test.', 'user'],
    ['user', 'user'],
    ['us\u00ADer@example.test', 'us\u00ADer'],
    ['user@example.test/res', null],
    ['user@other.test', null],
    ['@example.test', null],
    ['user@example.test@example.test', null],
  ])('%j denotes %j', (authzid, expected) => {
    expect(of(authzid)).toBe(expected);
  });
});

describe('server: PLAIN', () => {
  for (const mode of MODES.filter((m) => m.successData === 'inline')) {
    it(`authenticates against SCRAM verifiers (${mode.initialResponse ? 'IR' : 'no IR: empty challenge first'})`, async () => {
      const server = await makeServer();
      const intf = new LoopbackInterface(server, TLS, mode);
      await authenticate(intf, server.advertise(TLS), [new PLAIN(() => ['user', 'pencil'])]);
      expect(intf.outcome).toEqual({ mechanism: 'PLAIN', authcid: 'user', authzid: 'user', channelBinding: null, claims: {} });
      if (!mode.initialResponse) {
        const first = intf.results[0]!;
        expect(first.kind === 'challenge' && first.data.length).toBe(0);
      }
    });
  }

  it('prepares the authcid and password with SASLprep (RFC 4616 §2)', async () => {
    const server = await makeServer();
    const intf = new LoopbackInterface(server, TLS);
    await authenticate(intf, ['PLAIN'], [new PLAIN(() => ['u\u00adser', 'pen\u00adcil'])]);
    expect(intf.outcome?.authcid).toBe('user');
  });

  it('uses a store’s verifyPassword when it has one', async () => {
    const seen: string[] = [];
    const server = new SASLServer({
      mechanisms: [new PLAINServer()],
      credentials: {
        scramCredentials: () => null,
        verifyPassword: (u, p) => {
          seen.push(`${u}:${p}`);
          return u === 'ldap' && p === 'secret pass';
        },
      },
    });
    const intf = new LoopbackInterface(server, TLS);
    // U+00A0 NO-BREAK SPACE maps to SPACE.
    await authenticate(intf, ['PLAIN'], [new PLAIN(() => ['ldap', 'secret\u00a0pass'])]);
    expect(intf.outcome?.authcid).toBe('ldap');
    expect(seen).toEqual(['ldap:secret pass']);
  });

  it('authorizes an authzid equal to the authcid and refuses another with invalid-authzid', async () => {
    const server = await makeServer();
    const ok = new LoopbackInterface(server, TLS);
    await authenticate(ok, ['PLAIN'], [new PLAIN(() => ['user', 'pencil'], { authzid: 'user' })]);
    expect(ok.outcome?.authzid).toBe('user');
    const bad = new LoopbackInterface(server, TLS);
    const err = await authenticate(bad, ['PLAIN'], [new PLAIN(() => ['user', 'pencil'], { authzid: 'root' })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as SASLFailure).opaqueError).toBe('invalid-authzid');
  });
});

describe('server: ANONYMOUS', () => {
  for (const token of ['sirhc@example.com', '', 'ünïcode tràce']) {
    it(`puts the trace token ${JSON.stringify(token)} in claims.traceToken`, async () => {
      const server = await makeServer();
      for (const mode of MODES) {
        const intf = new LoopbackInterface(server, { secure: false }, mode);
        await authenticate(intf, server.advertise({ secure: false }), [new ANONYMOUS(token)]);
        expect(intf.outcome).toEqual({ mechanism: 'ANONYMOUS', authcid: null, authzid: null, channelBinding: null, claims: { traceToken: token } });
      }
    });
  }
});

describe('server: negotiation end to end', () => {
  it('a client listing SCRAMPLUS, SCRAM, PLAIN picks the strongest -PLUS; without binding, plain SCRAM', async () => {
    const server = await makeServer();
    const creds = () => ['user', 'pencil'] as const;
    const impls = [new SCRAMPLUS(creds, cb('tls-exporter')), new SCRAM(creds), new PLAIN(creds)];
    const a = new LoopbackInterface(server, TLS);
    expect(await authenticate(a, server.advertise(TLS), impls)).toBe('SCRAM-SHA3-512-PLUS');
    const b = new LoopbackInterface(server, { secure: true });
    expect(await authenticate(b, server.advertise({ secure: true }), impls)).toBe('SCRAM-SHA3-512');
  });

  it('the state machine sees success with data folded into challenge + success', async () => {
    const server = await makeServer();
    const sm = new SASLStateMachine(new LoopbackInterface(server, TLS));
    const [state] = await sm.initiate('PLAIN', enc('\0user\0pencil'));
    expect(state).toBe('success');
  });

  it('works for every hash with the credential store holding a single verifier', async () => {
    for (const hash of ['SHA-1', 'SHA-512'] as HashName[]) {
      const credentials = new MemoryCredentialStore();
      await credentials.addUser('solo', 'pw', { hashes: [hash], iterations: 4096 });
      const server = new SASLServer({ mechanisms: [new SCRAMServer(hash), new PLAINServer()], credentials, secret: SECRET });
      const intf = new LoopbackInterface(server, { secure: true });
      await authenticate(intf, server.advertise({ secure: true }), [new SCRAM(() => ['solo', 'pw'], { enforceMinimumIterationCount: false })]);
      expect(intf.outcome?.mechanism).toBe(`SCRAM-${hash}`);
      const plain = new LoopbackInterface(server, { secure: true });
      await authenticate(plain, ['PLAIN'], [new PLAIN(() => ['solo', 'pw'])]);
      expect(plain.outcome?.authcid).toBe('solo');
    }
  });
});
