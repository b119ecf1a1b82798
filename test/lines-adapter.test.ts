// The base64-line adapter's edge cases that a real gsasl never produces
// (a misbehaving peer), over real in-process pipes. The normal flows run
// against gsasl itself in interop-gsasl.test.ts.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PLAIN, SASLError, SASLFailure, SASLStateMachine } from '../src/index.js';
import { base64Encode, utf8Encode, runMechanism } from '../src/mechanism.js';
import { StreamLineTransport } from '../src/node/transport/stream-line-transport.js';
import { GsaslDiagnostics, LinesSASLInterface, serveLines } from '../src/gsasl.js';
import { checkMechanismName, decodeLine, encodeLine } from '../src/protocols/lines/format.js';
import { gsaslErrorCondition } from '../src/protocols/lines/status.js';
import { MemoryCredentialStore, PLAINServer, SASLServer, scramServerMechanisms } from '../src/server/index.js';

/** Two ends of a line pipe, plus a stderr-like status pipe for the client end. */
function pipes(readTimeoutMs = 2000) {
  const up = new PassThrough(); // client -> server
  const down = new PassThrough(); // server -> client
  const err = new PassThrough(); // server diagnostics
  return {
    client: new StreamLineTransport(down, up, { readTimeoutMs }),
    server: new StreamLineTransport(up, down, { readTimeoutMs }),
    status: new GsaslDiagnostics(new StreamLineTransport(err, null, { readTimeoutMs })),
    say: (line: string) => err.write(`${line}\n`),
  };
}

const b64 = (text: string) => base64Encode(utf8Encode(text));

describe('line format', () => {
  it('encodes and decodes base64 lines strictly; empty line = empty message', () => {
    expect(encodeLine(new Uint8Array(0))).toBe('');
    expect(decodeLine('')).toEqual(new Uint8Array(0));
    expect(decodeLine(encodeLine(utf8Encode('\0user\0pencil')))).toEqual(utf8Encode('\0user\0pencil'));
    for (const bad of ['abc', 'ab c=', 'AB==CD==', 'QUJD\r']) {
      expect(() => decodeLine(bad)).toThrow(SASLFailure);
      try {
        decodeLine(bad);
      } catch (err) {
        expect((err as SASLFailure).opaqueError).toBe('incorrect-encoding');
      }
    }
  });

  it('accepts only RFC 4422 mechanism names', () => {
    expect(checkMechanismName('SCRAM-SHA-256')).toBe('SCRAM-SHA-256');
    for (const bad of ['', 'plain', 'PLAIN\nX', 'A'.repeat(21), 'PLAIN SCRAM']) {
      expect(() => checkMechanismName(bad)).toThrow(SASLFailure);
    }
  });

  it('maps gsasl error messages to conditions', () => {
    expect(gsaslErrorCondition('mechanism error: Error authenticating user')).toBe('not-authorized');
    expect(gsaslErrorCondition('mechanism error: SASL mechanism could not parse input')).toBe('malformed-request');
    expect(gsaslErrorCondition('mechanism error: Base 64 coding error in SASL library')).toBe('incorrect-encoding');
    expect(gsaslErrorCondition('mechanism unavailable: Unknown SASL mechanism')).toBe('invalid-mechanism');
    expect(gsaslErrorCondition('mechanism error: No callback specified by caller (application error).')).toBe('temporary-auth-failure');
  });
});

