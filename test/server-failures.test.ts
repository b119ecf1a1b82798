// Every way an exchange can fail, with the condition (and SCRAM e= value)
// it must end in; the channel-binding rules; the enumeration defence;
// authorization; bounds; misuse of the exchange object.
import { describe, expect, it, vi } from 'vitest';
import { AuthenticationFailure, SASLError, SASLFailure, SCRAM, authenticate, type SASLCondition } from '../src/index.js';
import { base64Encode } from '../src/mechanism.js';
import {
  LoopbackInterface,
  MemoryCredentialStore,
  PLAINServer,
  SASLServer,
  SCRAMPLUSServer,
  SCRAMServer,
  type ServerConnection,
  type ServerExchange,
  type ServerResult,
} from '../src/server/index.js';
import { SECRET, cb, clientFinal, dec, enc, feed, makeServer, parseServerFirst, sharedStore } from './helpers/server.js';

const TLS: ServerConnection = { secure: true, channelBindings: [cb('tls-exporter')] };
const NONCE = 'clientnonce';

function expectFailure(result: ServerResult | undefined, condition: SASLCondition, data: string | null = null): void {
  expect(result?.kind).toBe('failure');
  if (result?.kind !== 'failure') return;
  expect(result.condition).toBe(condition);
  expect(dec(result.data)).toBe(data);
}

/**
 * One test per case, named `${prefix}${what} → ${condition}`: `message` as
 * the client's first message to `mechanism` (on TLS) ends in `condition`.
 */
function firstMessageFails(mechanism: string, cases: ReadonlyArray<readonly [string, Uint8Array | string, SASLCondition]>, prefix = ''): void {
  for (const [what, message, condition] of cases) {
    it(`${prefix}${what} → ${condition}`, async () => {
      const server = await makeServer();
      const [result] = await feed(server.start(mechanism, TLS), [message]);
      expectFailure(result, condition);
    });
  }
}

/**
 * A PLAIN exchange (`busy`) whose first step (`pending`, the right password)
 * waits on a credential lookup that hangs until `release()` (it then finds no user).
 */
function pendingPlainStep(): { busy: ServerExchange; pending: Promise<ServerResult>; release: () => void } {
  let release!: () => void;
  const slow = new SASLServer({
    mechanisms: [new PLAINServer()],
    credentials: { scramCredentials: () => new Promise((resolve) => (release = () => resolve(null))) },
  });
  const busy = slow.start('PLAIN', TLS);
  const pending = busy.step(enc('\0user\0pencil'));
  return { busy, pending, release: () => release() };
}

/** Run client-first, then build a client-final with `tweak`, and return the last result. */
async function scramFinal(
  options: { mechanism?: string; connection?: ServerConnection; user?: string; password?: string; gs2?: string; cbData?: Uint8Array; tweak?: (m: string) => string; nonce?: string },
): Promise<ServerResult> {
  const server = await makeServer();
  const mechanism = options.mechanism ?? 'SCRAM-SHA-256';
  const gs2 = options.gs2 ?? 'n,,';
  const bare = `n=${options.user ?? 'user'},r=${NONCE}`;
  const exchange = server.start(mechanism, options.connection ?? TLS);
  const first = await exchange.step(enc(gs2 + bare));
  if (first.kind !== 'challenge') return first;
  const final = await clientFinal({
    hash: 'SHA-256',
    password: options.password ?? 'pencil',
    gs2Header: gs2,
    clientFirstBare: bare,
    serverFirst: first.data,
    ...(options.cbData ? { cbData: options.cbData } : {}),
    ...(options.nonce ? { nonce: options.nonce } : {}),
  });
  return exchange.step(enc((options.tweak ?? ((m) => m))(final.message)));
}

