// Fast paths that must not change a single result: SASLprep's printable
// ASCII shortcut agrees with the full RFC 4013 path (the saslprep package),
// the server's per-verifier prepared HMAC keys verify exactly as before, and
// the server's other shortcuts (short-ASCII UTF-8, the shared AuthMessage
// buffer, availability computed once per kind of connection) answer as the
// long ways do.
import fc from 'fast-check';
import saslprepPackage from 'saslprep';
import { describe, expect, it } from 'vitest';
import { saslprep } from '../src/index.js';

describe('SASLprep printable-ASCII shortcut', () => {
  it('every printable ASCII character, alone and in strings, prepares as the package does', () => {
    for (let c = 0x20; c <= 0x7e; c++) {
      const ch = String.fromCharCode(c);
      expect(saslprep(ch)).toBe(saslprepPackage(ch));
      expect(saslprep(`a${ch}b`, { allowUnassigned: true })).toBe(saslprepPackage(`a${ch}b`, { allowUnassigned: true }));
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 64 }), (s) => {
        expect(saslprep(s)).toBe(s.length === 0 ? '' : saslprepPackage(s));
      }),
    );
  });

  it('still refuses ASCII control characters and still maps non-ASCII', () => {
    expect(() => saslprep('a\u0007b')).toThrow(/SASLprep/);
    expect(() => saslprep('a\u007fb')).toThrow(/SASLprep/);
    expect(saslprep('I\u00ADX')).toBe('IX');
    expect(saslprep('a\u00A0b')).toBe('a b');
  });
});

describe('SCRAM server: HMAC keys prepared once per stored verifier', () => {
  it('repeated logins verify; a replaced verifier (new password) is used at once, the old one no more', async () => {
    const { AuthenticationFailure, SASLStateMachine, SCRAM } = await import('../src/index.js');
    const { runMechanism } = await import('../src/mechanism.js');
    const { LoopbackInterface, MemoryCredentialStore, SASLServer, scramServerMechanisms } = await import('../src/server/index.js');
    const store = new MemoryCredentialStore();
    await store.addUser('user', 'first password', { hashes: ['SHA-256'], iterations: 4096 });
    const server = new SASLServer({ mechanisms: scramServerMechanisms({ hashes: ['SHA-256'], plus: false }), credentials: store });
    const login = (password: string): Promise<void> =>
      runMechanism(new SCRAM(() => ['user', password], { cache: false }), new SASLStateMachine(new LoopbackInterface(server, { secure: true })), 'SCRAM-SHA-256');
    await login('first password');
    await login('first password');
    await store.addUser('user', 'second password', { hashes: ['SHA-256'], iterations: 4096 });
    await expect(login('first password')).rejects.toBeInstanceOf(AuthenticationFailure);
    await login('second password');
    await expect(login('wrong')).rejects.toBeInstanceOf(AuthenticationFailure);
  });
});

describe('utf8Encode short-ASCII shortcut', () => {
  it('gives what TextEncoder gives, around the 64-character limit and with non-ASCII, and still refuses lone surrogates', async () => {
    const { utf8Encode } = await import('../src/core/bytes.js');
    const encoder = new TextEncoder();
    for (const s of ['', 'a', 'v=' + 'A'.repeat(62), 'x'.repeat(65), 'é', 'abc\u00e9', '\u{1F600}', 'a'.repeat(63) + '\u00e9', '\u007f\u0000']) {
      expect(utf8Encode(s)).toEqual(encoder.encode(s));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (s) => {
        expect(utf8Encode(s)).toEqual(encoder.encode(s));
      }),
    );
    expect(() => utf8Encode('ab\uD800')).toThrow(/surrogate/);
    expect(() => utf8Encode('\uDC00')).toThrow(/surrogate/);
  });
});

describe('SCRAM server: shared AuthMessage buffer and cached availability', () => {
  it('interleaved exchanges (both client-firsts, then both client-finals) each verify with their own AuthMessage', async () => {
    const { SASLStateMachine, SCRAM } = await import('../src/index.js');
    const { runMechanism } = await import('../src/mechanism.js');
    const { LoopbackInterface, MemoryCredentialStore, SASLServer, scramServerMechanisms } = await import('../src/server/index.js');
    const store = new MemoryCredentialStore();
    await store.addUser('alice', 'alice password', { hashes: ['SHA-256'], iterations: 4096 });
    await store.addUser('bob', 'bob password', { hashes: ['SHA-256'], iterations: 4096 });
    // A store that answers asynchronously, so that the exchanges' steps interleave.
    const slow = {
      scramCredentials: async (name: string) => {
        await new Promise((r) => setTimeout(r, 5));
        return store.scramCredentials(name);
      },
    };
    const server = new SASLServer({ mechanisms: scramServerMechanisms({ hashes: ['SHA-256'], plus: false }), credentials: slow, throttle: null });
    const login = (user: string, password: string): Promise<void> =>
      runMechanism(new SCRAM(() => [user, password], { cache: false }), new SASLStateMachine(new LoopbackInterface(server, { secure: true })), 'SCRAM-SHA-256');
    await Promise.all([login('alice', 'alice password'), login('bob', 'bob password'), login('alice', 'alice password')]);
    // A long AuthMessage (over the shared buffer) verifies too.
    const long = 'u'.repeat(700);
    await store.addUser(long, 'long password', { hashes: ['SHA-256'], iterations: 4096 });
    await login(long, 'long password');
  });

  it('advertise() hands out a fresh array each time; availableOn is still asked per connection', async () => {
    const { SASLServer, EXTERNALServer, PLAINServer, scramServerMechanisms } = await import('../src/server/index.js');
    const server = new SASLServer({ mechanisms: [new EXTERNALServer(), ...scramServerMechanisms({ hashes: ['SHA-256'] }), new PLAINServer()] });
    const first = server.advertise({ secure: true });
    expect(first).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    first.push('MUTATED');
    expect(server.advertise({ secure: true })).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    expect(server.advertise({ secure: true, externalIdentity: 'cert-user' })).toEqual(['EXTERNAL', 'SCRAM-SHA-256', 'PLAIN']);
    expect(server.advertise({ secure: false })).toEqual(['SCRAM-SHA-256']);
    expect(server.advertise({ secure: true })).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    const exchange = server.start('external', { secure: true });
    expect(await exchange.step(new Uint8Array(0))).toMatchObject({ kind: 'failure', condition: 'invalid-mechanism' });
  });
});
