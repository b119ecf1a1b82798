// The SCRAM / SCRAM-PLUS client against an independent SCRAM server computed
// with node:crypto (test/helpers/scripted.ts), and every rejection path.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SASLError, SASLFailure, SASLStateMachine, SCRAM, SCRAMPLUS, authenticate, type ChannelBindingProvider, DEFAULT_MIN_ITERATION_COUNT, type SCRAMOptions } from '../src/index.js';
import { runMechanism } from '../src/mechanism.js';
import { ReferenceScramServer, NODE_HASH, referenceScramKeys, type ReferenceHash, type ReferenceScramOptions } from './helpers/scripted.js';
import { rejection as rejectionOf } from './helpers/errors.js';

const PASSWORD = 'Pa55-SECRET-w0rd';
const CNONCE = 'fyko+d2lbbFgONRv9qkxdawL';
const SALT = Uint8Array.from(Buffer.from('QSXCR+Q6sek8bf92', 'base64'));
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** A fixed, fake channel binding: what a TLS provider would give, without TLS. */
class FakeChannelBinding implements ChannelBindingProvider {
  constructor(
    readonly cbName: string = 'tls-exporter',
    readonly data: Uint8Array = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1),
  ) {}
  extractCbData(): Uint8Array {
    return this.data;
  }
}

type Client = SCRAM | SCRAMPLUS;

function scram(options: SCRAMOptions = {}, creds: readonly [string, string] = ['user', PASSWORD]): SCRAM {
  return new SCRAM(() => creds, { generateNonce: () => CNONCE, enforceMinimumIterationCount: false, ...options });
}

function server(options: Partial<ReferenceScramOptions> = {}): ReferenceScramServer {
  return new ReferenceScramServer({ hash: 'SHA-256', username: 'user', password: PASSWORD, salt: SALT, iterations: 16, ...options });
}

async function run(client: Client, srv: ReferenceScramServer, mechanism: string): Promise<SASLStateMachine> {
  expect(client.anySupported([mechanism])?.name).toBe(mechanism);
  const sm = new SASLStateMachine(srv);
  await runMechanism(client, sm, mechanism);
  return sm;
}

/** Expect `p` to reject; check the error never names the password; return it. */
async function rejection(p: Promise<unknown>, password = PASSWORD): Promise<SASLError> {
  const caught = await rejectionOf(p);
  expect(caught).toBeInstanceOf(SASLError);
  const err = caught as SASLError;
  expect(err.message).not.toContain(password);
  expect(String(err.text)).not.toContain(password);
  return err;
}

describe('SCRAM client: GS2 header and channel binding', () => {
  it('sends n,, and c=biws without channel binding', async () => {
    const srv = server();
    const sm = await run(scram(), srv, 'SCRAM-SHA-256');
    expect(sm.state).toBe('success');
    expect(srv.mechanism).toBe('SCRAM-SHA-256');
    expect(srv.gs2Header).toBe('n,,');
    expect(srv.clientFirstBare).toBe(`n=user,r=${CNONCE}`);
    expect(srv.clientFinal).toMatch(/^c=biws,r=/);
  });

  it('sends y,, (c=eSws) after a SCRAM-PLUS that the server did not offer', async () => {
    const srv = server();
    await run(scram({ afterScramPlus: true }), srv, 'SCRAM-SHA-256');
    expect(srv.gs2Header).toBe('y,,');
    expect(srv.clientFinal).toMatch(/^c=eSws,r=/);
  });

  it('sends p=<cb-name>,, and c=base64(header + cb data) for SCRAM-PLUS', async () => {
    const cb = new FakeChannelBinding();
    const srv = server({ cbData: cb.data });
    const client = new SCRAMPLUS(() => ['user', PASSWORD], cb, { generateNonce: () => CNONCE, enforceMinimumIterationCount: false });
    const sm = await run(client, srv, 'SCRAM-SHA-256-PLUS');
    expect(sm.state).toBe('success');
    expect(srv.gs2Header).toBe('p=tls-exporter,,');
    const c = Buffer.concat([Buffer.from('p=tls-exporter,,'), Buffer.from(cb.data)]).toString('base64');
    expect(srv.clientFinal!.startsWith(`c=${c},r=`)).toBe(true);
  });

  it('SCRAM-PLUS uses p= even when afterScramPlus is set, and supports async providers and other cb names', async () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    const cb: ChannelBindingProvider = { cbName: 'tls-server-end-point', extractCbData: async () => data };
    const srv = server({ cbData: data, hash: 'SHA-1' });
    await run(new SCRAMPLUS(() => ['user', PASSWORD], cb, { generateNonce: () => CNONCE, afterScramPlus: true, enforceMinimumIterationCount: false }), srv, 'SCRAM-SHA-1-PLUS');
    expect(srv.gs2Header).toBe('p=tls-server-end-point,,');
  });

  it('the proof is bound to the channel: a server seeing other cb data refuses it', async () => {
    const srv = server({ cbData: new Uint8Array(32) });
    const client = new SCRAMPLUS(() => ['user', PASSWORD], new FakeChannelBinding(), { generateNonce: () => CNONCE, enforceMinimumIterationCount: false });
    const err = await rejection(run(client, srv, 'SCRAM-SHA-256-PLUS'));
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(err.opaqueError).toBe('not-authorized');
  });

  it('refuses a bad channel-binding provider', async () => {
    expect(() => new SCRAMPLUS(() => ['u', 'p'], { cbName: 'bad name', extractCbData: () => new Uint8Array(1) })).toThrow(SASLError);
    expect(() => new SCRAMPLUS(() => ['u', 'p'], { cbName: 'a,b', extractCbData: () => new Uint8Array(1) })).toThrow(SASLError);
    expect(() => new SCRAMPLUS(() => ['u', 'p'], null as unknown as ChannelBindingProvider)).toThrow(SASLError);
    const throwing: ChannelBindingProvider = {
      cbName: 'tls-unique',
      extractCbData: () => {
        throw new Error('no TLS finished message yet');
      },
    };
    const srv1 = server();
    const e1 = await rejection(runMechanism(new SCRAMPLUS(() => ['user', PASSWORD], throwing), new SASLStateMachine(srv1), 'SCRAM-SHA-256-PLUS'));
    expect(e1).toBeInstanceOf(SASLFailure);
    expect(e1.text).toMatch(/tls-unique/);
    expect(srv1.ops).toEqual([]);
    const empty: ChannelBindingProvider = { cbName: 'tls-exporter', extractCbData: () => new Uint8Array(0) };
    const srv2 = server();
    expect(await rejection(runMechanism(new SCRAMPLUS(() => ['user', PASSWORD], empty), new SASLStateMachine(srv2), 'SCRAM-SHA-256-PLUS'))).toBeInstanceOf(SASLFailure);
    expect(srv2.ops).toEqual([]);
  });
});