describe('server failures: SCRAM client-first-message', () => {
  const cases: Array<[string, Uint8Array | string, SASLCondition]> = [
    ['empty message', '', 'malformed-request'],
    ['invalid UTF-8', new Uint8Array([0x6e, 0x2c, 0x2c, 0xff]), 'incorrect-encoding'],
    ['NUL inside', 'n,,n=us\0er,r=abc', 'malformed-request'],
    ['no GS2 header', 'n=user,r=abc', 'malformed-request'],
    ['unknown flag', 'x,,n=user,r=abc', 'malformed-request'],
    ['bad cb-name', 'p=tls exporter,,n=user,r=abc', 'malformed-request'],
    ['authzid without a=', 'n,b=x,n=user,r=abc', 'malformed-request'],
    ['empty a=', 'n,a=,n=user,r=abc', 'malformed-request'],
    ['bad saslname escape', 'n,,n=us=er,r=abc', 'malformed-request'],
    ['mandatory extension m=', 'n,,m=ext,n=user,r=abc', 'malformed-request'],
    ['missing nonce', 'n,,n=user', 'malformed-request'],
    ['attributes out of order', 'n,,r=abc,n=user', 'malformed-request'],
    ['empty username', 'n,,n=,r=abc', 'malformed-request'],
    ['non-printable nonce', 'n,,n=user,r=a\u00e9', 'malformed-request'],
    ['trailing comma', 'n,,n=user,r=abc,', 'malformed-request'],
  ];
  firstMessageFails('SCRAM-SHA-256', cases);

  it('a username SASLprep refuses → malformed-request with e=invalid-username-encoding', async () => {
    const server = await makeServer();
    const [result] = await feed(server.start('SCRAM-SHA-256', TLS), ['n,,n=bad\u0007name,r=abc']);
    expectFailure(result, 'malformed-request', 'e=invalid-username-encoding');
  });

  it('accepts unknown extensions after the nonce', async () => {
    const server = await makeServer();
    const [result] = await feed(server.start('SCRAM-SHA-256', TLS), ['n,,n=user,r=abc,x=ext']);
    expect(result?.kind).toBe('challenge');
  });
});

