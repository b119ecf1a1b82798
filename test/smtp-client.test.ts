// The SMTP client and SmtpSASLInterface against recorded server transcripts:
// the reply codes and odd server behaviour our own server never produces
// (the real-server runs are in interop-smtp.test.ts).
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, LOGIN, PLAIN, SASLError, SASLFailure, SASLStateMachine, authenticate } from '../src/index.js';
import { base64Encode } from '../src/mechanism.js';
import { SmtpClient, SmtpProtocolError, SmtpReplyError, SmtpSASLInterface, type LineTransport } from '../src/protocols/smtp/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A transport replaying a server transcript and recording what the client wrote. */
class Transcript implements LineTransport {
  readonly written: string[] = [];
  closed = false;
  constructor(readonly replies: string[]) {}
  async readLine(): Promise<string> {
    const l = this.replies.shift();
    if (l === undefined) throw new SASLError(null, 'transport error', 'transcript exhausted');
    return l;
  }
  async writeLine(line: string): Promise<void> {
    this.written.push(line);
  }
  close(): void {
    this.closed = true;
  }
}

const creds = (): readonly [string, string] => ['user', 'pencil'];

async function authWith(replies: string[], options: { maxCommandLength?: number } = {}) {
  const t = new Transcript(replies);
  const client = new SmtpClient(t, options);
  const intf = new SmtpSASLInterface(client);
  return { t, client, intf };
}

describe('SmtpClient', () => {
  it('reads the greeting, EHLO, STARTTLS with re-EHLO', async () => {
    const t = new Transcript([
      '220-mx.example ESMTP',
      '220 ready',
      '250-mx.example hi',
      '250-STARTTLS',
      '250 AUTH SCRAM-SHA-256',
      '220 2.0.0 go ahead',
      '250-mx.example hi again',
      '250 AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN',
    ]);
    const c = new SmtpClient(t);
    await c.readGreeting();
    expect((await c.ehlo('me.example')).startTLS).toBe(true);
    let upgraded = false;
    const after = await c.startTLS(async () => {
      expect(c.extensions).toBeNull(); // forgotten before the handshake
      upgraded = true;
    });
    expect(upgraded).toBe(true);
    expect(after.authMechanisms).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'PLAIN']);
    expect(t.written).toEqual(['EHLO me.example', 'STARTTLS', 'EHLO me.example']);
  });

  it('refuses a bad greeting, a refused EHLO, a refused STARTTLS', async () => {
    await expect(new SmtpClient(new Transcript(['554 no service'])).readGreeting()).rejects.toThrow(SmtpReplyError);
    await expect(new SmtpClient(new Transcript(['502 5.5.1 no'])).ehlo('x')).rejects.toThrow(/EHLO answered 502/);
    const c = new SmtpClient(new Transcript(['250 mx', '454 4.7.0 TLS not available']));
    await c.ehlo('x');
    await expect(c.startTLS(async () => {})).rejects.toThrow(SmtpReplyError);
    await expect(new SmtpClient(new Transcript([])).startTLS(async () => {})).rejects.toThrow(/EHLO before STARTTLS/);
    await expect(new SmtpClient(new Transcript([])).ehlo('bad domain')).rejects.toThrow(SASLError);
    expect(() => new SmtpClient(new Transcript([]), { maxCommandLength: 10 })).toThrow(SASLError);
  });
});

