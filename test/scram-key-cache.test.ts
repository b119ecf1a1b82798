// The SCRAM client's key cache (RFC 5802 §5.1) and handed-in keys: a hit
// skips PBKDF2, a miss, a changed salt or iteration count and a different
// password do not; the cache is bounded (least recently used goes first),
// can be turned off, and only keeps keys a server proved it knows. PBKDF2
// calls are counted on the crypto backend, never timed.
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { backend } from '../src/crypto/backend.node.js';
import { AuthenticationFailure, SASLError, SASLStateMachine, SCRAM, SCRAMPLUS, ScramKeyCache, defaultScramKeyCache, type ScramClientKeys, type SCRAMOptions } from '../src/index.js';
import { runMechanism } from '../src/mechanism.js';
import { ReferenceScramServer, referenceScramKeys, type ReferenceScramOptions } from './helpers/scripted.js';
import { rejection } from './helpers/errors.js';

const PASSWORD = 'Pa55-SECRET-w0rd';
const SALT = Uint8Array.from(Buffer.from('QSXCR+Q6sek8bf92', 'base64'));
const OTHER_SALT = Uint8Array.from(Buffer.from('c2FsdHNhbHRzYWx0', 'base64'));

let pbkdf2Calls: MockInstance<typeof backend.pbkdf2>;
beforeEach(() => {
  pbkdf2Calls = vi.spyOn(backend, 'pbkdf2');
  defaultScramKeyCache.clear();
});
afterEach(() => {
  pbkdf2Calls.mockRestore();
});

function server(options: Partial<ReferenceScramOptions> = {}): ReferenceScramServer {
  return new ReferenceScramServer({ hash: 'SHA-256', username: 'user', password: PASSWORD, salt: SALT, iterations: 16, ...options });
}

function scram(options: SCRAMOptions = {}, password = PASSWORD): SCRAM {
  return new SCRAM(() => ['user', password], { enforceMinimumIterationCount: false, ...options });
}

async function login(client: SCRAM | SCRAMPLUS, srv: ReferenceScramServer, mechanism = 'SCRAM-SHA-256'): Promise<void> {
  // Through the framework, which ends the exchange and promotes credential verdicts.
  await runMechanism(client, new SASLStateMachine(srv), mechanism);
}

describe('SCRAM client key cache', () => {
  it('a second login with the same password, salt and count is a hit: no PBKDF2', async () => {
    const cache = new ScramKeyCache();
    const client = scram({ cache });
    await login(client, server());
    expect(pbkdf2Calls).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(1);
    await login(client, server());
    await login(scram({ cache }), server()); // another instance sharing the cache
    expect(pbkdf2Calls).toHaveBeenCalledTimes(1);
  });

  it('SCRAM clients share defaultScramKeyCache unless told otherwise', async () => {
    await login(scram(), server());
    await login(scram(), server());
    expect(pbkdf2Calls).toHaveBeenCalledTimes(1);
    expect(defaultScramKeyCache.size).toBe(1);
  });

  it('a miss derives, and cache: false derives every time and keeps nothing', async () => {
    const client = scram({ cache: false });
    await login(client, server());
    await login(client, server());
    expect(pbkdf2Calls).toHaveBeenCalledTimes(2);
    expect(defaultScramKeyCache.size).toBe(0);
  });

  it('a changed salt, iteration count or hash misses', async () => {
    const cache = new ScramKeyCache();
    const client = new SCRAM(() => ['user', PASSWORD], { cache, enforceMinimumIterationCount: false });
    await login(client, server());
    await login(client, server({ salt: OTHER_SALT }));
    await login(client, server({ iterations: 17 }));
    await login(client, server({ hash: 'SHA-1' }), 'SCRAM-SHA-1');
    expect(pbkdf2Calls).toHaveBeenCalledTimes(4);
    // ... and each is a hit afterwards.
    await login(client, server({ salt: OTHER_SALT }));
    await login(client, server({ iterations: 17 }));
    await login(client, server({ hash: 'SHA-1' }), 'SCRAM-SHA-1');
    expect(pbkdf2Calls).toHaveBeenCalledTimes(4);
  });

  it('a different password never hits, even with the same salt and count', async () => {
    const cache = new ScramKeyCache();
    await login(scram({ cache }), server());
    // The user changed the password and the server kept salt and count.
    await login(scram({ cache }, 'new password'), server({ password: 'new password' }));
    expect(pbkdf2Calls).toHaveBeenCalledTimes(2);
    // A wrong password is derived too, refused by the server, and not kept.
    const err = await rejection(login(scram({ cache }, 'wrong'), server()));
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(pbkdf2Calls).toHaveBeenCalledTimes(3);
    expect(cache.size).toBe(2);
  });

  it('keeps nothing when the server does not prove itself', async () => {
    const cache = new ScramKeyCache();
    const err = await rejection(login(scram({ cache }), server({ tamperServerFinal: () => 'v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' })));
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(cache.size).toBe(0);
  });

  it('is bounded: the least recently used entry goes first', async () => {
    const cache = new ScramKeyCache({ maxEntries: 2 });
    const client = scram({ cache });
    const salts = [1, 2, 3].map((n) => Uint8Array.from({ length: 16 }, (_, i) => n * 16 + i));
    await login(client, server({ salt: salts[0]! }));
    await login(client, server({ salt: salts[1]! }));
    await login(client, server({ salt: salts[0]! })); // hit: salts[0] is now the most recent
    expect(pbkdf2Calls).toHaveBeenCalledTimes(2);
    await login(client, server({ salt: salts[2]! })); // evicts salts[1]
    expect(cache.size).toBe(2);
    await login(client, server({ salt: salts[0]! })); // still there
    expect(pbkdf2Calls).toHaveBeenCalledTimes(3);
    await login(client, server({ salt: salts[1]! })); // gone: derived again
    expect(pbkdf2Calls).toHaveBeenCalledTimes(4);
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('refuses a bad bound', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, 100_001]) {
      expect(() => new ScramKeyCache({ maxEntries })).toThrow(SASLError);
    }
  });

  it('hands out copies: changing what get() returned does not change the cache', async () => {
    const cache = new ScramKeyCache();
    const keys = referenceScramKeys('SHA-256', PASSWORD, SALT, 16);
    cache.set(PASSWORD, { hash: 'SHA-256', salt: SALT, iterations: 16, clientKey: keys.clientKey, serverKey: keys.serverKey });
    cache.get('SHA-256', PASSWORD, SALT, 16)!.clientKey.fill(0);
    expect(Buffer.from(cache.get('SHA-256', PASSWORD, SALT, 16)!.clientKey)).toEqual(keys.clientKey);
    expect(cache.get('SHA-256', 'other', SALT, 16)).toBeUndefined();
  });
});