describe('GsaslDiagnostics', () => {
  it('skips prompts and reports output, finished and errors', async () => {
    const p = pipes();
    for (const l of ['Using mechanism:', 'Output from server:', 'Enter base64 authentication data from client (press RET if none):', "warning: mechanism requested unsupported property `500'", 'Server authentication finished (client trusted)...']) p.say(l);
    expect(await p.status.next()).toEqual({ kind: 'output' });
    expect(await p.status.next()).toEqual({ kind: 'finished' });
    expect(await p.status.next()).toEqual({ kind: 'finished' }); // sticky
  });

  it('reports a channel-binding prompt and unknown prompts as failures instead of waiting', async () => {
    const p = pipes();
    p.say('Enter base64 encoded tls-exporter channel binding: Output from client:');
    expect(await p.status.next()).toMatchObject({ kind: 'failed', text: expect.stringContaining('--no-cb') });
    const q = pipes();
    q.say('Enter passcode: ');
    expect(await q.status.next()).toMatchObject({ kind: 'failed', condition: 'temporary-auth-failure' });
  });

  it('turns a silent or vanished peer into a failure, never a rejection', async () => {
    const p = pipes(50);
    expect(await p.status.next()).toMatchObject({ kind: 'failed', condition: 'temporary-auth-failure', text: expect.stringContaining('timed out') });
  });
});

describe('LinesSASLInterface against a misbehaving server', () => {
  it('refuses a bad mechanism name before writing anything', async () => {
    const p = pipes();
    const sm = new SASLStateMachine(new LinesSASLInterface(p.client, p.status, { sendMechanism: true }));
    await expect(sm.initiate('PLAIN\nEVIL', null)).rejects.toMatchObject({ opaqueError: 'invalid-mechanism' });
  });

  it('fails with invalid-mechanism when the server echoes another mechanism', async () => {
    const p = pipes();
    const sm = new SASLStateMachine(new LinesSASLInterface(p.client, p.status));
    const run = sm.initiate('PLAIN', utf8Encode('\0u\0p'));
    await p.server.writeLine('CRAM-MD5');
    await expect(run).rejects.toMatchObject({ opaqueError: 'invalid-mechanism' });
  });

  it('refuses a non-empty initial challenge when it has an initial response', async () => {
    const p = pipes();
    const sm = new SASLStateMachine(new LinesSASLInterface(p.client, p.status));
    const run = sm.initiate('PLAIN', utf8Encode('\0u\0p'));
    await p.server.writeLine('PLAIN');
    p.say('Output from server:');
    await p.server.writeLine(b64('<challenge@host>'));
    await expect(run).rejects.toThrow(/non-empty initial challenge/);
  });

  it('fails with incorrect-encoding on bad base64 from the server', async () => {
    const p = pipes();
    const sm = new SASLStateMachine(new LinesSASLInterface(p.client, p.status));
    const run = sm.initiate('CRAM-MD5', null);
    await p.server.writeLine('CRAM-MD5');
    p.say('Output from server:');
    await p.server.writeLine('not base64!');
    await expect(run).rejects.toMatchObject({ opaqueError: 'incorrect-encoding' });
  });

  it('does not take an empty mid-exchange challenge for success', async () => {
    const p = pipes();
    const sm = new SASLStateMachine(new LinesSASLInterface(p.client, p.status));
    const run = sm.initiate('PLAIN', utf8Encode('\0u\0p'));
    await p.server.writeLine('PLAIN');
    p.say('Output from server:');
    await p.server.writeLine('');
    expect(await p.server.readLine()).toBe(b64('\0u\0p'));
    p.say('Output from server:');
    await p.server.writeLine(''); // looks like success...
    expect(await p.server.readLine()).toBe(''); // ...so the client acknowledges
    p.say('Output from server:'); // but the server wants more
    await expect(run).rejects.toThrow(/cannot tell from success/);
    expect(sm.state).toBe('failure');
  });

  it('reports the server going away with the condition from its diagnostics', async () => {
    const p = pipes();
    const sm = new SASLStateMachine(new LinesSASLInterface(p.client, p.status));
    const run = runMechanism(new PLAIN(() => ['u', 'p'], { allowInsecureChannel: true }), sm, 'PLAIN');
    await p.server.writeLine('PLAIN');
    p.say('Output from server:');
    await p.server.writeLine('');
    await p.server.readLine();
    p.say('gsasl: mechanism error: Error authenticating user');
    p.server.close();
    await expect(run).rejects.toMatchObject({ name: 'AuthenticationFailure', opaqueError: 'not-authorized' });
  });

  it('enforces call order and aborts by closing the transport', async () => {
    const p = pipes();
    const intf = new LinesSASLInterface(p.client, p.status);
    await expect(intf.respond(new Uint8Array(0))).rejects.toBeInstanceOf(SASLError);
    expect(await intf.abort()).toEqual(['failure', null]);
    await expect(p.server.readLine()).rejects.toThrow(/ended/);
  });
});

