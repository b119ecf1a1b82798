// SCRAM verifiers: derivation, the RFC 5803 / PostgreSQL and Dovecot / gsasl
// text forms, strings produced by the real `doveadm pw` and
// `gsasl --mkpasswd` (run at test time), and loading them into a server.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PLAIN, SASLError, SCRAM, authenticate, type HashName } from '../src/index.js';
import { base64Decode, base64Encode } from '../src/mechanism.js';
import { LoopbackInterface, MemoryCredentialStore, PLAINServer, SASLServer, SCRAMServer } from '../src/server/index.js';
import { formatScramCredential, parseScramCredential } from '../src/server/credentials/formats.js';
import { deriveScramCredentials, type ScramCredential } from '../src/server/credentials/scram.js';
import { checkScramCredential, defaultIterationCount, verifyScramPassword } from '../src/server/credentials/scram.js';
import { describeWithPeers } from './helpers/peers.js';
import { ALL_HASHES, SECRET } from './helpers/server.js';

// RFC 5802 §5's user/pencil verifier, as RFC 5803 §4 writes it.
const RFC5803 = 'SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=';

// Captured from `doveadm pw -s SCRAM-SHA-{1,256} -p pencil` (Dovecot 2.3.19)
// and `gsasl --mkpasswd --mechanism SCRAM-SHA-{1,256} --password pencil [--verbose]` (GNU SASL 2.2.0).
const CAPTURED = [
  '{SCRAM-SHA-1}4096,F6PuAIJxelZCGX5fBGhZGg==,86jdNWvOB7tO17DVNzBHwPFNUDM=,PHzRPDLwO3dqFC+9bAVt2uLi+Ps=',
  '{SCRAM-SHA-256}4096,7OgmxjNUDCJXWolZwjoMJQ==,5qtCyQwSrwtjdcyfeMDoTCgYe7iSqP3vuvhUlwApZ5A=,Neua/U4ezV1lDg+WFeGB4w0fz0afZlbMPgVzl/XQvHo=',
  '{SCRAM-SHA-1}65536,B+/pbm5CdkpTiI15,nnb37dHobSrQgGZvobZjUYggKPM=,B929Pg9WJ4LYwrzRmHlZjSSubpY=',
  '{SCRAM-SHA-1}65536,leqvdwp0RwLIU9an,Zcvor4e4BHkh2DAHpOMZhq6fqj0=,ziff1IiIEES2OvGfqZ5aNG6rq9c=,9f8a6ac6205541c5c90875e4bd4343be6d0fe81a',
  '{SCRAM-SHA-256}65536,d3lA7Ahik+GGnyxk,IGcpnKt5hlmouv+c2OfiC/JEZClHPK3p+zTuko5ljm4=,+APDyaEopGBGRlW2szk3e9LEnD13ywoL8MXRs9mDmWQ=',
  '{SCRAM-SHA-256}65536,SLxpEKv0PM/+LYBz,mJuDgtm+jayL0p0PfKM7rmWnP6FHxFR2tKKwB+8SHp4=,FRjuMb6fHxykbh1aFeTgzFKLx+5oVFVTyOBZGkxX1Mg=,a2a49e4bbe56da76b5afe1288df9a25beccbfe28d2e3914d589e755c76001dd8',
];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A server with only `text` loaded for "user"; checks SCRAM and PLAIN logins with `password`. */
async function loginsWith(text: string, password: string): Promise<{ scram: boolean; plain: boolean }> {
  const credentials = new MemoryCredentialStore();
  credentials.addCredentials('user', text);
  const hash = parseScramCredential(text).hash;
  const server = new SASLServer({ mechanisms: [new SCRAMServer(hash), new PLAINServer()], credentials, secret: SECRET });
  const tryLogin = async (mech: SCRAM | PLAIN, offered: string): Promise<boolean> => {
    try {
      await authenticate(new LoopbackInterface(server, { secure: true }), [offered], [mech]);
      return true;
    } catch {
      return false;
    }
  };
  return {
    scram: await tryLogin(new SCRAM(() => ['user', password], { maxIterationCount: 1_000_000 }), `SCRAM-${hash}`),
    plain: await tryLogin(new PLAIN(() => ['user', password]), 'PLAIN'),
  };
}

