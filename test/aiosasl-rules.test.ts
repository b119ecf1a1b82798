// Issue 9 kind 9: aiosasl's rules to the letter. (a) An error raised locally
// carries opaqueError === null (the server side keeps its conditions, which
// it sends to the peer). (b) abort() leaves the machine in FAILURE whatever
// the interface does and re-raises what it threw; abort is refused while
// success data is shown as a final challenge. A server failing mutual
// authentication stays an AuthenticationFailure.
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, SASLError, SASLFailure, SASLStateMachine, SCRAM } from '../src/index.js';
import { runMechanism } from '../src/mechanism.js';
import { MemoryCredentialStore, SASLServer, SCRAMServer } from '../src/server/index.js';
import { ReferenceScramServer, ScriptedInterface } from './helpers/scripted.js';

const SALT = new Uint8Array(16).fill(3);
const CNONCE = 'fyko+d2lbbFgONRv9qkxdawL';

function server(tamperServerFirst?: (m: string) => string, password = 'pencil') {
  return new ReferenceScramServer({ hash: 'SHA-256', username: 'user', password, salt: SALT, iterations: 4096, ...(tamperServerFirst ? { tamperServerFirst } : {}) });
}

describe('(a) locally raised errors carry opaqueError null', () => {
  const scram = (password = 'pencil') => new SCRAM(() => ['user', password], { generateNonce: () => CNONCE });
  const nonce = (m: string) => /r=([^,]+)/.exec(m)![1]!;

  it.each([
    ['a server-first of unknown attributes', () => 's=hut,t=hefu,c=kup,d=onny'],
    ['an attribute with a long key', (m: string) => `r=${nonce(m)},foo=bar,s=QUJD,i=4096`],
    ['an iteration count that is not an integer', (m: string) => `r=${nonce(m)},s=QUJD,i=sometext`],
    ['a server-first that is not UTF-8', () => '\u00ff'],
  ] as const)('%s', async (_what, tamper) => {
    const srv = server(tamper as (m: string) => string);
    const err = await runMechanism(scram(), new SASLStateMachine(srv), 'SCRAM-SHA-256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBeNull();
    expect(srv.aborted).toBe(true);
  });

  it('a password that SASLprep forbids', async () => {
    const srv = server();
    const err = await runMechanism(scram('pen\u0007cil'), new SASLStateMachine(srv), 'SCRAM-SHA-256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLError);
    expect((err as SASLError).opaqueError).toBeNull();
    expect(srv.ops).toEqual([]);
  });

  it('an unverifiable server-final is a local AuthenticationFailure', async () => {
    const srv = new ReferenceScramServer({ hash: 'SHA-256', username: 'user', password: 'pencil', salt: SALT, iterations: 4096, tamperServerFinal: () => 'v=!!!!', finalAs: 'challenge' });
    const err = await runMechanism(scram(), new SASLStateMachine(srv), 'SCRAM-SHA-256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBeNull();
  });

  it('a server-error e= from the peer keeps its value; the server side keeps sending its conditions', async () => {
    const srv = new ReferenceScramServer({ hash: 'SHA-256', username: 'user', password: 'pencil', salt: SALT, iterations: 4096, tamperServerFinal: () => 'e=invalid-proof', finalAs: 'challenge' });
    const err = await runMechanism(scram(), new SASLStateMachine(srv), 'SCRAM-SHA-256').catch((e: unknown) => e);
    expect((err as AuthenticationFailure).opaqueError).toBe('invalid-proof');
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'] });
    const ex = new SASLServer({ mechanisms: [new SCRAMServer('SHA-256')], credentials }).start('SCRAM-SHA-256', { secure: true });
    expect(await ex.step(new TextEncoder().encode('n,,n=user,r=abc,foo=bar'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('a server failing mutual authentication is an AuthenticationFailure (saslkit keeps this stricter choice)', async () => {
    const forged = new ReferenceScramServer({ hash: 'SHA-256', username: 'user', password: 'pencil', salt: SALT, iterations: 4096, tamperServerFinal: () => 'v=AAAA' });
    const err = await runMechanism(scram(), new SASLStateMachine(forged), 'SCRAM-SHA-256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).text).toMatch(/wrong server signature/);
  });
});

describe('(b) abort() always ends in FAILURE', () => {
  const open = async (abort: ConstructorParameters<typeof ScriptedInterface>[1]) => {
    const sm = new SASLStateMachine(new ScriptedInterface([{ reply: ['challenge', 'c'] }], abort));
    await sm.initiate('X-TEST');
    return sm;
  };

  it('the interface reports success: FAILURE all the same', async () => {
    const sm = await open({ abort: { reply: ['success', null] } });
    expect(await sm.abort()).toEqual(['failure', null]);
    expect(sm.state).toBe('failure');
  });

  it('the interface throws a SASLFailure: FAILURE, re-thrown', async () => {
    const sm = await open({ abort: { fail: 'aborted' } });
    const err = await sm.abort().catch((e: unknown) => e);
    expect((err as SASLFailure).opaqueError).toBe('aborted');
    expect(sm.state).toBe('failure');
  });

  it('the interface throws anything else: FAILURE, the very same error re-thrown', async () => {
    const boom = new TypeError('socket gone');
    const sm = await open({ abort: { throws: boom } });
    expect(await sm.abort().catch((e: unknown) => e)).toBe(boom);
    expect(sm.state).toBe('failure');
  });

  it('the interface returns garbage: FAILURE, a SASLError', async () => {
    const sm = await open({ abort: { reply: ['weird', null] } });
    expect(await sm.abort().catch((e: unknown) => e)).toBeInstanceOf(SASLError);
    expect(sm.state).toBe('failure');
  });

  it('is refused while success data is shown as a final challenge, without calling the interface', async () => {
    const intf = new ScriptedInterface([{ reply: ['success', 'v=data'] }]);
    const sm = new SASLStateMachine(intf);
    expect(await sm.initiate('X-TEST')).toEqual(['challenge', new TextEncoder().encode('v=data')]);
    expect(sm.state).toBe('success-simulate-challenge');
    const err = await sm.abort().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLError);
    expect((err as SASLError).kind).toBe('invalid state');
    expect(intf.aborted).toBe(false);
    expect(sm.state).toBe('success-simulate-challenge');
    expect(await sm.response(new Uint8Array(0))).toEqual(['success', null]);
  });
});