describe('SCRAM client: authzid and saslname escaping', () => {
  it('sends a= with the authzid', async () => {
    const srv = server();
    await run(scram({ authzid: 'admin' }), srv, 'SCRAM-SHA-256');
    expect(srv.gs2Header).toBe('n,a=admin,');
    expect(srv.authzid).toBe('admin');
    expect(srv.clientFinal).toMatch(new RegExp(`^c=${Buffer.from('n,a=admin,').toString('base64')},`));
  });

  it('escapes , as =2C and = as =3D in the user name and the authzid', async () => {
    const srv = server({ username: 'us,er=1' });
    await run(scram({ authzid: 'a=b,c' }, ['us,er=1', PASSWORD]), srv, 'SCRAM-SHA-256');
    expect(srv.gs2Header).toBe('n,a=a=3Db=2Cc,');
    expect(srv.clientFirstBare).toBe(`n=us=2Cer=3D1,r=${CNONCE}`);
    expect(srv.authzid).toBe('a=b,c');
  });

  it('escapes in SCRAM-PLUS too, with c= covering the escaped header', async () => {
    const cb = new FakeChannelBinding('tls-unique', new Uint8Array([9, 9, 9]));
    const srv = server({ username: '=,', cbData: cb.data });
    const client = new SCRAMPLUS(() => ['=,', PASSWORD], cb, { authzid: ',', generateNonce: () => CNONCE, enforceMinimumIterationCount: false });
    await run(client, srv, 'SCRAM-SHA-256-PLUS');
    expect(srv.gs2Header).toBe('p=tls-unique,a==2C,');
    expect(srv.clientFirstBare).toBe(`n==3D=2C,r=${CNONCE}`);
  });

  it('refuses an empty authzid or one with NUL', () => {
    expect(() => scram({ authzid: '' })).toThrow(SASLError);
    expect(() => scram({ authzid: 'a\0b' })).toThrow(SASLError);
  });
});