describe('credentials: derivation', () => {
  it('reproduces RFC 5803 §4 (RFC 5802 §5 user/pencil)', async () => {
    const c = await deriveScramCredentials('pencil', { hash: 'SHA-1', iterations: 4096, salt: base64Decode('QSXCR+Q6sek8bf92') });
    expect(formatScramCredential(c)).toBe(RFC5803);
    expect(formatScramCredential(c, 'dovecot')).toBe('{SCRAM-SHA-1}4096,QSXCR+Q6sek8bf92,6dlGYMOdZcOPutkcNY8U2g7vK9Y=,D+CSWLOshSulAsxiupA+qs2/fTE=');
  });

  it('defaults: 16-byte random salt, per-hash iteration count; keys of the hash length', async () => {
    for (const hash of ALL_HASHES) {
      const a = await deriveScramCredentials('pw', { hash });
      const b = await deriveScramCredentials('pw', { hash });
      expect(a.salt.length).toBe(16);
      expect(hex(a.salt)).not.toBe(hex(b.salt));
      expect(a.iterations).toBe(defaultIterationCount(hash));
      expect(checkScramCredential(a)).toBe(a);
      expect(await verifyScramPassword(a, 'pw')).toBe(true);
      expect(await verifyScramPassword(a, 'px')).toBe(false);
    }
    expect(defaultIterationCount('SHA-256')).toBe(4096);
    expect(defaultIterationCount('SHA-512')).toBe(10000);
  });

  it('prepares the password with SASLprep as a stored string', async () => {
    const salt = new Uint8Array(16);
    const a = await deriveScramCredentials('I\u00adX', { hash: 'SHA-256', salt });
    const b = await deriveScramCredentials('IX', { hash: 'SHA-256', salt });
    expect(hex(a.storedKey)).toBe(hex(b.storedKey));
    await expect(deriveScramCredentials('\u0221', { hash: 'SHA-256' })).rejects.toBeInstanceOf(SASLError); // unassigned in Unicode 3.2
  });

  it('refuses bad options with SASLError', async () => {
    for (const options of [
      { hash: 'MD5' as HashName },
      { hash: 'sha-256' as HashName },
      { hash: 'SHA-256' as HashName, iterations: 0 },
      { hash: 'SHA-256' as HashName, iterations: 1.5 },
      { hash: 'SHA-256' as HashName, salt: new Uint8Array(0) },
    ]) {
      await expect(deriveScramCredentials('pw', options)).rejects.toBeInstanceOf(SASLError);
    }
    await expect(deriveScramCredentials('\u00ad', { hash: 'SHA-256' })).rejects.toBeInstanceOf(SASLError);
  });

  it('the memory store never keeps the password', async () => {
    const store = new MemoryCredentialStore();
    await store.addUser('Üser', 'hunter2-secret', { hashes: ['SHA-256'], iterations: 4096 });
    const creds = store.scramCredentials('Üser')!;
    expect(creds).toHaveLength(1);
    expect(JSON.stringify(creds, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : v))).not.toContain('hunter2');
    expect(Object.keys(creds[0]!).sort()).toEqual(['hash', 'iterations', 'salt', 'serverKey', 'storedKey']);
    expect(store.deleteUser('Üser')).toBe(true);
    expect(store.scramCredentials('Üser')).toBeNull();
  });
});