describe('server failures: GS2 channel-binding rules (RFC 5802 §6)', () => {
  it("'y' while this server offers -PLUS on the connection → not-authorized (downgrade)", async () => {
    const server = await makeServer();
    const [result] = await feed(server.start('SCRAM-SHA-256', TLS), ['y,,n=user,r=abc']);
    expectFailure(result, 'not-authorized', 'e=server-does-support-channel-binding');
    // And through a real client that was told no -PLUS was offered:
    const intf = new LoopbackInterface(server, TLS);
    const err = await authenticate(intf, ['SCRAM-SHA-256'], [new SCRAM(() => ['user', 'pencil'], { afterScramPlus: true })]).catch((e: unknown) => e);
    // Final for the client: a detected downgrade must not fall back to a
    // weaker mechanism over the same, possibly intercepted, channel.
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
  });

  it("'y' is fine where no -PLUS is advertised (no binding on the connection, or no -PLUS configured)", async () => {
    const server = await makeServer();
    const intf = new LoopbackInterface(server, { secure: true });
    await authenticate(intf, ['SCRAM-SHA-256'], [new SCRAM(() => ['user', 'pencil'], { afterScramPlus: true })]);
    expect(intf.outcome?.authcid).toBe('user');
    const noPlus = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256')], credentials: await sharedStore() });
    const intf2 = new LoopbackInterface(noPlus, TLS);
    await authenticate(intf2, ['SCRAM-SHA-256'], [new SCRAM(() => ['user', 'pencil'], { afterScramPlus: true })]);
    expect(intf2.outcome?.authcid).toBe('user');
  });

  it('the c= of a y exchange must encode "y,," exactly', async () => {
    const result = await scramFinal({ connection: { secure: true }, gs2: 'y,,', tweak: (m) => m.replace(/^c=[^,]+/, `c=${base64Encode(enc('n,,'))}`) });
    expectFailure(result, 'not-authorized', 'e=channel-bindings-dont-match');
  });

  it("'p=' with a non-PLUS mechanism → malformed-request", async () => {
    const server = await makeServer();
    const [result] = await feed(server.start('SCRAM-SHA-256', TLS), ['p=tls-exporter,,n=user,r=abc']);
    expectFailure(result, 'malformed-request');
  });

  it("'n' or 'y' with a -PLUS mechanism → malformed-request", async () => {
    const server = await makeServer();
    for (const flag of ['n', 'y']) {
      const [result] = await feed(server.start('SCRAM-SHA-256-PLUS', TLS), [`${flag},,n=user,r=abc`]);
      expectFailure(result, 'malformed-request');
    }
  });

  it("'p=' with a type the connection cannot give → malformed-request, e=unsupported-channel-binding-type", async () => {
    const server = await makeServer();
    const [result] = await feed(server.start('SCRAM-SHA-256-PLUS', TLS), ['p=tls-unique,,n=user,r=abc']);
    expectFailure(result, 'malformed-request', 'e=unsupported-channel-binding-type');
    // Through the real client too.
    const intf = new LoopbackInterface(server, TLS);
    const err = await authenticate(intf, ['SCRAM-SHA-256-PLUS'], [new (await import('../src/index.js')).SCRAMPLUS(() => ['user', 'pencil'], cb('tls-unique'))]).catch((e: unknown) => e);
    expect((err as SASLFailure).opaqueError).toBe('malformed-request');
  });

  it('binding data that does not match → not-authorized, e=channel-bindings-dont-match', async () => {
    const result = await scramFinal({ mechanism: 'SCRAM-SHA-256-PLUS', gs2: 'p=tls-exporter,,', cbData: new Uint8Array(32).fill(8) });
    expectFailure(result, 'not-authorized', 'e=channel-bindings-dont-match');
    const ok = await scramFinal({ mechanism: 'SCRAM-SHA-256-PLUS', gs2: 'p=tls-exporter,,', cbData: new Uint8Array(32).fill(7) });
    expect(ok.kind).toBe('success');
  });

  it('a PLUS exchange whose c= omits the binding data → channel-bindings-dont-match', async () => {
    const result = await scramFinal({ mechanism: 'SCRAM-SHA-256-PLUS', gs2: 'p=tls-exporter,,' });
    expectFailure(result, 'not-authorized', 'e=channel-bindings-dont-match');
  });

  it('a provider that throws or gives nothing → temporary-auth-failure', async () => {
    const onInternalError = vi.fn();
    for (const provider of [
      { cbName: 'tls-exporter', extractCbData: (): Uint8Array => { throw new Error('no keying material'); } },
      { cbName: 'tls-exporter', extractCbData: () => new Uint8Array(0) },
    ]) {
      const server = await makeServer({ onInternalError });
      const exchange = server.start('SCRAM-SHA-256-PLUS', { secure: true, channelBindings: [provider] });
      const first = await exchange.step(enc('p=tls-exporter,,n=user,r=abc'));
      const final = await clientFinal({ hash: 'SHA-256', password: 'pencil', gs2Header: 'p=tls-exporter,,', clientFirstBare: 'n=user,r=abc', serverFirst: (first as { data: Uint8Array }).data });
      expectFailure(await exchange.step(enc(final.message)), 'temporary-auth-failure');
    }
    expect(onInternalError).toHaveBeenCalledTimes(1);
  });
});