describe('SCRAM client: SASLprep', () => {
  it('prepares the user name as a query: RFC 4013 §3 mappings, unassigned code points allowed', async () => {
    // I<SOFT HYPHEN>X → IX; <ROMAN NUMERAL NINE> → IX; <FEMININE ORDINAL> → a.
    for (const [raw, prepared] of [
      ['I\u00adX', 'IX'],
      ['\u2168', 'IX'],
      ['\u00aa', 'a'],
      ['user\u0221', 'user\u0221'], // U+0221 is unassigned in Unicode 3.2
    ] as const) {
      const srv = server({ username: prepared });
      await run(scram({}, [raw, PASSWORD]), srv, 'SCRAM-SHA-256');
      expect(srv.clientFirstBare).toBe(`n=${prepared},r=${CNONCE}`);
    }
  });

  it('prepares the password as a stored string before hashing it', async () => {
    // The server holds the prepared password "IX"; the client types I<SOFT HYPHEN>X.
    const srv = server({ password: 'IX' });
    await run(scram({}, ['user', 'I\u00adX']), srv, 'SCRAM-SHA-256');
    const nbsp = server({ password: 'pass word' });
    await run(scram({}, ['user', 'pass\u00a0word']), nbsp, 'SCRAM-SHA-256');
  });

  it('refuses an unassigned code point in the password (stored string) without naming it', async () => {
    const password = 'secret\u0221pw';
    const srv = server();
    const err = await rejection(run(scram({}, ['user', password]), srv, 'SCRAM-SHA-256'), password);
    expect(err).toBeInstanceOf(SASLFailure);
    expect(err.message).not.toContain('secret');
    expect(srv.ops).toEqual([]);
  });

  it('refuses prohibited characters and bad bidi, before sending anything', async () => {
    for (const [user, password] of [
      ['user', 'secret\u0007pw'],
      ['us\u0007er', PASSWORD],
      ['\u0627\u0031', PASSWORD],
      ['user', 'secret\u0627\u0031'],
      ['\u00ad', PASSWORD], // empty after preparation
    ] as const) {
      const srv = server();
      await rejection(run(scram({}, [user, password]), srv, 'SCRAM-SHA-256'), password);
      expect(srv.ops).toEqual([]);
    }
  });
});