describe('keys handed in by the caller', () => {
  it('onKeys gives the keys of a verified login; keys: takes them back, no password or PBKDF2 needed', async () => {
    const seen: ScramClientKeys[] = [];
    await login(scram({ cache: false, onKeys: (k) => seen.push(k) }), server());
    expect(seen).toHaveLength(1);
    const expected = referenceScramKeys('SHA-256', PASSWORD, SALT, 16);
    expect(Buffer.from(seen[0]!.clientKey)).toEqual(expected.clientKey);
    expect(Buffer.from(seen[0]!.serverKey)).toEqual(expected.serverKey);
    expect([seen[0]!.hash, seen[0]!.iterations, Buffer.from(seen[0]!.salt).toString('base64')]).toEqual(['SHA-256', 16, 'QSXCR+Q6sek8bf92']);

    pbkdf2Calls.mockClear();
    await login(scram({ cache: false, keys: seen[0]! }, ''), server());
    await login(new SCRAMPLUS(() => ['user', ''], { cbName: 'tls-exporter', extractCbData: () => new Uint8Array([1, 2, 3]) }, { cache: false, keys: [seen[0]!], enforceMinimumIterationCount: false }), server({ cbData: new Uint8Array([1, 2, 3]) }), 'SCRAM-SHA-256-PLUS');
    expect(pbkdf2Calls).not.toHaveBeenCalled();
  });

  it('handed-in keys for another salt or count are not used', async () => {
    const k = referenceScramKeys('SHA-256', PASSWORD, SALT, 16);
    const keys: ScramClientKeys = { hash: 'SHA-256', salt: SALT, iterations: 16, clientKey: k.clientKey, serverKey: k.serverKey };
    await login(scram({ cache: false, keys }), server({ iterations: 20 }));
    await login(scram({ cache: false, keys }), server({ salt: OTHER_SALT }));
    expect(pbkdf2Calls).toHaveBeenCalledTimes(2);
  });

  it('refuses malformed keys at construction', () => {
    const k = referenceScramKeys('SHA-256', PASSWORD, SALT, 16);
    const good: ScramClientKeys = { hash: 'SHA-256', salt: SALT, iterations: 16, clientKey: k.clientKey, serverKey: k.serverKey };
    for (const bad of [
      { ...good, hash: 'MD5' },
      { ...good, salt: new Uint8Array(0) },
      { ...good, iterations: 0 },
      { ...good, clientKey: new Uint8Array(20) },
      { ...good, serverKey: 'x' },
    ]) {
      expect(() => scram({ keys: bad as unknown as ScramClientKeys })).toThrow(SASLError);
    }
    expect(() => scram({ onKeys: 'x' as unknown as () => void })).toThrow(SASLError);
  });
});