describe('SmtpSASLInterface', () => {
  it('sends the initial response in AUTH, `=` for an empty one', async () => {
    const { t, intf } = await authWith(['235 2.7.0 ok', '235 ok']);
    expect(await intf.initiate('PLAIN', enc('\0user\0pencil'))).toEqual(['success', null]);
    expect(await intf.initiate('external', new Uint8Array(0))).toEqual(['success', null]);
    expect(t.written).toEqual([`AUTH PLAIN ${base64Encode(enc('\0user\0pencil'))}`, 'AUTH EXTERNAL =']);
  });

  it('sends an initial response that would make the line too long after the empty 334 (RFC 4954 §4)', async () => {
    const ir = enc(`\0${'u'.repeat(100)}\0pencil`);
    const { t, intf } = await authWith(['334 ', '235 2.7.0 ok'], { maxCommandLength: 64 });
    expect(await intf.initiate('PLAIN', ir)).toEqual(['success', null]);
    expect(t.written).toEqual(['AUTH PLAIN', base64Encode(ir)]);
  });

  it('cancels when the server sends a non-empty challenge where an empty one was due', async () => {
    const { t, intf } = await authWith(['334 Zm9v', '501 5.7.0 aborted'], { maxCommandLength: 64 });
    await expect(intf.initiate('PLAIN', new Uint8Array(100))).rejects.toThrow(SASLFailure);
    expect(t.written).toEqual(['AUTH PLAIN', '*']);
  });

  it('reads a 334 whose text is not base64 as the empty "go ahead" when the initial response is due', async () => {
    for (const line of ['334 Go ahead', '334 ', '334', '334 = ']) {
      const { t, intf } = await authWith([line, '235 2.7.0 ok'], { maxCommandLength: 64 });
      const ir = new Uint8Array(100).fill(65);
      expect(await intf.initiate('PLAIN', ir), line).toEqual(['success', null]);
      expect(t.written).toEqual(['AUTH PLAIN', base64Encode(ir)]);
    }
  });

  it('decodes 334 challenges, sends empty responses as empty lines', async () => {
    const { t, intf } = await authWith(['334 ', '334 dj1zaWc=', '235 ok']);
    expect(await intf.initiate('SCRAM-SHA-256')).toEqual(['challenge', new Uint8Array(0)]);
    expect(await intf.respond(enc('x'))).toEqual(['challenge', enc('v=sig')]);
    expect(await intf.respond(new Uint8Array(0))).toEqual(['success', null]);
    expect(t.written).toEqual(['AUTH SCRAM-SHA-256', 'eA==', '']);
  });

  it('LOGIN is answered when 334 lines carry trailing words after the base64 token', async () => {
    const { t, intf } = await authWith(['334 VXNlcm5hbWU6 some trailing words', '334 UGFzc3dvcmQ6 and more here', '235 2.7.0 ok']);
    expect(await authenticate(intf, ['LOGIN'], [new LOGIN(creds, { allowInsecureChannel: true })])).toBe('LOGIN');
    expect(t.written).toEqual(['AUTH LOGIN', base64Encode(enc('user')), base64Encode(enc('pencil'))]);
  });

  it.each([
    ['334 dj1zaWc= trailing words', 'v=sig'],
    ['334 dj1zaWc=\ttab then words', 'v=sig'],
    ['334  dj1zaWc=', 'v=sig'],
    ['334 dj1zaWc=  ', 'v=sig'],
    ['334 VXNlcm5hbWU6', 'Username:'],
    ['334 ', ''],
    ['334', ''],
  ])('takes the base64 token of %j', async (line, data) => {
    const { intf } = await authWith([line]);
    expect(await intf.initiate('SCRAM-SHA-256')).toEqual(['challenge', enc(data)]);
  });

  it('cancels with `*` when a challenge is not valid base64, and reports incorrect-encoding', async () => {
    const { t, intf } = await authWith(['334 !!notbase64!!', '501 5.7.0 cancelled']);
    const err = await intf.initiate('SCRAM-SHA-256').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBe('incorrect-encoding');
    expect(t.written).toEqual(['AUTH SCRAM-SHA-256', '*']);
  });

  it.each([
    ['535 5.7.8 Authentication credentials invalid', 'not-authorized'],
    ['534 5.7.9 Authentication mechanism is too weak', 'mechanism-too-weak'],
    ['538 5.7.11 Encryption required', 'encryption-required'],
    ['454 4.7.0 Temporary authentication failure', 'temporary-auth-failure'],
    ['504 5.5.4 Unrecognized authentication type', 'invalid-mechanism'],
    ['501 5.5.2 Cannot decode', 'malformed-request'],
    ['500 5.5.6 Authentication Exchange line is too long', 'malformed-request'],
    ['432 4.7.12 A password transition is needed', 'credentials-expired'],
    ['535 Authentication failed', 'not-authorized'],
  ])('maps %j to %s', async (line, condition) => {
    const { intf } = await authWith([line]);
    const err = await intf.initiate('PLAIN', enc('\0u\0p')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBe(condition);
    expect((err as SASLFailure).text).not.toMatch(/^\d\.\d/); // enhanced code stripped
  });

  it('a 535 stops authenticate() with an AuthenticationFailure', async () => {
    const { intf } = await authWith(['535 5.7.8 no']);
    await expect(authenticate(intf, ['PLAIN'], [new PLAIN(creds, { allowInsecureChannel: true })])).rejects.toBeInstanceOf(AuthenticationFailure);
  });

  it('aborts with `*`, expecting 501', async () => {
    const { t, intf } = await authWith(['334 ', '501 5.7.0 Authentication aborted']);
    const sm = new SASLStateMachine(intf);
    await sm.initiate('SCRAM-SHA-256');
    await sm.abort();
    expect(sm.state).toBe('failure');
    expect(t.written).toEqual(['AUTH SCRAM-SHA-256', '*']);
  });

  it('treats a server that ignores the abort, or odd replies to AUTH, as protocol errors', async () => {
    const a = await authWith(['334 ', '334 ']);
    await a.intf.initiate('X');
    await expect(a.intf.abort()).rejects.toThrow(SmtpProtocolError);
    const b = await authWith(['250 ok']);
    await expect(b.intf.initiate('PLAIN', enc('x'))).rejects.toThrow(SmtpProtocolError);
    const c = await authWith(['334-a', '334 b']);
    await expect(c.intf.initiate('PLAIN')).rejects.toThrow(/one line/);
  });

  it('refuses misuse: bad mechanism names, respond without exchange, concurrent AUTH', async () => {
    const { intf } = await authWith(['334 ']);
    await expect(intf.initiate('PL AIN')).rejects.toThrow(SASLError);
    await expect(intf.initiate('PLAIN\r\nQUIT')).rejects.toThrow(SASLError);
    await expect(intf.respond(new Uint8Array(0))).rejects.toThrow(/no AUTH exchange/);
    await intf.initiate('PLAIN');
    await expect(intf.initiate('PLAIN')).rejects.toThrow(/already in progress/);
    await expect(intf.respond('x' as unknown as Uint8Array)).rejects.toThrow(SASLError);
  });
});
