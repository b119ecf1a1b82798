// Fast paths that must not change a single result: SASLprep's printable
// ASCII shortcut agrees with the full RFC 4013 path (the saslprep package),
// and the server's per-verifier prepared HMAC keys verify exactly as before.
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