describe('server failures: SCRAM client-final-message', () => {
  it('right password → success with the right v=', async () => {
    const result = await scramFinal({});
    expect(result.kind).toBe('success');
  });

  const cases: Array<[string, (m: string) => string, SASLCondition, string]> = [
    ['garbage', () => 'garbage', 'malformed-request', 'e=invalid-encoding'],
    ['a character outside base64 in the proof', (m) => m + '\u00e9', 'malformed-request', 'e=invalid-encoding'],
    ['bad base64 in c=', (m) => m.replace(/^c=[^,]+/, 'c=b!ws'), 'malformed-request', 'e=invalid-encoding'],
    ['non-canonical base64 in c=', (m) => m.replace(/^c=[^,]+/, 'c=bix='), 'malformed-request', 'e=invalid-encoding'],
    ['bad base64 in p=', (m) => m.replace(/p=.*$/, 'p=@@@@'), 'malformed-request', 'e=invalid-encoding'],
    ['missing proof', (m) => m.replace(/,p=.*$/, ''), 'malformed-request', 'e=invalid-encoding'],
    ['proof not last', (m) => m + ',x=1', 'malformed-request', 'e=invalid-encoding'],
    ['attributes out of order', (m) => m.replace(/^(c=[^,]+),(r=[^,]+)/, '$2,$1'), 'malformed-request', 'e=invalid-encoding'],
    ['wrong nonce', (m) => m.replace(/,r=([^,]+)/, ',r=$1x'), 'malformed-request', 'e=other-error'],
    ['client nonce only', (m) => m.replace(/,r=([^,]+)/, `,r=${NONCE}`), 'malformed-request', 'e=other-error'],
    ['c= for another GS2 header', (m) => m.replace(/^c=[^,]+/, 'c=eSws'), 'not-authorized', 'e=channel-bindings-dont-match'],
    ['proof of the wrong length', (m) => m.replace(/p=.*$/, 'p=AAAA'), 'not-authorized', 'e=invalid-proof'],
    ['flipped proof', (m) => m.replace(/p=(.)/, (_, c: string) => `p=${c === 'A' ? 'B' : 'A'}`), 'not-authorized', 'e=invalid-proof'],
  ];
  for (const [what, tweak, condition, data] of cases) {
    it(`${what} → ${condition}, ${data}`, async () => {
      expectFailure(await scramFinal({ tweak }), condition, data);
    });
  }

  it('invalid UTF-8 → incorrect-encoding, e=invalid-encoding', async () => {
    const server = await makeServer();
    const results = await feed(server.start('SCRAM-SHA-256', TLS), [`n,,n=user,r=${NONCE}`, new Uint8Array([0x63, 0x3d, 0xff])]);
    expectFailure(results[1], 'incorrect-encoding', 'e=invalid-encoding');
  });

  it('wrong password → not-authorized, e=invalid-proof', async () => {
    expectFailure(await scramFinal({ password: 'wrong' }), 'not-authorized', 'e=invalid-proof');
  });

  it('an empty response to the final challenge is required when success data goes as a challenge', async () => {
    const server = await makeServer();
    const exchange = server.start('SCRAM-SHA-256', TLS, { successData: 'challenge' });
    const first = await exchange.step(enc(`n,,n=user,r=${NONCE}`));
    const final = await clientFinal({ hash: 'SHA-256', password: 'pencil', gs2Header: 'n,,', clientFirstBare: `n=user,r=${NONCE}`, serverFirst: (first as { data: Uint8Array }).data });
    const v = await exchange.step(enc(final.message));
    expect(v.kind === 'challenge' && dec(v.data)).toBe(final.serverSignature);
    expectFailure(await exchange.step(enc('x')), 'malformed-request');
  });
});

describe('server: enumeration defence', () => {
  async function serverFirstFor(user: string, server?: SASLServer, mechanism = 'SCRAM-SHA-256') {
    const s = server ?? (await makeServer());
    const [r] = await feed(s.start(mechanism, TLS), [`n,,n=${user},r=${NONCE}`]);
    expect(r?.kind).toBe('challenge');
    return parseServerFirst((r as { data: Uint8Array }).data);
  }

  it('an unknown user gets a stable salt, the default iteration count and a real-looking salt length', async () => {
    const a = await serverFirstFor('mallory');
    const b = await serverFirstFor('mallory');
    const known = await serverFirstFor('user');
    expect(base64Encode(a.salt)).toBe(base64Encode(b.salt));
    expect(a.iterations).toBe(4096);
    expect(a.iterations).toBe(known.iterations);
    expect(a.salt.length).toBe(known.salt.length);
    const other = await serverFirstFor('eve');
    expect(base64Encode(other.salt)).not.toBe(base64Encode(a.salt));
    // The same across servers sharing the secret, different under another secret.
    const twin = await serverFirstFor('mallory', await makeServer());
    expect(base64Encode(twin.salt)).toBe(base64Encode(a.salt));
    const stranger = await serverFirstFor('mallory', await makeServer({ secret: new Uint8Array(32).fill(1) }));
    expect(base64Encode(stranger.salt)).not.toBe(base64Encode(a.salt));
    // Per hash: SCRAM-SHA-512's fake count is that hash's default.
    expect((await serverFirstFor('mallory', undefined, 'SCRAM-SHA-512')).iterations).toBe(10000);
  });

  it('an unknown user fails exactly like a wrong password', async () => {
    const unknown = await scramFinal({ user: 'mallory', password: 'pencil' });
    const wrong = await scramFinal({ user: 'user', password: 'wrong' });
    // Identical but for the name each client tried (server-side, for the throttle).
    expect({ ...unknown, authcid: 'x' }).toEqual({ ...wrong, authcid: 'x' });
    expectFailure(unknown, 'not-authorized', 'e=invalid-proof');
  });

  it('a user without a verifier for this hash looks unknown too', async () => {
    const server = await makeServer();
    const [r] = await feed(server.start('SCRAM-SHA-512', TLS), [`n,,n=ünï=2Ccödé=3Dx,r=${NONCE}`]);
    expect(r?.kind).toBe('challenge');
  });

  it('PLAIN: unknown user and wrong password give the same failure', async () => {
    const server = await makeServer();
    const [unknown] = await feed(server.start('PLAIN', TLS), ['\0mallory\0pencil']);
    const [wrong] = await feed(server.start('PLAIN', TLS), ['\0user\0wrong']);
    // Identical but for the name each client tried (server-side, for the throttle).
    expect({ ...unknown, authcid: 'x' }).toEqual({ ...wrong, authcid: 'x' });
    expectFailure(unknown, 'not-authorized');
  });

  it('honours unknownUserIterations and unknownUserSaltLength', async () => {
    const server = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256', { unknownUserIterations: 65536, unknownUserSaltLength: 12 })], secret: SECRET });
    const sf = await serverFirstFor('nobody', server);
    expect(sf.iterations).toBe(65536);
    expect(sf.salt.length).toBe(12);
  });
});