describe('SCRAM client: mechanism selection', () => {
  const all = ['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'SCRAM-SHA3-512'];
  const plus = all.map((m) => `${m}-PLUS`);
  const cb = new FakeChannelBinding();

  it('picks the strongest offered hash', () => {
    const s = new SCRAM(() => ['u', 'p']);
    expect(s.anySupported(['SCRAM-SHA-1', 'SCRAM-SHA-256'])?.name).toBe('SCRAM-SHA-256');
    expect(s.anySupported(['SCRAM-SHA-512', 'SCRAM-SHA-1', 'SCRAM-SHA-256'])?.name).toBe('SCRAM-SHA-512');
    expect(s.anySupported(all)?.name).toBe('SCRAM-SHA3-512');
    expect(s.anySupported(['scram-sha-256', 'PLAIN'])?.name).toBe('SCRAM-SHA-256');
    expect(s.anySupported(['PLAIN', 'SCRAM-MD5', 'SCRAM-SHA-384'])).toBeNull();
  });

  it('SCRAM never picks -PLUS and SCRAMPLUS only picks -PLUS', () => {
    const s = new SCRAM(() => ['u', 'p']);
    const p = new SCRAMPLUS(() => ['u', 'p'], cb);
    expect(s.anySupported(plus)).toBeNull();
    expect(s.anySupported(['SCRAM-SHA-512-PLUS', 'SCRAM-SHA-1'])?.name).toBe('SCRAM-SHA-1');
    expect(p.anySupported(all)).toBeNull();
    expect(p.anySupported(['SCRAM-SHA-512', 'SCRAM-SHA-1-PLUS'])?.name).toBe('SCRAM-SHA-1-PLUS');
    expect(p.anySupported([...all, ...plus])?.name).toBe('SCRAM-SHA3-512-PLUS');
  });

  it('honours the hashes option', () => {
    const only256 = new SCRAM(() => ['u', 'p'], { hashes: ['SHA-256'] });
    expect(only256.anySupported(all)?.name).toBe('SCRAM-SHA-256');
    expect(only256.anySupported(['SCRAM-SHA-1', 'SCRAM-SHA-512'])).toBeNull();
    const noSha3 = new SCRAMPLUS(() => ['u', 'p'], cb, { hashes: ['SHA-1', 'SHA-512'] });
    expect(noSha3.anySupported(plus)?.name).toBe('SCRAM-SHA-512-PLUS');
    expect(() => new SCRAM(() => ['u', 'p'], { hashes: ['MD5' as 'SHA-1'] })).toThrow(SASLError);
  });

  it('refuses to run a mechanism it would not have picked', async () => {
    const srv = server();
    await rejection(runMechanism(new SCRAM(() => ['user', PASSWORD]), new SASLStateMachine(srv), 'SCRAM-SHA-256-PLUS'));
    await rejection(runMechanism(new SCRAM(() => ['user', PASSWORD], { hashes: ['SHA-1'] }), new SASLStateMachine(srv), 'SCRAM-SHA-256'));
    await rejection(runMechanism(new SCRAMPLUS(() => ['user', PASSWORD], cb), new SASLStateMachine(srv), 'SCRAM-SHA-256'));
    expect(srv.ops).toEqual([]);
  });
});

describe('SCRAM client: exchanges checked against node:crypto', () => {
  const cases: Array<[ReferenceHash, number]> = [
    ['SHA-1', 4096],
    ['SHA-256', 4096],
    ['SHA-512', 10000],
    ['SHA3-512', 10000],
  ];
  it.each(cases)('SCRAM-%s with the default minimum iteration count (%i)', async (hash, iterations) => {
    for (const finalAs of ['success', 'challenge'] as const) {
      const srv = server({ hash, iterations, finalAs, password: 'pencil' });
      const client = new SCRAM(() => ['user', 'pencil'], { generateNonce: () => CNONCE });
      const sm = await run(client, srv, `SCRAM-${hash}`);
      expect(sm.state).toBe('success');
      expect(srv.ops).toEqual(finalAs === 'success' ? ['initiate', 'respond'] : ['initiate', 'respond', 'respond']);

      // The proof, recomputed here from first principles with node:crypto.
      const name = NODE_HASH[hash];
      const keys = referenceScramKeys(hash, 'pencil', SALT, iterations);
      const withoutProof = srv.clientFinal!.replace(/,p=[^,]*$/, '');
      expect(withoutProof).toBe(`c=biws,r=${CNONCE}3rfcNHYJY1ZVvWVs7j`);
      const authMessage = `n=user,r=${CNONCE},${srv.serverFirst},${withoutProof}`;
      const signature = createHmac(name, keys.storedKey).update(authMessage).digest();
      const proof = Buffer.from(keys.clientKey.map((b, i) => b ^ signature[i]!));
      expect(srv.clientFinal).toBe(`${withoutProof},p=${proof.toString('base64')}`);
      expect(proof).toHaveLength(hash === 'SHA-1' ? 20 : hash === 'SHA-256' ? 32 : 64);
    }
  });

  it('accepts extensions after i= in server-first and after v= in server-final', async () => {
    const srv = server({ tamperServerFirst: (m) => `${m},x=future-ext`, tamperServerFinal: (m) => `${m},y=more` });
    expect((await run(scram(), srv, 'SCRAM-SHA-256')).state).toBe('success');
  });

  it('uses random nonces of the configured length, letters and digits only', async () => {
    for (const nonceLength of [undefined, 8, 64]) {
      const srv = server();
      await run(new SCRAM(() => ['user', PASSWORD], { nonceLength, enforceMinimumIterationCount: false }), srv, 'SCRAM-SHA-256');
      const nonce = /,r=(.*)$/.exec(srv.clientFirstBare!)![1]!;
      expect(nonce).toHaveLength(nonceLength ?? 24);
      expect(nonce).toMatch(/^[\x21-\x2b\x2d-\x7e]+$/);
      expect(nonce).toMatch(/^[A-Za-z0-9]+$/);
    }
    expect(() => new SCRAM(() => ['u', 'p'], { nonceLength: 0 })).toThrow(SASLError);
    expect(() => new SCRAM(() => ['u', 'p'], { nonceLength: 1.5 })).toThrow(SASLError);
  });

  it('accepts any RFC 5802 nonce from the server: every printable character but comma', async () => {
    // The whole `printable` set (0x21-0x7E less ','), in a few server nonces.
    let printable = '';
    for (let c = 0x21; c <= 0x7e; c++) if (c !== 0x2c) printable += String.fromCharCode(c);
    for (const serverNonce of [printable, '"', '\\"=\'<>&', '~}|{`_^]']) {
      const srv = server({ serverNonce });
      expect((await run(scram(), srv, 'SCRAM-SHA-256')).state).toBe('success');
      expect(srv.clientFinal).toContain(`,r=${CNONCE}${serverNonce},p=`);
    }
  });

  it('property: any server nonce of printable characters but comma is accepted', async () => {
    const printableChar = fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x2c).map((c) => String.fromCharCode(c));
    await fc.assert(
      fc.asyncProperty(fc.array(printableChar, { minLength: 1, maxLength: 64 }).map((a) => a.join('')), async (serverNonce) => {
        const srv = server({ serverNonce });
        return (await run(scram(), srv, 'SCRAM-SHA-256')).state === 'success';
      }),
      { numRuns: 200 },
    );
  });

  it('sends any printable nonce a caller generates (generateNonce), quotes included', async () => {
    let printable = '';
    for (let c = 0x21; c <= 0x7e; c++) if (c !== 0x2c) printable += String.fromCharCode(c);
    const srv = server();
    expect((await run(scram({ generateNonce: () => printable }), srv, 'SCRAM-SHA-256')).state).toBe('success');
    expect(srv.clientFirstBare).toBe(`n=user,r=${printable}`);
  });

  it('refuses a generated nonce that is not printable', async () => {
    for (const bad of ['', 'a,b', 'a b', 'caf\u00e9', 42 as unknown as string]) {
      const srv = server();
      await rejection(run(scram({ generateNonce: () => bad }), srv, 'SCRAM-SHA-256'));
      expect(srv.ops).toEqual([]);
    }
  });

  it('an instance is reusable: each exchange gets a fresh nonce', async () => {
    const client = new SCRAM(() => ['user', PASSWORD], { enforceMinimumIterationCount: false });
    const a = server();
    const b = server();
    await run(client, a, 'SCRAM-SHA-256');
    await run(client, b, 'SCRAM-SHA-256');
    expect(a.clientFirstBare).not.toBe(b.clientFirstBare);
  });
});