describe('serveLines against a misbehaving client', () => {
  async function makeServer(): Promise<SASLServer> {
    const credentials = new MemoryCredentialStore();
    await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'], iterations: 4096 });
    return new SASLServer({ mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'] }), new PLAINServer()], credentials });
  }

  it('refuses a bad mechanism line and closes', async () => {
    const server = await makeServer();
    const p = pipes();
    const done = serveLines(p.server, (m) => server.start(m, { secure: true }));
    await p.client.writeLine('plain; rm -rf');
    expect(await done).toMatchObject({ kind: 'failure', condition: 'invalid-mechanism' });
    await expect(p.client.readLine()).rejects.toThrow(/ended/);
  });

  it('fails with incorrect-encoding on bad base64', async () => {
    const server = await makeServer();
    const p = pipes();
    const done = serveLines(p.server, (m) => server.start(m, { secure: true }));
    await p.client.writeLine('PLAIN');
    await p.client.writeLine('%%%%');
    expect(await done).toMatchObject({ kind: 'failure', condition: 'incorrect-encoding' });
  });

  it('reports aborted when the client goes away or stops answering', async () => {
    const server = await makeServer();
    const p = pipes(100);
    const done = serveLines(p.server, (m) => server.start(m, { secure: true }));
    await p.client.writeLine('SCRAM-SHA-256');
    await p.client.writeLine(b64('n,,n=user,r=abcdefghijklmnop'));
    expect(await p.client.readLine()).toMatch(/^[A-Za-z0-9+/=]+$/); // server-first; then silence
    expect(await done).toMatchObject({ kind: 'failure', condition: 'aborted', text: expect.stringContaining('timed out') });
  });

  it('writes the offered list first, and with clientFirst false the initial challenge first', async () => {
    const server = await makeServer();
    const p = pipes();
    const done = serveLines(p.server, (m) => server.start(m, { secure: true }), { offer: server.advertise({ secure: true }), clientFirst: false });
    expect(await p.client.readLine()).toBe('SCRAM-SHA-256 PLAIN');
    await p.client.writeLine('PLAIN');
    expect(await p.client.readLine()).toBe(''); // "go ahead"
    await p.client.writeLine(b64('\0user\0pencil'));
    expect(await p.client.readLine()).toBe(''); // the final line: success
    expect(await done).toMatchObject({ kind: 'success', outcome: { authcid: 'user' } });
  });

  it('refuses a non-empty answer to the final data', async () => {
    const server = new SASLServer({
      mechanisms: [
        {
          name: 'X-FINAL',
          strength: 1,
          plaintext: false,
          channelBinding: false,
          start: () => ({
            next: async () => ({ kind: 'done', data: utf8Encode('final'), identity: { authcid: 'x', authzid: null, channelBinding: null } }),
          }),
        },
      ],
    });
    const p = pipes();
    const done = serveLines(p.server, (m) => server.start(m, { secure: true }));
    await p.client.writeLine('X-FINAL');
    await p.client.writeLine(b64('hi'));
    expect(await p.client.readLine()).toBe(b64('final'));
    await p.client.writeLine(b64('not empty'));
    expect(await done).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('throws for an invalid offer (caller error)', async () => {
    const server = await makeServer();
    const p = pipes();
    await expect(serveLines(p.server, (m) => server.start(m, { secure: true }), { offer: ['PLAIN\n'] })).rejects.toBeInstanceOf(SASLError);
  });
});
