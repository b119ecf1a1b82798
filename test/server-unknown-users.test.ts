// Unknown users cost what known users cost (issue 7 item 7, issue 11's
// unknown-user row). Not timed: these tests check the *work* an unknown name
// gets, i.e. that its dummy verifier has the hash, iteration count and salt
// length a real user's verifier has, and that SCRAM's fake verifier is not
// recomputed per attempt.
import { describe, expect, it } from 'vitest';
import { base64Decode } from '../src/mechanism.js';
import { MemoryCredentialStore, PLAINServer, SASLServer, SCRAMServer, unknownUserVerifier, type CredentialStore, type ServerMechanismContext } from '../src/server/index.js';
import { deriveScramCredentials, type ScramCredential } from '../src/server/credentials/scram.js';
import { dummyVerifier, profileOf, unknownUserCredential } from '../src/server/credentials/scram.js';
import { dec, enc, feed, SECRET } from './helpers/server.js';

const TLS = { secure: true } as const;
const contextOf = (credentials: CredentialStore, secret = SECRET): ServerMechanismContext => ({ connection: TLS, credentials, advertised: [], secret });

async function storeWith(users: number, options: { hashes: ('SHA-1' | 'SHA-256' | 'SHA-512' | 'SHA3-512')[]; iterations: number }): Promise<MemoryCredentialStore> {
  const store = new MemoryCredentialStore();
  for (let i = 0; i < users; i++) await store.addUser(`user${i}`, 'pencil', options);
  return store;
}

describe('the store reports its typical verifier profile', () => {
  it('MemoryCredentialStore: the most common set of profiles, kept up to date', async () => {
    const store = new MemoryCredentialStore();
    expect(store.verifierProfiles()).toEqual([]);
    await store.addUser('a', 'x', { hashes: ['SHA-256'], iterations: 20_000 });
    await store.addUser('b', 'x', { hashes: ['SHA-256'], iterations: 20_000 });
    await store.addUser('c', 'x', { hashes: ['SHA-512'], iterations: 1000 });
    expect(store.verifierProfiles()).toEqual([{ hash: 'SHA-256', iterations: 20_000, saltLength: 16 }]);
    store.deleteUser('a');
    await store.addUser('b', 'x', { hashes: ['SHA-512'], iterations: 1000 }); // replaced
    expect(store.verifierProfiles()).toEqual([{ hash: 'SHA-512', iterations: 1000, saltLength: 16 }]);
  });
});

describe('PLAIN and LOGIN: an unknown name is checked against a dummy verifier of the real profile', () => {
  it('a 20,000-iteration SHA-256 store: the dummy is PBKDF2-SHA-256 x20000, memoised', async () => {
    const store = await storeWith(2, { hashes: ['SHA-256'], iterations: 20_000 });
    const dummy = await unknownUserVerifier(contextOf(store));
    const real = store.scramCredentials('user0')![0]!;
    expect(profileOf(dummy)).toEqual(profileOf(real));
    expect(profileOf(dummy)).toEqual({ hash: 'SHA-256', iterations: 20_000, saltLength: 16 });
    expect(await unknownUserVerifier(contextOf(store))).toBe(dummy);
  });

  it('SHA-512-only users: the dummy is SHA-512 with their count (not SHA-256 x4096)', async () => {
    const store = await storeWith(1, { hashes: ['SHA-512'], iterations: 12_000 });
    expect(profileOf(await unknownUserVerifier(contextOf(store)))).toEqual({ hash: 'SHA-512', iterations: 12_000, saltLength: 16 });
  });

  it('users with several hashes: the hash a real user is checked with (SHA-256 before SHA-512, SHA-1, SHA3-512)', async () => {
    const store = await storeWith(1, { hashes: ['SHA-1', 'SHA3-512', 'SHA-512', 'SHA-256'], iterations: 5000 });
    expect((await unknownUserVerifier(contextOf(store))).hash).toBe('SHA-256');
    const noSha256 = await storeWith(1, { hashes: ['SHA3-512', 'SHA-1'], iterations: 5000 });
    expect((await unknownUserVerifier(contextOf(noSha256))).hash).toBe('SHA-1');
  });

  it('a store without verifierProfiles: the profile of the last known user seen, else SHA-256 at its default count', async () => {
    const verifiers: ScramCredential[] = [await deriveScramCredentials('pencil', { hash: 'SHA-512', iterations: 12_000 })];
    const store: CredentialStore = { scramCredentials: (name) => (name === 'alice' ? verifiers : null) };
    expect(profileOf(await unknownUserVerifier(contextOf(store)))).toEqual({ hash: 'SHA-256', iterations: 4096, saltLength: 16 });
    const server = new SASLServer({ mechanisms: [new PLAINServer()], credentials: store, secret: SECRET, throttle: null });
    expect((await feed(server.start('PLAIN', TLS), ['\0alice\0pencil']))[0]?.kind).toBe('success');
    expect(profileOf(await unknownUserVerifier(contextOf(store)))).toEqual({ hash: 'SHA-512', iterations: 12_000, saltLength: 16 });
  });

  it('PLAIN consults the store profile for an unknown name and fails it like a wrong password', async () => {
    let asked = 0;
    const real = await deriveScramCredentials('pencil', { hash: 'SHA-256', iterations: 4096 });
    const store: CredentialStore = {
      scramCredentials: (name) => (name === 'alice' ? [real] : null),
      verifierProfiles: () => (asked++, [profileOf(real)]),
    };
    const server = new SASLServer({ mechanisms: [new PLAINServer()], credentials: store, secret: SECRET, throttle: null });
    const [unknown] = await feed(server.start('PLAIN', TLS), ['\0mallory\0pencil']);
    expect(asked).toBe(1);
    const [wrong] = await feed(server.start('PLAIN', TLS), ['\0alice\0wrong']);
    expect(asked).toBe(1);
    expect({ ...unknown, authcid: '' }).toEqual({ ...wrong, authcid: '' });
  });

  it('dummy verifiers are per secret and profile, and match no password', async () => {
    const p = { hash: 'SHA-256', iterations: 4096, saltLength: 16 } as const;
    const a = dummyVerifier(SECRET, p);
    expect(dummyVerifier(SECRET, { ...p })).toBe(a);
    expect(dummyVerifier(new Uint8Array(32).fill(1), p)).not.toBe(a);
    expect(dummyVerifier(SECRET, { ...p, iterations: 4097 })).not.toBe(a);
    expect(() => dummyVerifier(SECRET, { ...p, iterations: 0 })).toThrow(/iteration/);
  });
});

