// The brute-force defence (issue 7 item 5): the LoginThrottle seam every
// ServerExchange consults, the built-in MemoryLoginThrottle (Dovecot-like
// escalating delays, refusals per address and per user, bounded memory), and
// that a default SASLServer has it.
import { describe, expect, it } from 'vitest';
import { base64Encode } from '../src/mechanism.js';
import { DEFAULT_MAX_AUTH_FAILURES } from '../src/server/throttle.js';
import { MemoryCredentialStore, MemoryLoginThrottle, PLAINServer, SASLServer, isFailedLogin, scramServerMechanisms, type ExchangeEnd, type LoginAttempt, type LoginThrottle, type ServerConnection, type ThrottleDecision } from '../src/server/index.js';
import { enc, feed, SECRET } from './helpers/server.js';

const FROM = (peerAddress: string): ServerConnection => ({ secure: true, peerAddress, peerPort: 40000 });
const attempt = (peerAddress: string | undefined, authcid: string | null = null): LoginAttempt => ({
  mechanism: 'PLAIN',
  connection: peerAddress === undefined ? { secure: true } : FROM(peerAddress),
  authcid,
});
const delayOf = (d: ThrottleDecision): number | string => (d.action === 'delay' ? d.ms : d.action);

async function store(): Promise<MemoryCredentialStore> {
  const s = new MemoryCredentialStore();
  await s.addUser('user', 'pencil', { hashes: ['SHA-256'] });
  return s;
}

/** A throttle that records what it is asked and answers from a script. */
function recorder(answer: Partial<Record<'check' | 'failed', (a: LoginAttempt) => ThrottleDecision>> = {}) {
  const calls: { what: string; authcid: string | null; peerAddress: string | undefined; mechanism: string }[] = [];
  const throttle: LoginThrottle = {
    async check(a) {
      calls.push({ what: 'check', authcid: a.authcid, peerAddress: a.connection.peerAddress, mechanism: a.mechanism });
      return answer.check?.(a) ?? { action: 'allow' };
    },
    async failed(a) {
      calls.push({ what: 'failed', authcid: a.authcid, peerAddress: a.connection.peerAddress, mechanism: a.mechanism });
      return answer.failed?.(a) ?? { action: 'allow' };
    },
    succeeded(a) {
      calls.push({ what: 'succeeded', authcid: a.authcid, peerAddress: a.connection.peerAddress, mechanism: a.mechanism });
    },
  };
  return { throttle, calls };
}