describe('SCRAM client: iteration count limits', () => {
  it.each([
    ['SHA-1', 4096],
    ['SHA-256', 4096],
    ['SHA-512', 4096],
    ['SHA3-512', 4096],
  ] as const)('refuses SCRAM-%s below %i by default, and aborts', async (hash, minimum) => {
    const srv = server({ hash, iterations: minimum - 1 });
    const client = new SCRAM(() => ['user', PASSWORD], { generateNonce: () => CNONCE });
    const err = await rejection(run(client, srv, `SCRAM-${hash}`));
    expect(err).toBeInstanceOf(SASLFailure);
    expect(err.text).toContain(`below the minimum of ${minimum} for ${hash}`);
    expect(srv.ops).toEqual(['initiate', 'abort']);
  });

  it('accepts 4096 for every hash by default, the 512-bit ones too (as a stock Cyrus SASL server announces)', async () => {
    expect(DEFAULT_MIN_ITERATION_COUNT).toBe(4096);
    for (const hash of ['SHA-1', 'SHA-256', 'SHA-512', 'SHA3-512'] as const) {
      const srv = server({ hash, iterations: 4096, password: 'pencil' });
      const client = new SCRAM(() => ['user', 'pencil'], { generateNonce: () => CNONCE });
      expect((await run(client, srv, `SCRAM-${hash}`)).state).toBe('success');
    }
  });

  it('with default options, logs in with SCRAM-SHA-512 at 4096 offered next to SCRAM-SHA-256 and PLAIN, never falling to PLAIN', async () => {
    const srv = server({ hash: 'SHA-512', iterations: 4096, password: 'pencil' });
    const mech = await authenticate(srv, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], [new SCRAM(() => ['user', 'pencil']), new PLAIN(() => ['user', 'pencil'])]);
    expect(mech).toBe('SCRAM-SHA-512');
    expect(srv.mechanism).toBe('SCRAM-SHA-512');
  });

  it('accepts a low count once the minimum is disabled', async () => {
    const srv = server({ hash: 'SHA-512', iterations: 1 });
    expect((await run(scram({ enforceMinimumIterationCount: false }), srv, 'SCRAM-SHA-512')).state).toBe('success');
  });

  it('refuses more than 100000 iterations by default, before computing anything', async () => {
    const err = await rejection(run(scram(), server({ iterations: 100001 }), 'SCRAM-SHA-256'));
    expect(err.text).toContain('exceeds the maximum of 100000');
    const huge = server({ iterations: 9999999999 });
    expect((await rejection(run(scram(), huge, 'SCRAM-SHA-256'))).text).toContain('exceeds the maximum');
    expect(huge.aborted).toBe(true);
  });

  it('accepts exactly 100000 by default', async () => {
    expect((await run(scram(), server({ hash: 'SHA-1', iterations: 100000 }), 'SCRAM-SHA-1')).state).toBe('success');
  });

  it('honours a configured maxIterationCount', async () => {
    expect((await rejection(run(scram({ maxIterationCount: 5000 }), server({ iterations: 5001 }), 'SCRAM-SHA-256'))).text).toContain(
      'exceeds the maximum of 5000',
    );
    expect((await run(scram({ maxIterationCount: 5000 }), server({ iterations: 5000 }), 'SCRAM-SHA-256')).state).toBe('success');
    expect(() => scram({ maxIterationCount: 0 })).toThrow(SASLError);
    expect(() => scram({ maxIterationCount: 1.5 })).toThrow(SASLError);
  });
});

