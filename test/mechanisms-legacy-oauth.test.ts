import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, CRAMMD5, LOGIN, OAUTHBEARER, SASLError, SASLFailure, SASLStateMachine, XOAUTH2 } from '../src/index.js';
import { cramMd5Response, encodeOAuthBearerMessage, encodeXOAuth2Message, parseOAuthError, runMechanism } from '../src/mechanism.js';
import { ScriptedInterface } from './helpers/scripted.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('LOGIN', () => {
  it('answers the two prompts with user name then password', async () => {
    const intf = new ScriptedInterface([
      { expect: null, reply: ['challenge', 'Username:'] },
      { expect: 'tim', reply: ['challenge', 'Password:'] },
      { expect: 'tanstaaftanstaaf', reply: ['success', null] },
    ]);
    const sm = new SASLStateMachine(intf);
    await runMechanism(new LOGIN(() => ['tim', 'tanstaaftanstaaf']), sm, 'LOGIN');
    expect(sm.state).toBe('success');
  });
  it('promotes a not-authorized failure to AuthenticationFailure', async () => {
    const intf = new ScriptedInterface([
      { reply: ['challenge', 'Username:'] },
      { reply: ['challenge', 'Password:'] },
      { fail: 'not-authorized' },
    ]);
    await expect(runMechanism(new LOGIN(() => ['tim', 'x']), new SASLStateMachine(intf), 'LOGIN')).rejects.toBeInstanceOf(AuthenticationFailure);
  });
  it('refuses CR/LF in credentials and a server that does not prompt', async () => {
    await expect(runMechanism(new LOGIN(() => ['ti\nm', 'x']), new SASLStateMachine(new ScriptedInterface([])), 'LOGIN')).rejects.toBeInstanceOf(SASLError);
    const intf = new ScriptedInterface([{ reply: ['success', null] }]);
    await expect(runMechanism(new LOGIN(() => ['tim', 'x']), new SASLStateMachine(intf), 'LOGIN')).rejects.toBeInstanceOf(SASLFailure);
  });
  it('anySupported', () => {
    expect(new LOGIN(() => ['a', 'b']).anySupported(['plain', 'login'])).toBe('LOGIN');
    expect(new LOGIN(() => ['a', 'b']).anySupported(['PLAIN'])).toBeNull();
  });
});

describe('CRAM-MD5', () => {
  it('RFC 2195 §2 example', () => {
    const challenge = new TextEncoder().encode('<1896.697170952@postoffice.reston.mci.net>');
    expect(text(cramMd5Response('tim', 'tanstaaftanstaaf', challenge))).toBe('tim b913a602c7eda7a495b4e6e7334d3890');
  });
  it('runs the exchange', async () => {
    const intf = new ScriptedInterface([
      { expect: null, reply: ['challenge', '<1896.697170952@postoffice.reston.mci.net>'] },
      { expect: 'tim b913a602c7eda7a495b4e6e7334d3890', reply: ['success', null] },
    ]);
    await runMechanism(new CRAMMD5(() => ['tim', 'tanstaaftanstaaf']), new SASLStateMachine(intf), 'CRAM-MD5');
  });
  it('rejects an empty challenge and aborts', async () => {
    const intf = new ScriptedInterface([{ reply: ['challenge', ''] }]);
    await expect(runMechanism(new CRAMMD5(() => ['tim', 'x']), new SASLStateMachine(intf), 'CRAM-MD5')).rejects.toBeInstanceOf(SASLFailure);
    expect(intf.aborted).toBe(true);
  });
  it('rejects a user name with a space', () => {
    expect(() => cramMd5Response('a b', 'x', new Uint8Array([60]))).toThrow(SASLError);
  });
});

describe('OAUTHBEARER (RFC 7628)', () => {
  it('§4.1 example message byte for byte', () => {
    const msg = encodeOAuthBearerMessage('user@example.com', 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==', { host: 'server.example.com', port: 143 });
    expect(text(msg)).toBe('n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01');
  });
  it('escapes , and = in the authzid', () => {
    expect(text(encodeOAuthBearerMessage('a,b=c', 'tok'))).toBe('n,a=a=2Cb=3Dc,\x01auth=Bearer tok\x01\x01');
  });
  it('§4.3 failure: acknowledges the error challenge with \\x01 and throws AuthenticationFailure', async () => {
    const err = '{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}';
    const intf = new ScriptedInterface([
      { reply: ['challenge', err] },
      { expect: '\x01', fail: 'not-authorized' },
    ]);
    const p = runMechanism(new OAUTHBEARER(() => ['user@example.com', 'tok'], { host: 'server.example.com', port: 143 }), new SASLStateMachine(intf), 'OAUTHBEARER');
    await expect(p).rejects.toBeInstanceOf(AuthenticationFailure);
    await expect(p).rejects.toThrow(/invalid_token/);
    expect(parseOAuthError(new TextEncoder().encode(err))).toEqual({
      status: 'invalid_token',
      scope: 'example_scope',
      openidConfiguration: 'https://example.com/.well-known/openid-configuration',
    });
  });
  it('parses garbage errors defensively', () => {
    expect(parseOAuthError(new TextEncoder().encode('not json'))).toEqual({ status: 'invalid_request' });
    expect(parseOAuthError(new Uint8Array([0xff, 0xfe]))).toEqual({ status: 'invalid_request' });
  });
  it('refuses a token that is not a b64token', () => {
    expect(() => encodeOAuthBearerMessage('u', 'bad token')).toThrow(SASLError);
    expect(() => encodeOAuthBearerMessage('u', 'tok\x01')).toThrow(SASLError);
  });
});

describe('XOAUTH2', () => {
  it('message format (Google documentation example)', () => {
    expect(text(encodeXOAuth2Message('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg'))).toBe(
      'user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01',
    );
  });
  it('acknowledges an error challenge with an empty response', async () => {
    const intf = new ScriptedInterface([
      { reply: ['challenge', '{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'] },
      { expect: '', fail: null },
    ]);
    await expect(runMechanism(new XOAUTH2(() => ['u@example.com', 'tok']), new SASLStateMachine(intf), 'XOAUTH2')).rejects.toBeInstanceOf(AuthenticationFailure);
  });
  it('succeeds', async () => {
    const intf = new ScriptedInterface([{ reply: ['success', null] }]);
    await runMechanism(new XOAUTH2(() => ['u@example.com', 'tok']), new SASLStateMachine(intf), 'XOAUTH2');
  });
});