describe('MemoryLoginThrottle', () => {
  it('delays each failed login, doubling per failure from the address up to 2 s (defaults)', () => {
    const t = new MemoryLoginThrottle({ now: () => 0 });
    const delays = [1, 2, 3, 4, 5].map(() => delayOf(t.failed(attempt('192.0.2.1'))));
    expect(delays).toEqual([250, 500, 1000, 2000, 2000]);
    // Another address starts at the fixed delay again.
    expect(delayOf(t.failed(attempt('192.0.2.2')))).toBe(250);
  });

  it('escalates per user too, across addresses', () => {
    const t = new MemoryLoginThrottle({ now: () => 0, failureDelayMs: 100, maxDelayMs: 10_000 });
    expect([1, 2, 3].map((i) => delayOf(t.failed(attempt(`198.51.100.${i}`, 'alice'))))).toEqual([100, 200, 400]);
    // A connection without an address is still counted per user.
    expect(delayOf(t.failed(attempt(undefined, 'alice')))).toBe(800);
    expect(delayOf(t.failed(attempt(undefined, 'bob')))).toBe(100);
  });

  it('failureDelayMs: 0 turns the delays off', () => {
    const t = new MemoryLoginThrottle({ failureDelayMs: 0 });
    for (let i = 0; i < 5; i++) expect(t.failed(attempt('192.0.2.1', 'user'))).toEqual({ action: 'allow' });
  });

  it('refuses an address after maxFailuresPerAddress failures until the window passed since its last failure', () => {
    let now = 0;
    const t = new MemoryLoginThrottle({ now: () => now, failureDelayMs: 0, maxFailuresPerAddress: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(t.check(attempt('192.0.2.9')).action).toBe('allow');
      t.failed(attempt('192.0.2.9', `u${i}`));
    }
    expect(t.check(attempt('192.0.2.9')).action).toBe('refuse');
    expect(t.check(attempt('192.0.2.10')).action).toBe('allow');
    now = 59_999;
    expect(t.check(attempt('192.0.2.9')).action).toBe('refuse');
    now = 60_000;
    expect(t.check(attempt('192.0.2.9')).action).toBe('allow');
  });

  it('counts IPv4-mapped IPv6 as IPv4 and IPv6 per /64', () => {
    const t = new MemoryLoginThrottle({ now: () => 0, failureDelayMs: 0, maxFailuresPerAddress: 2 });
    t.failed(attempt('::ffff:192.0.2.7'));
    t.failed(attempt('192.0.2.7'));
    expect(t.check(attempt('192.0.2.7')).action).toBe('refuse');
    t.failed(attempt('2001:db8:1:2::1'));
    t.failed(attempt('2001:0db8:0001:0002:ffff:0:0:9'));
    expect(t.check(attempt('2001:db8:1:2:aaaa::1')).action).toBe('refuse');
    expect(t.check(attempt('2001:db8:1:3::1')).action).toBe('allow');
  });

  it('refuses a user over maxFailuresPerUser (off by default), and succeeded() forgets the user', () => {
    const off = new MemoryLoginThrottle({ now: () => 0, failureDelayMs: 0 });
    for (let i = 0; i < 50; i++) off.failed(attempt(`10.0.${i}.1`, 'alice'));
    expect(off.check(attempt('10.9.9.9', 'alice')).action).toBe('allow');

    const t = new MemoryLoginThrottle({ now: () => 0, failureDelayMs: 0, maxFailuresPerUser: 2 });
    t.failed(attempt('10.0.0.1', 'alice'));
    t.failed(attempt('10.0.0.2', 'alice'));
    expect(t.check(attempt('10.0.0.3', 'alice')).action).toBe('refuse');
    expect(t.failed(attempt('10.0.0.3', 'alice')).action).toBe('refuse');
    expect(t.check(attempt('10.0.0.3', 'bob')).action).toBe('allow');
    t.succeeded(attempt('10.0.0.4', 'alice'));
    expect(t.check(attempt('10.0.0.3', 'alice')).action).toBe('allow');
  });

  it('keeps memory bounded: the least recently failed entries are forgotten', () => {
    const t = new MemoryLoginThrottle({ now: () => 0, failureDelayMs: 0, maxEntries: 100, maxFailuresPerAddress: 1 });
    for (let i = 0; i < 1000; i++) t.failed(attempt(`10.${i >> 8}.${i & 255}.1`, `user${i}`));
    expect(t.size).toEqual({ addresses: 100, users: 100 });
    expect(t.check(attempt('10.3.231.1')).action).toBe('refuse'); // i = 999, still remembered
    expect(t.check(attempt('10.0.0.1')).action).toBe('allow'); // i = 0, forgotten
    // Names are counted by their first 256 characters, so junk names cannot blow the memory up.
    const u = new MemoryLoginThrottle({ now: () => 0, failureDelayMs: 0, maxFailuresPerUser: 2 });
    u.failed(attempt(undefined, `${'n'.repeat(256)}x`));
    u.failed(attempt(undefined, `${'n'.repeat(256)}y`));
    expect(u.check(attempt(undefined, `${'n'.repeat(256)}z`)).action).toBe('refuse');
    expect(u.size.users).toBe(1);
  });

  it('rejects bad options', () => {
    expect(() => new MemoryLoginThrottle({ failureDelayMs: -1 })).toThrow(/failureDelayMs/);
    expect(() => new MemoryLoginThrottle({ maxFailuresPerAddress: 0 })).toThrow(/maxFailuresPerAddress/);
  });
});

describe('SASLServer with a throttle', () => {
  it('consults the throttle before the exchange and after a failed login, with the address and the tried name', async () => {
    const { throttle, calls } = recorder();
    const server = new SASLServer({ mechanisms: [new PLAINServer(), ...scramServerMechanisms({ hashes: ['SHA-256'], plus: false })], credentials: await store(), secret: SECRET, throttle });
    const [wrong] = await feed(server.start('PLAIN', FROM('203.0.113.5')), ['\0user\0wrong']);
    expect(wrong).toMatchObject({ kind: 'failure', condition: 'not-authorized', authcid: 'user' });
    const [unknown] = await feed(server.start('PLAIN', FROM('203.0.113.5')), ['\0nobody\0wrong']);
    expect(unknown).toMatchObject({ kind: 'failure', condition: 'not-authorized', authcid: 'nobody' });
    const [right] = await feed(server.start('PLAIN', FROM('203.0.113.6')), ['\0user\0pencil']);
    expect(right?.kind).toBe('success');
    // A malformed message is not a failed login.
    await feed(server.start('PLAIN', FROM('203.0.113.7')), ['garbage']);
    expect(calls).toEqual([
      { what: 'check', authcid: null, peerAddress: '203.0.113.5', mechanism: 'PLAIN' },
      { what: 'failed', authcid: 'user', peerAddress: '203.0.113.5', mechanism: 'PLAIN' },
      { what: 'check', authcid: null, peerAddress: '203.0.113.5', mechanism: 'PLAIN' },
      { what: 'failed', authcid: 'nobody', peerAddress: '203.0.113.5', mechanism: 'PLAIN' },
      { what: 'check', authcid: null, peerAddress: '203.0.113.6', mechanism: 'PLAIN' },
      { what: 'check', authcid: 'user', peerAddress: '203.0.113.6', mechanism: 'PLAIN' },
      { what: 'succeeded', authcid: 'user', peerAddress: '203.0.113.6', mechanism: 'PLAIN' },
      { what: 'check', authcid: null, peerAddress: '203.0.113.7', mechanism: 'PLAIN' },
    ]);
  });

  it('SCRAM: a wrong proof is a failed login for the name in client-first', async () => {
    const { throttle, calls } = recorder();
    const server = new SASLServer({ mechanisms: scramServerMechanisms({ hashes: ['SHA-256'], plus: false }), credentials: await store(), secret: SECRET, throttle });
    const exchange = server.start('SCRAM-SHA-256', FROM('203.0.113.8'));
    const first = await exchange.step(enc('n,,n=user,r=abcdefghijkl'));
    expect(first.kind).toBe('challenge');
    const nonce = /r=([^,]+)/.exec(new TextDecoder().decode(first.kind === 'challenge' ? first.data : new Uint8Array()))![1]!;
    const end = await exchange.step(enc(`c=biws,r=${nonce},p=${base64Encode(new Uint8Array(32))}`));
    expect(end).toMatchObject({ kind: 'failure', condition: 'not-authorized', authcid: 'user' });
    expect(calls.map((c) => `${c.what}:${c.authcid}`)).toEqual(['check:null', 'failed:user']);
  });

  it('a refusal before the exchange ends it with temporary-auth-failure before any credential is looked at', async () => {
    const { throttle } = recorder({ check: (a) => (a.connection.peerAddress === '198.51.100.66' ? { action: 'refuse', text: 'go away' } : { action: 'allow' }) });
    let lookups = 0;
    const ends: ExchangeEnd[] = [];
    const server = new SASLServer({
      mechanisms: [new PLAINServer()],
      credentials: { scramCredentials: () => (lookups++, null) },
      secret: SECRET,
      throttle,
      onExchangeEnd: (e) => ends.push(e),
    });
    const [refused] = await feed(server.start('PLAIN', FROM('198.51.100.66')), ['\0user\0pencil']);
    expect(refused).toMatchObject({ kind: 'failure', condition: 'temporary-auth-failure', text: 'go away' });
    expect(lookups).toBe(0);
    expect(ends[0]?.connection.peerAddress).toBe('198.51.100.66');
    await feed(server.start('PLAIN', FROM('198.51.100.67')), ['\0user\0pencil']);
    expect(lookups).toBe(1);
  });

  it('a delay from failed() holds the failure that long', async () => {
    const { throttle } = recorder({ failed: () => ({ action: 'delay', ms: 300 }) });
    const server = new SASLServer({ mechanisms: [new PLAINServer()], credentials: await store(), secret: SECRET, throttle });
    const started = performance.now();
    const [r] = await feed(server.start('PLAIN', FROM('192.0.2.1')), ['\0user\0wrong']);
    expect(r?.kind).toBe('failure');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('a locked-out user is refused alike with the right and a wrong password', async () => {
    const throttle = new MemoryLoginThrottle({ failureDelayMs: 0, maxFailuresPerUser: 2 });
    const server = new SASLServer({ mechanisms: [new PLAINServer()], credentials: await store(), secret: SECRET, throttle });
    for (const ip of ['192.0.2.1', '192.0.2.2']) {
      const [r] = await feed(server.start('PLAIN', FROM(ip)), ['\0user\0guess']);
      expect(r).toMatchObject({ condition: 'not-authorized' });
    }
    const [wrong] = await feed(server.start('PLAIN', FROM('192.0.2.3')), ['\0user\0guess']);
    const [right] = await feed(server.start('PLAIN', FROM('192.0.2.4')), ['\0user\0pencil']);
    expect(wrong).toMatchObject({ kind: 'failure', condition: 'temporary-auth-failure' });
    expect(right).toEqual(wrong);
  });

  it('a refused address is refused on every mechanism', async () => {
    const throttle = new MemoryLoginThrottle({ failureDelayMs: 0, maxFailuresPerAddress: 1 });
    const server = new SASLServer({ mechanisms: [new PLAINServer(), ...scramServerMechanisms({ hashes: ['SHA-256'], plus: false })], credentials: await store(), secret: SECRET, throttle });
    await feed(server.start('PLAIN', FROM('192.0.2.50')), ['\0user\0guess']);
    const [scram] = await feed(server.start('SCRAM-SHA-256', FROM('192.0.2.50')), ['n,,n=user,r=abcdefghijkl']);
    expect(scram).toMatchObject({ kind: 'failure', condition: 'temporary-auth-failure' });
    const [other] = await feed(server.start('SCRAM-SHA-256', FROM('192.0.2.51')), ['n,,n=user,r=abcdefghijkl']);
    expect(other?.kind).toBe('challenge');
  });

  it('a throttle that throws refuses the start (temporary-auth-failure) and is reported', async () => {
    const errors: unknown[] = [];
    const throttle: LoginThrottle = { check: () => Promise.reject(new Error('redis down')), failed: () => ({ action: 'allow' }) };
    const server = new SASLServer({ mechanisms: [new PLAINServer()], credentials: await store(), secret: SECRET, throttle, onInternalError: (e) => errors.push(e) });
    const [r] = await feed(server.start('PLAIN', FROM('192.0.2.1')), ['\0user\0pencil']);
    expect(r).toMatchObject({ kind: 'failure', condition: 'temporary-auth-failure', text: 'internal error' });
    expect(errors).toHaveLength(1);
  });

  it('a default server has the defence: a failed login is answered after a delay', async () => {
    const server = new SASLServer({ mechanisms: [new PLAINServer()], credentials: await store(), secret: SECRET });
    const started = performance.now();
    const [r] = await feed(server.start('PLAIN', FROM('192.0.2.1')), ['\0user\0wrong']);
    expect(r?.kind).toBe('failure');
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(server.maxAuthFailures).toBe(DEFAULT_MAX_AUTH_FAILURES);
    expect(() => new SASLServer({ mechanisms: [new PLAINServer()], maxAuthFailures: 0 })).toThrow(/maxAuthFailures/);
    expect(() => new SASLServer({ mechanisms: [new PLAINServer()], throttle: {} as LoginThrottle })).toThrow(/throttle/);
  });

  it('isFailedLogin: credential failures only', () => {
    const f = (condition: 'not-authorized' | 'malformed-request' | 'aborted' | 'invalid-authzid' | 'temporary-auth-failure') => ({ kind: 'failure' as const, condition, text: null, data: null });
    expect(['not-authorized', 'invalid-authzid'].every((c) => isFailedLogin(f(c as 'not-authorized')))).toBe(true);
    expect(['malformed-request', 'aborted', 'temporary-auth-failure'].some((c) => isFailedLogin(f(c as 'aborted')))).toBe(false);
  });
});