describe('SCRAM client: server-first rejections (each aborts the exchange)', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const attr = (m: string, name: string) => new RegExp(`(?:^|,)${name}=([^,]*)`).exec(m)![1]!;
  const replace = (name: string, value: string) => (m: string) => m.replace(new RegExp(`(^|,)${name}=[^,]*`), `$1${name}=${value}`);

  const cases: Array<[string, (m: string) => string | Uint8Array, RegExp, string | null]> = [
    ['a nonce that does not extend ours', replace('r', 'someone-else-entirely'), /does not extend the client nonce/, null],
    ['a nonce that drops a character of ours', replace('r', `${CNONCE.slice(1)}xyz`), /does not extend/, null],
    ['a nonce equal to ours', replace('r', CNONCE), /does not extend/, null],
    ['a nonce with DEL', replace('r', `${CNONCE}ab\x7f`), /printable/, null],
    ['a nonce with a space', replace('r', `${CNONCE}a b`), /printable/, null],
    ['a nonce with non-ASCII', replace('r', `${CNONCE}\u00e9`), /printable/, null],
    ['a salt outside the base64 alphabet', replace('s', '!!!!'), /salt is not valid base64: character outside/, null],
    ['a salt of bad length', replace('s', 'QSXCR+Q6sek8bf9'), /salt is not valid base64: length/, null],
    ['a salt with misplaced padding', replace('s', 'QQ=A'), /salt is not valid base64: misplaced padding/, null],
    ['a non-canonical salt (non-zero trailing bits)', replace('s', 'QR=='), /salt is not valid base64: non-zero trailing bits/, null],
    ['a salt with whitespace', replace('s', 'QSXC R+Q6sek8bf92'), /salt is not valid base64/, null],
    ['a salt in base64url', replace('s', 'QSXCR-Q6sek8bf92'), /salt is not valid base64/, null],
    ['i=0', replace('i', '0'), /iteration count must be a positive decimal integer/, null],
    ['i with a leading zero', replace('i', '04096'), /positive decimal integer/, null],
    ['i with a + sign', replace('i', '+4096'), /positive decimal integer/, null],
    ['i with a - sign', replace('i', '-4096'), /positive decimal integer/, null],
    ['i as a decimal fraction', replace('i', '4096.0'), /positive decimal integer/, null],
    ['i with an exponent', replace('i', '1e4'), /positive decimal integer/, null],
    ['i in hex', replace('i', '0x1000'), /positive decimal integer/, null],
    ['i with spaces', replace('i', ' 4096'), /positive decimal integer/, null],
    ['i in Arabic-Indic digits', replace('i', '\u0664\u0660\u0669\u0666'), /positive decimal integer/, null],
    ['i with 11 digits', replace('i', '10000000000'), /positive decimal integer/, null],
    ['i larger than 2^32', replace('i', '4294967296'), /exceeds the maximum/, null],
    ['a mandatory extension m=', (m) => `m=must-understand,${m}`, /mandatory extension/, null],
    ['no i', (m) => m.replace(/,i=.*$/, ''), /lacks the 'i' attribute/, null],
    ['only r', (m) => m.replace(/,s=.*$/, ''), /lacks the 's' attribute/, null],
    ['s before r', (m) => `s=${attr(m, 's')},r=${attr(m, 'r')},i=16`, /expected 'r=' but found 's='/, null],
    ['i before s', (m) => `r=${attr(m, 'r')},i=16,s=${attr(m, 's')}`, /expected 's=' but found 'i='/, null],
    ['an upper-case attribute name', (m) => m.replace(/^r=/, 'R='), /expected 'r='/, null],
    ['an empty attribute', (m) => m.replace(',s=', ',,s='), /malformed attribute/, null],
    ['an empty value', replace('s', ''), /malformed attribute/, null],
    ['a trailing comma', (m) => `${m},`, /malformed attribute/, null],
    ['invalid UTF-8', (m) => new Uint8Array([...enc(m), 0xc3, 0x28]), /invalid UTF-8/, null],
    ['overlong UTF-8', (m) => new Uint8Array([...enc(m), 0xc0, 0xaf]), /invalid UTF-8/, null],
    ['a NUL', (m) => `${m}\0`, /NUL/, null],
    ['an empty message', () => '', /is empty/, null],
    ['an oversize message', (m) => `${m},x=${'a'.repeat(16384)}`, /longer than 16384 bytes/, null],
    ['an e= error instead', () => 'e=other-error', /expected 'r=' but found 'e='/, null],
    ['a repeated i= (parsers could disagree)', (m) => `${m},i=100`, /repeats or misplaces the 'i' attribute/, null],
    ['a repeated r= after an extension', (m) => `${m},x=1,r=${attr(m, 'r')}`, /repeats or misplaces the 'r' attribute/, null],
    ['a late m=', (m) => `${m},m=ext`, /repeats or misplaces the 'm' attribute/, null],
  ];

  it.each(cases)('%s', async (_what, tamper, text, condition) => {
    const srv = server({ tamperServerFirst: tamper });
    const err = await rejection(run(scram(), srv, 'SCRAM-SHA-256'));
    expect(err).toBeInstanceOf(SASLFailure);
    expect(err).not.toBeInstanceOf(AuthenticationFailure);
    expect(err.text).toMatch(text);
    expect(err.opaqueError).toBe(condition);
    expect(srv.ops).toEqual(['initiate', 'abort']);
  });

  it('a challenge with no data, or an immediate success, is a protocol violation', async () => {
    for (const reply of [['challenge', null], ['success', null], ['failure', null]] as const) {
      const intf = new (class extends ReferenceScramServer {
        override async initiate(): Promise<readonly [never, null]> {
          this.ops.push('initiate');
          return reply as unknown as readonly [never, null];
        }
      })({ hash: 'SHA-256', username: 'user', password: PASSWORD, salt: SALT, iterations: 16 });
      const err = await rejection(runMechanism(scram(), new SASLStateMachine(intf), 'SCRAM-SHA-256'));
      expect(err).toBeInstanceOf(SASLFailure);
      expect(err.text).toMatch(/did not send server-first-message/);
      expect(intf.aborted).toBe(reply[0] === 'challenge');
    }
  });
});