describe('server failures: PLAIN and ANONYMOUS', () => {
  const plain: Array<[string, Uint8Array | string, SASLCondition]> = [
    ['no NUL', 'userpencil', 'malformed-request'],
    ['one NUL', 'user\0pencil', 'malformed-request'],
    ['three NULs', '\0user\0pen\0cil', 'malformed-request'],
    ['empty authcid', '\0\0pencil', 'malformed-request'],
    ['empty password', '\0user\0', 'malformed-request'],
    ['empty message', '', 'malformed-request'],
    ['invalid UTF-8', new Uint8Array([0, 0x75, 0, 0xc3, 0x28]), 'incorrect-encoding'],
    ['password SASLprep refuses', '\0user\0pen\u0007cil', 'malformed-request'],
    ['password empty after SASLprep', '\0user\0\u00ad', 'malformed-request'],
    ['wrong password', '\0user\0wrong', 'not-authorized'],
    ['unknown user', '\0nobody\0pencil', 'not-authorized'],
    ['other authzid', 'admin\0user\0pencil', 'invalid-authzid'],
  ];
  firstMessageFails('PLAIN', plain, 'PLAIN ');

  const anonymous: Array<[string, Uint8Array | string, SASLCondition]> = [
    ['invalid UTF-8', new Uint8Array([0xff]), 'incorrect-encoding'],
    ['prohibited character', 'trace\u0000', 'malformed-request'],
    ['over 255 characters', 'x'.repeat(256), 'malformed-request'],
  ];
  firstMessageFails('ANONYMOUS', anonymous, 'ANONYMOUS ');
});