describe('credentials: text formats', () => {
  it('round-trips every hash through both formats', async () => {
    for (const hash of ALL_HASHES) {
      const c = await deriveScramCredentials('pencil', { hash, iterations: 4096 });
      for (const format of ['rfc5803', 'dovecot'] as const) {
        const text = formatScramCredential(c, format);
        const back = parseScramCredential(text);
        expect(back.hash).toBe(hash);
        expect(back.iterations).toBe(4096);
        expect([back.salt, back.storedKey, back.serverKey].map(hex)).toEqual([c.salt, c.storedKey, c.serverKey].map(hex));
      }
    }
  });

  it('reads PostgreSQL’s form (same as RFC 5803), scheme case-insensitively, ignoring surrounding whitespace', () => {
    const c = parseScramCredential(`  ${RFC5803.replace('SCRAM-SHA-1', 'scram-sha-1')}\n`);
    expect(c.hash).toBe('SHA-1');
    expect(formatScramCredential(c)).toBe(RFC5803);
  });

  it('reads captured doveadm and gsasl strings, and they authenticate user/pencil', async () => {
    for (const text of CAPTURED) {
      const c = parseScramCredential(text);
      expect(await verifyScramPassword(c, 'pencil')).toBe(true);
    }
    expect(await loginsWith(CAPTURED[1]!, 'pencil')).toEqual({ scram: true, plain: true });
    expect(await loginsWith(CAPTURED[1]!, 'pencils')).toEqual({ scram: false, plain: false });
  });

  it('checks gsasl’s SaltedPassword field against the keys and drops it', () => {
    const good = CAPTURED[5]!;
    expect(Object.keys(parseScramCredential(good))).not.toContain('saltedPassword');
    const tampered = good.replace(/,([0-9a-f])([0-9a-f]+)$/, (_m, a: string, rest: string) => `,${a === '0' ? '1' : '0'}${rest}`);
    expect(() => parseScramCredential(tampered)).toThrow(/does not match/);
    expect(() => parseScramCredential(good + '00')).toThrow(/hex digits/);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['empty', '', /not a SCRAM credential/],
    ['a bcrypt hash', '$2b$12$abcdefghijklmnopqrstuv', /not a SCRAM credential/],
    ['unknown scheme', '{SSHA}abc', /unsupported scheme/],
    ['unknown hash', 'SCRAM-MD5$4096:c2FsdA==$AAAA:AAAA', /unsupported scheme/],
    ['missing part', 'SCRAM-SHA-256$4096:c2FsdA==$AAAA', /RFC 5803 form/],
    ['Dovecot without }', '{SCRAM-SHA-256 4096,a,b,c', /missing '}'/],
    ['Dovecot with 3 fields', '{SCRAM-SHA-256}4096,c2FsdA==,AAAA', /Dovecot form/],
    ['zero iterations', '{SCRAM-SHA-1}0,QSXCR+Q6sek8bf92,6dlGYMOdZcOPutkcNY8U2g7vK9Y=,D+CSWLOshSulAsxiupA+qs2/fTE=', /iteration count/],
    ['signed iterations', 'SCRAM-SHA-1$+4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=', /iteration count/],
    ['huge iterations', 'SCRAM-SHA-1$99999999999:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=', /iteration count/],
    ['bad salt base64', 'SCRAM-SHA-1$4096:QSXCR+Q6sek8bf9$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=', /salt/],
    ['empty salt', 'SCRAM-SHA-1$4096:$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=', /salt/],
    ['short StoredKey', 'SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkc:D+CSWLOshSulAsxiupA+qs2/fTE=', /storedKey must be 20 bytes/],
    ['SHA-1 keys under SHA-256', 'SCRAM-SHA-256$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=', /32 bytes/],
    ['too long', `SCRAM-SHA-1$4096:${'A'.repeat(5000)}$x:y`, /longer than/],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses ${what} with a clear SASLError`, () => {
      let err: unknown;
      try {
        parseScramCredential(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SASLError);
      expect((err as SASLError).kind).toBe('invalid credential');
      expect((err as SASLError).message).toMatch(message);
      expect((err as SASLError).message).not.toContain('6dlGYMOdZcOPutkc');
    });
  }

  it('refuses non-strings and malformed credential objects', () => {
    expect(() => parseScramCredential(42 as unknown as string)).toThrow(SASLError);
    const c: ScramCredential = { hash: 'SHA-256', salt: new Uint8Array(1), iterations: 1, storedKey: new Uint8Array(31), serverKey: new Uint8Array(32) };
    expect(() => formatScramCredential(c)).toThrow(/storedKey/);
    expect(() => formatScramCredential({ ...c, storedKey: new Uint8Array(32) }, 'ldap' as never)).toThrow(/unknown credential format/);
    expect(() => new MemoryCredentialStore().addCredentials('u', c)).toThrow(SASLError);
  });
});

describeWithPeers('credentials: strings from the real doveadm pw', ['doveadm'], () => {
  for (const hash of ['SHA-1', 'SHA-256'] as const) {
    it(`doveadm pw -s SCRAM-${hash} output loads and authenticates`, async () => {
      const r = spawnSync('doveadm', ['pw', '-s', `SCRAM-${hash}`, '-p', 'pencil'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      const text = r.stdout.trim();
      expect(text.startsWith(`{SCRAM-${hash}}`)).toBe(true);
      const c = parseScramCredential(text);
      expect(c.hash).toBe(hash);
      expect(await loginsWith(text, 'pencil')).toEqual({ scram: true, plain: true });
      expect(await loginsWith(text, 'wrong')).toEqual({ scram: false, plain: false });
    }, 30_000);
  }
});

describeWithPeers('credentials: strings from the real gsasl --mkpasswd', ['gsasl'], () => {
  for (const hash of ['SHA-1', 'SHA-256'] as const) {
    it(`gsasl --mkpasswd --mechanism SCRAM-${hash} equals deriveScramCredentials and authenticates`, async () => {
      const salt = base64Encode(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
      const args = ['--mkpasswd', '--mechanism', `SCRAM-${hash}`, '--password', 'pencil', '--iteration-count', '4096', '--salt', salt];
      const r = spawnSync('gsasl', args, { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      const ours = await deriveScramCredentials('pencil', { hash, iterations: 4096, salt: base64Decode(salt) });
      expect(r.stdout.trim()).toBe(formatScramCredential(ours, 'dovecot'));
      const verbose = spawnSync('gsasl', [...args, '--verbose'], { encoding: 'utf8', timeout: 20_000 });
      const line = verbose.stdout.split('\n').find((l) => l.startsWith('{SCRAM-'))!;
      expect(line.split(',')).toHaveLength(5);
      expect(formatScramCredential(parseScramCredential(line), 'dovecot')).toBe(r.stdout.trim());
      expect(await loginsWith(line, 'pencil')).toEqual({ scram: true, plain: true });
    }, 30_000);
  }
});
