// Server sides of CRAM-MD5, OAUTHBEARER and XOAUTH2, against saslkit's own
// clients over the in-process LoopbackInterface, plus hostile inputs.
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, CRAMMD5, OAUTHBEARER, SASLFailure, SASLStateMachine, XOAUTH2, authenticate } from '../src/index.js';
import { runMechanism } from '../src/mechanism.js';
import {
  CRAMMD5Server,
  LoopbackInterface,
  OAUTHBEARERServer,
  SASLServer,
  XOAUTH2Server,
  type OAuthTokenRequest,
} from '../src/server/index.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function cramServer() {
  return new SASLServer({ mechanisms: [new CRAMMD5Server({ lookupSecret: (u) => (u === 'tim' ? 'tanstaaftanstaaf' : null), hostname: 'mail.example' })] });
}

describe('CRAM-MD5 server', () => {
  it('authenticates the saslkit client with the right password, on an insecure connection too', async () => {
    const server = cramServer();
    expect(server.advertise({ secure: false })).toContain('CRAM-MD5');
    const intf = new LoopbackInterface(server, { secure: false });
    expect(await authenticate(intf, ['CRAM-MD5'], [new CRAMMD5(() => ['tim', 'tanstaaftanstaaf'])])).toBe('CRAM-MD5');
    expect(intf.outcome).toMatchObject({ mechanism: 'CRAM-MD5', authcid: 'tim', authzid: 'tim' });
  });
  it('sends a fresh msg-id challenge each time', async () => {
    const server = cramServer();
    const a = await server.start('CRAM-MD5', { secure: false }).step(null);
    const b = await server.start('CRAM-MD5', { secure: false }).step(null);
    expect(a.kind).toBe('challenge');
    const ca = dec((a as { data: Uint8Array }).data);
    expect(ca).toMatch(/^<[0-9a-f]{16}\.\d+@mail\.example>$/);
    expect(ca).not.toBe(dec((b as { data: Uint8Array }).data));
  });
  it('wrong password and unknown user both fail not-authorized', async () => {
    for (const [user, pw] of [['tim', 'wrong'], ['nobody', 'tanstaaftanstaaf']] as const) {
      const intf = new LoopbackInterface(cramServer(), { secure: false });
      const err = await authenticate(intf, ['CRAM-MD5'], [new CRAMMD5(() => [user, pw])]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    }
  });
  it('rejects an initial response and malformed answers with malformed-request', async () => {
    const server = cramServer();
    expect(await server.start('CRAM-MD5', { secure: false }).step(enc('tim 0123'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    for (const bad of ['tim', ' b913a602c7eda7a495b4e6e7334d3890', 'tim B913A602C7EDA7A495B4E6E7334D3890', 'tim b913a602', '\xff']) {
      const ex = server.start('CRAM-MD5', { secure: false });
      await ex.step(null);
      const r = await ex.step(enc(bad));
      expect(r).toMatchObject({ kind: 'failure' });
    }
    const ex = server.start('CRAM-MD5', { secure: false });
    await ex.step(null);
    expect(await ex.step(new Uint8Array([0xc3, 0x28]))).toMatchObject({ kind: 'failure', condition: 'incorrect-encoding' });
  });
});

function oauthServer(seen: OAuthTokenRequest[] = []) {
  const validateToken = (req: OAuthTokenRequest) => {
    seen.push(req);
    return req.token === 'good-token' ? { valid: true as const, authcid: 'alice', claims: { scope: 'mail' } } : { valid: false as const, status: 'invalid_token', scope: 'mail' };
  };
  return new SASLServer({
    mechanisms: [new OAUTHBEARERServer({ validateToken, openidConfiguration: 'https://auth.example/.well-known/openid-configuration' }), new XOAUTH2Server({ validateToken })],
  });
}

describe('OAUTHBEARER server', () => {
  it('accepts a good token; validator sees user, host and port; claims reach the outcome', async () => {
    const seen: OAuthTokenRequest[] = [];
    const server = oauthServer(seen);
    expect(server.advertise({ secure: false })).toEqual([]);
    expect(server.advertise({ secure: true })).toEqual(['OAUTHBEARER', 'XOAUTH2']);
    const intf = new LoopbackInterface(server, { secure: true });
    await authenticate(intf, ['OAUTHBEARER'], [new OAUTHBEARER(() => ['alice', 'good-token'], { host: 'imap.example', port: 993 })]);
    expect(seen[0]).toEqual({ token: 'good-token', user: 'alice', host: 'imap.example', port: 993 });
    expect(intf.outcome).toMatchObject({ mechanism: 'OAUTHBEARER', authcid: 'alice', authzid: 'alice', claims: { scope: 'mail' } });
  });
  it('refuses a bad token with the RFC 7628 JSON error challenge, then not-authorized', async () => {
    const server = oauthServer();
    const ex = server.start('OAUTHBEARER', { secure: true });
    const r1 = await ex.step(enc('n,a=alice,\x01auth=Bearer bad\x01\x01'));
    expect(r1.kind).toBe('challenge');
    expect(JSON.parse(dec((r1 as { data: Uint8Array }).data))).toEqual({
      status: 'invalid_token',
      scope: 'mail',
      'openid-configuration': 'https://auth.example/.well-known/openid-configuration',
    });
    expect(await ex.step(new Uint8Array([1]))).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
    const intf = new LoopbackInterface(server, { secure: true });
    const err = await authenticate(intf, ['OAUTHBEARER'], [new OAUTHBEARER(() => ['alice', 'bad'])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as Error).message).toMatch(/invalid_token/);
  });
  it('rejects malformed messages', async () => {
    const server = oauthServer();
    for (const bad of ['', 'n,,', 'p=tls-unique,,\x01auth=Bearer good-token\x01\x01', 'n,,\x01auth=Bearer good-token\x01', 'n,,\x01auth=Basic Zm9v\x01\x01', 'n,,\x01=x\x01auth=Bearer good-token\x01\x01', 'n,,\x01auth=Bearer a\x01auth=Bearer b\x01\x01', 'n,,\x01port=99999\x01auth=Bearer good-token\x01\x01']) {
      const r = await server.start('OAUTHBEARER', { secure: true }).step(enc(bad));
      expect(r, JSON.stringify(bad)).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
    }
  });
  it('asks the client to go first with an empty challenge', async () => {
    const ex = oauthServer().start('OAUTHBEARER', { secure: true });
    expect(await ex.step(null)).toMatchObject({ kind: 'challenge' });
    const done = await ex.step(enc('n,,\x01auth=Bearer good-token\x01\x01'));
    expect(done).toMatchObject({ kind: 'success' });
  });
});

describe('XOAUTH2 server', () => {
  it('accepts a good token and refuses a bad one after the empty acknowledgement', async () => {
    const server = oauthServer();
    const ok = new LoopbackInterface(server, { secure: true });
    await authenticate(ok, ['XOAUTH2'], [new XOAUTH2(() => ['alice@example.com', 'good-token'])]);
    expect(ok.outcome).toMatchObject({ mechanism: 'XOAUTH2', authcid: 'alice' });
    const bad = new LoopbackInterface(server, { secure: true });
    await expect(runMechanism(new XOAUTH2(() => ['alice@example.com', 'nope']), new SASLStateMachine(bad), 'XOAUTH2')).rejects.toBeInstanceOf(AuthenticationFailure);
  });
  it('rejects a message without user=', async () => {
    const r = await oauthServer().start('XOAUTH2', { secure: true }).step(enc('auth=Bearer good-token\x01\x01'));
    expect(r).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });
  it('a throwing validator becomes temporary-auth-failure, not a crash', async () => {
    const internal: unknown[] = [];
    const server = new SASLServer({
      mechanisms: [new XOAUTH2Server({ validateToken: () => { throw new Error('introspection endpoint down'); } })],
      onInternalError: (err) => internal.push(err),
    });
    const r = await server.start('XOAUTH2', { secure: true }).step(enc('user=a\x01auth=Bearer t\x01\x01'));
    expect(r).toMatchObject({ kind: 'failure', condition: 'temporary-auth-failure' });
    // The validator's own error goes to the operator's hook, not to the client.
    expect(internal).toHaveLength(1);
    expect((internal[0] as Error).message).toBe('introspection endpoint down');
    expect(JSON.stringify(r)).not.toContain('introspection');
  });
});

describe('LOGIN server', () => {
  async function loginServer() {
    const { MemoryCredentialStore } = await import('../src/server/index.js');
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('tim', 'pässword', { iterations: 4096, hashes: ['SHA-256'] });
    const { LOGINServer } = await import('../src/server/index.js');
    return new SASLServer({ mechanisms: [new LOGINServer()], credentials });
  }
  it('is offered only over secure connections', async () => {
    const server = await loginServer();
    expect(server.advertise({ secure: false })).toEqual([]);
    expect(server.advertise({ secure: true })).toEqual(['LOGIN']);
  });
  it('authenticates the saslkit LOGIN client against a SCRAM verifier; prompts are Username:/Password:', async () => {
    const { LOGIN } = await import('../src/index.js');
    const intf = new LoopbackInterface(await loginServer(), { secure: true });
    await authenticate(intf, ['LOGIN'], [new LOGIN(() => ['tim', 'pässword'])]);
    expect(intf.outcome).toMatchObject({ mechanism: 'LOGIN', authcid: 'tim', authzid: 'tim' });
    expect(intf.results.slice(0, 2).map((r) => r.kind === 'challenge' && dec(r.data))).toEqual(['Username:', 'Password:']);
  });
  it('accepts the user name as initial response', async () => {
    const ex = (await loginServer()).start('LOGIN', { secure: true });
    expect(dec(((await ex.step(enc('tim'))) as { data: Uint8Array }).data)).toBe('Password:');
    expect(await ex.step(enc('pässword'))).toMatchObject({ kind: 'success' });
  });
  it('wrong password and unknown user fail not-authorized; NUL is malformed', async () => {
    const { LOGIN } = await import('../src/index.js');
    for (const [u, p] of [['tim', 'nope'], ['ghost', 'pässword']] as const) {
      const err = await authenticate(new LoopbackInterface(await loginServer(), { secure: true }), ['LOGIN'], [new LOGIN(() => [u, p])]).catch((e: unknown) => e);
      expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    }
    const ex = (await loginServer()).start('LOGIN', { secure: true });
    await ex.step(null);
    expect(await ex.step(enc('t\0im'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });
});

describe('EXTERNAL server', () => {
  it('is offered only with an external identity, which becomes the authcid', async () => {
    const { EXTERNAL } = await import('../src/index.js');
    const { EXTERNALServer } = await import('../src/server/index.js');
    const server = new SASLServer({ mechanisms: [new EXTERNALServer()] });
    expect(server.advertise({ secure: true })).toEqual([]);
    const conn = { secure: true, externalIdentity: 'CN=alice,O=Example' };
    expect(server.advertise(conn)).toEqual(['EXTERNAL']);
    const intf = new LoopbackInterface(server, conn);
    await authenticate(intf, ['EXTERNAL'], [new EXTERNAL()]);
    expect(intf.outcome).toMatchObject({ mechanism: 'EXTERNAL', authcid: 'CN=alice,O=Example', authzid: 'CN=alice,O=Example' });
  });
  it('asking for another identity is refused by the default authorizer; without identity not-authorized', async () => {
    const { EXTERNAL } = await import('../src/index.js');
    const { EXTERNALServer } = await import('../src/server/index.js');
    const server = new SASLServer({ mechanisms: [new EXTERNALServer()] });
    const err = await authenticate(new LoopbackInterface(server, { secure: true, externalIdentity: 'alice' }), ['EXTERNAL'], [new EXTERNAL({ authzid: 'root' })]).catch((e: unknown) => e);
    expect((err as SASLFailure).opaqueError).toBe('invalid-authzid');
    expect(await server.start('EXTERNAL', { secure: true }).step(new Uint8Array(0))).toMatchObject({ kind: 'failure' });
  });
});