describe('server: authorization', () => {
  it('the default allows an empty or equal authzid only', async () => {
    const server = await makeServer();
    expect((await feed(server.start('PLAIN', TLS), ['user\0user\0pencil']))[0]?.kind).toBe('success');
    expectFailure((await feed(server.start('PLAIN', TLS), ['User\0user\0pencil']))[0], 'invalid-authzid');
  });

  it('a hook can allow, refuse, attach claims, or refuse with its own condition', async () => {
    const server = await makeServer({
      authorize: (req) => {
        if (req.authcid === 'user' && req.authzid === 'disabled') throw new SASLFailure('account-disabled', 'locked');
        if (req.authzid === 'boom') throw new Error('database down');
        if (req.authzid === 'odd') return 'yes' as unknown as boolean;
        return { claims: { via: req.mechanism, tls: req.connection.secure } };
      },
    });
    const [ok] = await feed(server.start('PLAIN', TLS), ['anyone\0user\0pencil']);
    expect(ok?.kind === 'success' && ok.outcome).toEqual({ mechanism: 'PLAIN', authcid: 'user', authzid: 'anyone', channelBinding: null, claims: { via: 'PLAIN', tls: true } });
    expectFailure((await feed(server.start('PLAIN', TLS), ['disabled\0user\0pencil']))[0], 'account-disabled');
    expectFailure((await feed(server.start('PLAIN', TLS), ['boom\0user\0pencil']))[0], 'temporary-auth-failure');
    expectFailure((await feed(server.start('PLAIN', TLS), ['odd\0user\0pencil']))[0], 'invalid-authzid');
  });

  it('runs only after the credentials were proven', async () => {
    const authorize = vi.fn(() => true);
    const server = await makeServer({ authorize });
    await feed(server.start('PLAIN', TLS), ['\0user\0wrong']);
    expect(authorize).not.toHaveBeenCalled();
  });

  it('the outcome is frozen', async () => {
    const server = await makeServer();
    const [r] = await feed(server.start('PLAIN', TLS), ['\0user\0pencil']);
    expect(r?.kind === 'success' && Object.isFrozen(r.outcome) && Object.isFrozen(r.outcome.claims)).toBe(true);
  });
});