describe('SCRAM: an unknown user looks and costs like a known one', () => {
  const serverFirst = async (server: SASLServer, user: string): Promise<{ salt: Uint8Array; iterations: number }> => {
    const [r] = await feed(server.start('SCRAM-SHA-256', TLS), [`n,,n=${user},r=abcdefghijklmnop`]);
    const text = dec(r?.kind === 'challenge' ? r.data : null) ?? '';
    const m = /^r=[^,]+,s=([^,]+),i=(\d+)$/.exec(text);
    if (!m) throw new Error(`not a server-first: ${text}`);
    return { salt: base64Decode(m[1]!), iterations: Number(m[2]) };
  };

  it("shows the store's typical iteration count and salt length for an unknown name", async () => {
    const store = new MemoryCredentialStore();
    for (const name of ['a', 'b'])
      store.addCredentials(name, await deriveScramCredentials('pencil', { hash: 'SHA-256', iterations: 20_000, salt: new Uint8Array(24).fill(name.charCodeAt(0)) }));
    const server = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256')], credentials: store, secret: SECRET, throttle: null });
    const known = await serverFirst(server, 'a');
    const unknown = await serverFirst(server, 'mallory');
    expect(unknown.iterations).toBe(known.iterations);
    expect(unknown.salt.length).toBe(known.salt.length);
    // Deterministic per name.
    expect((await serverFirst(server, 'mallory')).salt).toEqual(unknown.salt);
    // An explicit option still wins.
    const explicit = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256', { unknownUserIterations: 8192 })], credentials: store, secret: SECRET, throttle: null });
    expect((await serverFirst(explicit, 'mallory')).iterations).toBe(8192);
  });

  it('the fake keys are computed once per secret and hash, not per attempt; the salt stays per name', () => {
    const a = unknownUserCredential(SECRET, 'SHA-256', 'alice');
    const b = unknownUserCredential(SECRET, 'SHA-256', 'bob');
    expect(b.storedKey).toBe(a.storedKey);
    expect(b.serverKey).toBe(a.serverKey);
    expect(b.salt).not.toEqual(a.salt);
    expect(unknownUserCredential(SECRET, 'SHA-256', 'alice').salt).toEqual(a.salt);
    const other = unknownUserCredential(new Uint8Array(32).fill(9), 'SHA-256', 'alice');
    expect(other.storedKey).not.toEqual(a.storedKey);
    expect(other.salt).not.toEqual(a.salt);
    expect(unknownUserCredential(SECRET, 'SHA-512', 'alice').storedKey).toHaveLength(64);
  });

  it('an unknown user still fails exactly like a wrong proof', async () => {
    const store = await storeWith(1, { hashes: ['SHA-256'], iterations: 4096 });
    const server = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256')], credentials: store, secret: SECRET, throttle: null });
    const run = async (user: string) => {
      const ex = server.start('SCRAM-SHA-256', TLS);
      const first = await ex.step(enc(`n,,n=${user},r=abcdefghijklmnop`));
      const nonce = /r=([^,]+)/.exec(dec(first.kind === 'challenge' ? first.data : null) ?? '')![1]!;
      return ex.step(enc(`c=biws,r=${nonce},p=${'A'.repeat(43)}=`));
    };
    const unknown = await run('mallory');
    const wrong = await run('user0');
    expect({ ...unknown, authcid: '' }).toEqual({ ...wrong, authcid: '' });
  });
});