describe('SCRAM client: server-final rejections', () => {
  // SHA-256 signatures are 32 bytes: 43 characters and one '=', the last
  // character carrying 2 unused bits. Setting one gives the same bytes.
  const nonCanonical = (m: string) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    expect(m).toMatch(/^v=[A-Za-z0-9+/]{43}=$/);
    const last = alphabet.indexOf(m.at(-2)!);
    expect(last & 3).toBe(0);
    return `${m.slice(0, -2)}${alphabet[last | 1]}=`;
  };
  const wrongSignature = (m: string) => `v=${b64(new Uint8Array(Buffer.from(m.slice(2), 'base64').map((b) => b ^ 1)))}`;
  const cases: Array<[string, (m: string) => string | Uint8Array, RegExp, string | null]> = [
    ['a wrong server signature', wrongSignature, /wrong server signature/, null],
    ['a truncated server signature', (m) => `v=${b64(Buffer.from(m.slice(2), 'base64').subarray(0, 16))}`, /wrong server signature/, null],
    ['an empty-looking signature', () => 'v=AAAA', /wrong server signature/, null],
    ['a server error e=invalid-proof', () => 'e=invalid-proof', /server reported an error: invalid-proof/, 'invalid-proof'],
    ['a server error e=other-error with an extension', () => 'e=other-error,x=1', /other-error/, 'other-error'],
    ['a server error e=channel-bindings-dont-match', () => 'e=channel-bindings-dont-match', /channel-bindings-dont-match/, 'channel-bindings-dont-match'],
    ['a v= that is not base64', () => 'v=!!!!', /server signature is not valid base64/, null],
    ['a non-canonical v= (right bytes, non-zero trailing bits)', nonCanonical, /server signature is not valid base64: non-zero trailing bits/, null],
    ['no v=', () => 'x=1', /lacks the 'v' attribute|expected 'v='/, null],
    ['v= not first', (m) => `x=1,${m}`, /expected 'v='/, null],
    ['a second v= (parsers could disagree)', (m) => `${m},v=AAAA`, /repeats or misplaces the 'v' attribute/, null],
    ['the genuine v= twice', (m) => `${m},${m}`, /repeats or misplaces the 'v' attribute/, null],
    ['an e= after v=', (m) => `${m},e=other-error`, /repeats or misplaces the 'e' attribute/, null],
    ['an empty server-final', () => '', /is empty/, null],
    ['invalid UTF-8 in server-final', () => new Uint8Array([0x76, 0x3d, 0xff, 0xfe]), /invalid UTF-8/, null],
    ['an oversize server-final', (m) => `${m},x=${'a'.repeat(20000)}`, /longer than/, null],
  ];

  it.each(cases)('%s is an AuthenticationFailure (the server did not prove itself), and aborts', async (_what, tamper, text, condition) => {
    const srv = server({ tamperServerFinal: tamper, finalAs: 'challenge' });
    const err = await rejection(run(scram(), srv, 'SCRAM-SHA-256'));
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(err.text).toMatch(text);
    expect(err.opaqueError).toBe(condition);
    expect(srv.ops).toEqual(['initiate', 'respond', 'abort']);
  });

  it.each(cases)('%s as success data is an AuthenticationFailure too', async (_what, tamper, text) => {
    const srv = server({ tamperServerFinal: tamper, finalAs: 'success' });
    const err = await rejection(run(scram(), srv, 'SCRAM-SHA-256'));
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(err.text).toMatch(text);
  });

  it('success without server-final-message is an AuthenticationFailure', async () => {
    const srv = new (class extends ReferenceScramServer {
      override async respond(payload: Uint8Array) {
        await super.respond(payload); // verifies the proof
        return ['success', null] as const;
      }
    })({ hash: 'SHA-256', username: 'user', password: PASSWORD, salt: SALT, iterations: 16 });
    const err = await rejection(run(scram(), srv, 'SCRAM-SHA-256'));
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(err.text).toMatch(/success without server-final-message/);
  });

  it('a refused proof (not-authorized) is an AuthenticationFailure; a temporary failure is not', async () => {
    const wrong = await rejection(run(scram({}, ['user', 'wrong-password']), server(), 'SCRAM-SHA-256'), 'wrong-password');
    expect(wrong).toBeInstanceOf(AuthenticationFailure);
    expect(wrong.opaqueError).toBe('not-authorized');
    const tmp = new (class extends ReferenceScramServer {
      override async respond(): Promise<never> {
        throw new SASLFailure('temporary-auth-failure');
      }
    })({ hash: 'SHA-256', username: 'user', password: PASSWORD, salt: SALT, iterations: 16 });
    const err = await rejection(run(scram(), tmp, 'SCRAM-SHA-256'));
    expect(err).toBeInstanceOf(SASLFailure);
    expect(err).not.toBeInstanceOf(AuthenticationFailure);
  });

  it('a server that fails after a valid server-final challenge is reported', async () => {
    const srv = new (class extends ReferenceScramServer {
      #n = 0;
      override async respond(payload: Uint8Array) {
        if (++this.#n === 2) throw new SASLFailure('not-authorized');
        return super.respond(payload);
      }
    })({ hash: 'SHA-256', username: 'user', password: PASSWORD, salt: SALT, iterations: 16, finalAs: 'challenge' });
    expect(await rejection(run(scram(), srv, 'SCRAM-SHA-256'))).toBeInstanceOf(AuthenticationFailure);
  });

  it('walks out of a challenge with no data after the proof, aborting it', async () => {
    const srv = new (class extends ReferenceScramServer {
      override async respond(payload: Uint8Array) {
        if (this.ops.includes('respond')) return super.respond(payload);
        await super.respond(payload);
        return ['challenge', null] as const;
      }
    })({ hash: 'SHA-256', username: 'user', password: PASSWORD, salt: SALT, iterations: 16 });
    expect(await rejection(run(scram(), srv, 'SCRAM-SHA-256'))).toBeInstanceOf(AuthenticationFailure);
    expect(srv.ops).toEqual(['initiate', 'respond', 'abort']);
  });

  it('walks out of a further challenge after a valid server-final, aborting it', async () => {
    const srv = new (class extends ReferenceScramServer {
      override async respond(payload: Uint8Array) {
        if (this.ops.includes('respond')) {
          this.ops.push('respond');
          return ['challenge', new TextEncoder().encode('x=more')] as const;
        }
        return super.respond(payload);
      }
    })({ hash: 'SHA-256', username: 'user', password: PASSWORD, salt: SALT, iterations: 16, finalAs: 'challenge' });
    const err = await rejection(run(scram(), srv, 'SCRAM-SHA-256'));
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(err.text).toMatch(/did not report success/);
    expect(srv.ops).toEqual(['initiate', 'respond', 'respond', 'abort']);
  });

  it('authenticate() does not fall back to PLAIN after a server failed to prove itself', async () => {
    for (const tamper of [wrongSignature, () => 'v=!!!!', () => 'e=other-error']) {
      const srv = server({ tamperServerFinal: tamper });
      const creds = () => ['user', PASSWORD] as const;
      const err = await rejection(
        authenticate(srv, ['SCRAM-SHA-256', 'PLAIN'], [new SCRAM(creds, { generateNonce: () => CNONCE, enforceMinimumIterationCount: false }), new PLAIN(creds)]),
      );
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect(srv.ops).toEqual(['initiate', 'respond']);
    }
  });
});