describe('server: mechanism selection and bounds', () => {
  it('an unknown or unavailable mechanism fails on the first step', async () => {
    const server = await makeServer();
    expectFailure((await feed(server.start('DIGEST-MD5', TLS), [null]))[0], 'invalid-mechanism');
    expectFailure((await feed(server.start('SCRAM-SHA-256-PLUS', { secure: true }), [null]))[0], 'invalid-mechanism');
    expectFailure((await feed(server.start('PLAIN', { secure: false }), ['\0user\0pencil']))[0], 'encryption-required');
  });

  it('mechanism names are ASCII case-insensitive', async () => {
    const server = await makeServer();
    const exchange = server.start('plain', TLS);
    expect(exchange.mechanism).toBe('PLAIN');
    expect((await feed(exchange, ['\0user\0pencil']))[0]?.kind).toBe('success');
    expectFailure((await feed(server.start('ſcram-sha-256', TLS), [null]))[0], 'invalid-mechanism');
  });

  it('a mechanism that must go second answers an absent initial response with an empty challenge', async () => {
    const server = await makeServer();
    for (const m of ['PLAIN', 'ANONYMOUS', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']) {
      const [r] = await feed(server.start(m, TLS), [null]);
      expect(r?.kind === 'challenge' && r.data.length).toBe(0);
    }
  });

  it('refuses a message over maxMessageSize', async () => {
    const server = await makeServer({ maxMessageSize: 64 });
    expectFailure((await feed(server.start('PLAIN', TLS), [`\0user\0${'p'.repeat(60)}`]))[0], 'malformed-request');
    expect((await feed(server.start('PLAIN', TLS), ['\0user\0pencil']))[0]?.kind).toBe('success');
  });

  it('refuses more than maxSteps messages', async () => {
    const server = await makeServer({ maxSteps: 2 });
    const results = await feed(server.start('SCRAM-SHA-256', TLS), [null, `n,,n=user,r=${NONCE}`, 'c=biws,r=x,p=AAAA']);
    expect(results.map((r) => r.kind)).toEqual(['challenge', 'challenge', 'failure']);
    expectFailure(results[2], 'malformed-request');
  });

  it('throws SASLError on misuse: step after the end, concurrent steps, null later, non-bytes', async () => {
    const server = await makeServer();
    const done = server.start('PLAIN', TLS);
    await done.step(enc('\0user\0pencil'));
    expect(done.done).toBe(true);
    await expect(done.step(enc('again'))).rejects.toBeInstanceOf(SASLError);

    const scram = server.start('SCRAM-SHA-256', TLS);
    await scram.step(null);
    await expect(scram.step(null)).rejects.toBeInstanceOf(SASLError);
    await expect(scram.step('text' as unknown as Uint8Array)).rejects.toBeInstanceOf(SASLError);

    const { busy, pending, release } = pendingPlainStep();
    await expect(busy.step(enc('x'))).rejects.toBeInstanceOf(SASLError);
    release();
    expectFailure(await pending, 'not-authorized');
  });

  it('abort ends the exchange with aborted, even while a step is pending', async () => {
    const server = await makeServer();
    const exchange = server.start('SCRAM-SHA-256', TLS);
    await exchange.step(null);
    expectFailure(exchange.abort(), 'aborted');
    expect(exchange.done).toBe(true);
    await expect(exchange.step(enc('x'))).rejects.toBeInstanceOf(SASLError);

    const { busy, pending, release } = pendingPlainStep();
    expectFailure(busy.abort(), 'aborted');
    release();
    expectFailure(await pending, 'aborted');
  });

  it('a store that throws or returns garbage gives temporary-auth-failure and reports it', async () => {
    const errors: unknown[] = [];
    for (const scramCredentials of [
      () => {
        throw new Error('connection refused');
      },
      () => [{ hash: 'SHA-256', salt: new Uint8Array(0), iterations: 1, storedKey: new Uint8Array(1), serverKey: new Uint8Array(1) }] as never,
    ]) {
      const server = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256'), new PLAINServer()], credentials: { scramCredentials }, onInternalError: (e) => errors.push(e) });
      expectFailure((await feed(server.start('SCRAM-SHA-256', TLS), [`n,,n=user,r=${NONCE}`]))[0], 'temporary-auth-failure');
    }
    expect(errors).toHaveLength(2);
    expect(String(errors[0])).toContain('connection refused');
  });

  it('refuses bad configuration with SASLError', () => {
    expect(() => new SASLServer({ mechanisms: [] })).toThrow(SASLError);
    expect(() => new SASLServer({ mechanisms: [new PLAINServer(), new PLAINServer()] })).toThrow(SASLError);
    expect(() => new SASLServer({ mechanisms: [new PLAINServer()], secret: new Uint8Array(8) })).toThrow(SASLError);
    expect(() => new SASLServer({ mechanisms: [new PLAINServer()], maxSteps: 0 })).toThrow(SASLError);
    expect(() => new SCRAMServer('MD5' as never)).toThrow(SASLError);
    expect(() => new SCRAMPLUSServer('SHA-256', { nonceLength: 0 })).toThrow(SASLError);
    const server = new SASLServer({ mechanisms: [new PLAINServer()] });
    expect(() => server.advertise({} as ServerConnection)).toThrow(SASLError);
    expect(() => server.advertise({ secure: true, channelBindings: [{}] } as unknown as ServerConnection)).toThrow(SASLError);
  });

  it('a custom mechanism needs only name, strength, flags and next(); a broken one fails safely', async () => {
    const errors: unknown[] = [];
    const echo = {
      name: 'X-ECHO',
      strength: 1,
      plaintext: false,
      channelBinding: false,
      start: () => ({
        next: async (r: Uint8Array | null) =>
          r === null ? { kind: 'challenge' as const, data: enc('who?') } : { kind: 'done' as const, data: null, identity: { authcid: dec(r), authzid: null, channelBinding: null } },
      }),
    };
    const broken = { ...echo, name: 'X-BROKEN', start: () => { throw new Error('bug'); } };
    const server = new SASLServer({ mechanisms: [echo, broken], onInternalError: (e) => errors.push(e) });
    const results = await feed(server.start('X-ECHO', TLS), [null, 'zoe']);
    expect(results.at(-1)).toMatchObject({ kind: 'success', outcome: { mechanism: 'X-ECHO', authcid: 'zoe', authzid: 'zoe' } });
    expectFailure((await feed(server.start('X-BROKEN', TLS), [null]))[0], 'temporary-auth-failure');
    expect(errors).toHaveLength(1);
    expect(() => new SASLServer({ mechanisms: [{ ...echo, name: 'x-lower' }] })).toThrow(SASLError);
  });

  it('an empty default store knows nobody', async () => {
    const server = new SASLServer({ mechanisms: [new PLAINServer()] });
    expectFailure((await feed(server.start('PLAIN', TLS), ['\0user\0pencil']))[0], 'not-authorized');
    expect(new MemoryCredentialStore().scramCredentials('user')).toBeNull();
  });
});