describe('SCRAM client: hostile e= values are not echoed', () => {
  it('maps an e= value outside the RFC token syntax to other-error', async () => {
    const { SASLStateMachine, SCRAM, AuthenticationFailure } = await import('../src/index.js');
    const { ScriptedInterface } = await import('./helpers/scripted.js');
    const intf = new ScriptedInterface([
      { reply: ['challenge', 'r=abcdefSERVER,s=QSXCR+Q6sek8bf92,i=4096'] },
      { reply: ['challenge', 'e=Line one\u2028Line two ' + 'x'.repeat(1000)] },
    ]);
    const scram = new SCRAM(() => ['user', 'pencil'], { generateNonce: () => 'abcdef' });
    const err = await runMechanism(scram, new SASLStateMachine(intf), 'SCRAM-SHA-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as InstanceType<typeof AuthenticationFailure>).opaqueError).toBe('other-error');
    expect((err as Error).message.length).toBeLessThan(200);
  });
});

describe('SCRAM client: a refusal of the user name is final', () => {
  it('promotes not-authorized at client-first to AuthenticationFailure; invalid-mechanism stays a SASLFailure', async () => {
    const { SASLStateMachine, SCRAM, AuthenticationFailure, SASLFailure } = await import('../src/index.js');
    const { ScriptedInterface } = await import('./helpers/scripted.js');
    const scram = new SCRAM(() => ['nobody', 'pencil']);
    const refused = await runMechanism(scram, new SASLStateMachine(new ScriptedInterface([{ fail: 'not-authorized' }])), 'SCRAM-SHA-256').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthenticationFailure);
    const unavailable = await runMechanism(scram, new SASLStateMachine(new ScriptedInterface([{ fail: 'invalid-mechanism' }])), 'SCRAM-SHA-256').catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(SASLFailure);
    expect(unavailable).not.toBeInstanceOf(AuthenticationFailure);
  });
});
