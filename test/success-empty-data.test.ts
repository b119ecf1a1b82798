// Issue 9 kind 1: success with zero-length additional data (XMPP's
// <success>=</success>, IMAP's "+ " or SMTP's "334 " before the final OK, an
// empty gsasl line) must succeed for every client mechanism over every
// adapter, and SCRAM must succeed when server-final came in a challenge and
// the success then carried zero-length data. A property test: fast-check
// picks the mechanism, the adapter and how the server ends the exchange; the
// server is saslkit's own SASLServer behind a small wire peer per protocol.
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, CRAMMD5, EXTERNAL, LOGIN, OAUTHBEARER, PLAIN, SASLFailure, SASLInterface, SASLStateMachine, SCRAM, SCRAMPLUS, XOAUTH2, authenticate, type ChannelBindingProvider, type NextStateTuple, type SASLMechanism } from '../src/index.js';
import { base64Decode, base64Encode, runMechanism } from '../src/mechanism.js';
import {
  ANONYMOUSServer,
  CRAMMD5Server,
  EXTERNALServer,
  LOGINServer,
  LoopbackInterface,
  MemoryCredentialStore,
  OAUTHBEARERServer,
  PLAINServer,
  SASLServer,
  SCRAMPLUSServer,
  SCRAMServer,
  XOAUTH2Server,
} from '../src/server/index.js';
import { ImapClientChannel, ImapSASLInterface } from '../src/protocols/imap/index.js';
import { SmtpClient } from '../src/protocols/smtp/index.js';
import { NS_SASL } from '../src/protocols/xmpp/namespaces.js';
import { XmppSASLInterface, parseXmlElement, serializeElement, type XmlElement, type XmppElementTransport } from '../src/protocols/xmpp/index.js';
import { GsaslDiagnostics, LinesSASLInterface } from '../src/gsasl.js';
import { StreamLineTransport } from '../src/node/transport/stream-line-transport.js';
import { memoryLinePair } from '../docs/examples/memory-transport.js';
import { ScriptedInterface } from './helpers/scripted.js';

const CB_DATA = new Uint8Array([7, 7, 7, 7, 7, 7, 7, 7]);
const cbProvider: ChannelBindingProvider = { cbName: 'tls-exporter', extractCbData: () => CB_DATA };
const creds = () => ['user', 'pencil'] as const;
const tokenCreds = () => ['user', 'good-token'] as const;

async function makeServer(): Promise<SASLServer> {
  const credentials = new MemoryCredentialStore();
  await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'], iterations: 4096 });
  const validateToken = (req: { token: string }) => (req.token === 'good-token' ? { valid: true as const, authcid: 'user' } : { valid: false as const });
  return new SASLServer({
    credentials,
    mechanisms: [
      new PLAINServer(),
      new LOGINServer(),
      new CRAMMD5Server({ lookupSecret: (u) => (u === 'user' ? 'pencil' : null) }),
      new SCRAMServer('SHA-256'),
      new SCRAMPLUSServer('SHA-256'),
      new EXTERNALServer(),
      new ANONYMOUSServer(),
      new OAUTHBEARERServer({ validateToken }),
      new XOAUTH2Server({ validateToken }),
    ],
  });
}

/** Every client mechanism, with the name it runs here. */
const MECHANISMS: ReadonlyArray<readonly [string, () => SASLMechanism<unknown>]> = [
  ['PLAIN', () => new PLAIN(creds)],
  ['LOGIN', () => new LOGIN(creds)],
  ['CRAM-MD5', () => new CRAMMD5(creds)],
  ['SCRAM-SHA-256', () => new SCRAM(creds, { hashes: ['SHA-256'] })],
  ['SCRAM-SHA-256-PLUS', () => new SCRAMPLUS(creds, cbProvider, { hashes: ['SHA-256'] })],
  ['EXTERNAL', () => new EXTERNAL()],
  ['ANONYMOUS', () => new ANONYMOUS('trace')],
  ['OAUTHBEARER', () => new OAUTHBEARER(tokenCreds)],
  ['XOAUTH2', () => new XOAUTH2(tokenCreds)],
];

/**
 * How the server ends a successful exchange:
 * - `inline`: success carries the mechanism's data, zero-length when it has none;
 * - `challenge`: non-empty data goes in a final challenge, then success
 *   carries zero-length data.
 */
type Ending = 'inline' | 'challenge';

type Reply = { readonly kind: 'challenge'; readonly data: Uint8Array } | { readonly kind: 'success'; readonly data: Uint8Array };

/** The server side as a sequence of replies, from saslkit's SASLServer, with the chosen ending. */
class Driver {
  readonly #backend: LoopbackInterface;
  readonly #ending: Ending;
  #pendingSuccess = false;
  constructor(server: SASLServer, ending: Ending) {
    this.#backend = new LoopbackInterface(server, { secure: true, externalIdentity: 'user', channelBindings: [cbProvider] });
    this.#ending = ending;
  }
  #shape([state, data]: NextStateTuple): Reply {
    if (state === 'challenge') return { kind: 'challenge', data: data ?? new Uint8Array(0) };
    if (this.#ending === 'challenge' && data !== null && data.length > 0) {
      this.#pendingSuccess = true;
      return { kind: 'challenge', data };
    }
    return { kind: 'success', data: data ?? new Uint8Array(0) };
  }
  async start(mechanism: string, ir: Uint8Array | null): Promise<Reply> {
    return this.#shape(await this.#backend.initiate(mechanism, ir));
  }
  async respond(data: Uint8Array): Promise<Reply> {
    if (this.#pendingSuccess) {
      expect(data.length).toBe(0);
      this.#pendingSuccess = false;
      return { kind: 'success', data: new Uint8Array(0) };
    }
    return this.#shape(await this.#backend.respond(data));
  }
}

const b64 = (data: Uint8Array): string => base64Encode(data);

/** XMPP: `<success>=</success>` for zero-length data. */
function xmppAdapter(driver: Driver): SASLInterface {
  const queue: string[] = [];
  const S = (name: string, data: Uint8Array | null) => `<${name} xmlns='${NS_SASL}'>${data === null ? '' : data.length === 0 ? '=' : b64(data)}</${name}>`;
  const encode = (r: Reply) => S(r.kind, r.data);
  const transport: XmppElementTransport = {
    secure: true,
    async send(el: XmlElement) {
      const text = serializeElement(el, 'jabber:client', true);
      const body = /^<\w+[^>]*>([^<]*)</.exec(text)?.[1] ?? '';
      const data = body === '' ? null : body === '=' ? new Uint8Array(0) : base64Decode(body, 'test');
      if (el.name === 'auth') queue.push(encode(await driver.start(/mechanism='([^']+)'/.exec(text)![1]!, data)));
      else if (el.name === 'response') queue.push(encode(await driver.respond(data ?? new Uint8Array(0))));
      else queue.push(`<failure xmlns='${NS_SASL}'><aborted/></failure>`);
    },
    async receive() {
      return parseXmlElement(queue.shift()!);
    },
  };
  return new XmppSASLInterface(transport);
}

/**
 * IMAP (`+ ` then `A1 OK`) and SMTP (`334 ` then `235`): these protocols
 * carry additional data with success as a last challenge, so zero-length
 * data is an empty challenge answered with an empty line.
 */
async function lineAdapter(driver: Driver, protocol: 'imap' | 'smtp'): Promise<SASLInterface> {
  const [client, server] = memoryLinePair(10_000, true);
  const cont = protocol === 'imap' ? '+ ' : '334 ';
  const ok = protocol === 'imap' ? 'A1 OK done' : '235 2.7.0 Authentication successful';
  void (async () => {
    if (protocol === 'imap') await server.writeLine('* OK [CAPABILITY IMAP4rev1 SASL-IR] ready');
    else {
      await server.writeLine('220 test ESMTP');
      await server.readLine(); // EHLO
      await server.writeLine('250 AUTH PLAIN');
    }
    let line = await server.readLine();
    const words = line.split(' ');
    const [mechanism, ir] = protocol === 'imap' ? [words[2]!, words[3]] : [words[1]!, words[2]];
    let reply = await driver.start(mechanism, ir === undefined ? null : ir === '=' ? new Uint8Array(0) : base64Decode(ir, 'test'));
    for (;;) {
      if (reply.kind === 'success') {
        await server.writeLine(`${cont}${b64(reply.data)}`);
        expect(await server.readLine()).toBe('');
        await server.writeLine(ok);
        return;
      }
      await server.writeLine(`${cont}${b64(reply.data)}`);
      line = await server.readLine();
      if (line === '*') {
        await server.writeLine(protocol === 'imap' ? 'A1 BAD aborted' : '501 5.7.0 aborted');
        return;
      }
      reply = await driver.respond(line === '' ? new Uint8Array(0) : base64Decode(line, 'test'));
    }
  })().catch(() => server.close());
  if (protocol === 'imap') {
    const channel = new ImapClientChannel(client);
    await channel.readGreeting();
    return new ImapSASLInterface(channel, { refreshCapabilities: false });
  }
  const smtp = new SmtpClient(client);
  await smtp.readGreeting();
  await smtp.ehlo('client.test');
  return smtp.saslInterface();
}

/** gsasl's base64 lines: an empty line then "finished" is success without data. */
function linesAdapter(driver: Driver): SASLInterface {
  const up = new PassThrough();
  const down = new PassThrough();
  const err = new PassThrough();
  const client = new StreamLineTransport(down, up, { readTimeoutMs: 10_000, secure: true });
  const server = new StreamLineTransport(up, down, { readTimeoutMs: 10_000 });
  const say = (line: string) => err.write(`${line}\n`);
  void (async () => {
    const mechanism = await server.readLine();
    await server.writeLine(mechanism);
    let reply: Reply;
    if (mechanism === 'CRAM-MD5' || mechanism === 'LOGIN') {
      reply = await driver.start(mechanism, null); // the server speaks first
    } else {
      say('Output from server:');
      await server.writeLine(''); // no initial challenge: the client's initial response comes next
      const first = await server.readLine();
      reply = await driver.start(mechanism, first === '' ? new Uint8Array(0) : base64Decode(first, 'test'));
    }
    for (;;) {
      say('Output from server:');
      await server.writeLine(reply.data.length === 0 ? '' : b64(reply.data));
      const line = await server.readLine();
      if (reply.kind === 'success') {
        expect(line).toBe('');
        say('Server authentication finished (client trusted)...');
        return;
      }
      reply = await driver.respond(line === '' ? new Uint8Array(0) : base64Decode(line, 'test'));
    }
  })().catch(() => server.close());
  return new LinesSASLInterface(client, new GsaslDiagnostics(new StreamLineTransport(err, null, { readTimeoutMs: 10_000 })), { sendMechanism: true });
}

const ADAPTERS = ['xmpp', 'imap', 'smtp', 'lines'] as const;

async function adapterFor(name: (typeof ADAPTERS)[number], driver: Driver): Promise<SASLInterface> {
  if (name === 'xmpp') return xmppAdapter(driver);
  if (name === 'lines') return linesAdapter(driver);
  return lineAdapter(driver, name);
}

describe('success with zero-length additional data (issue 9 kind 1)', () => {
  it('every client mechanism over every adapter succeeds, however the server ends', async () => {
    const server = await makeServer();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...MECHANISMS), fc.constantFrom(...ADAPTERS), fc.constantFrom<Ending>('inline', 'challenge'), async ([name, make], adapter, ending) => {
        const intf = await adapterFor(adapter, new Driver(server, ending));
        expect(await authenticate(intf, [name], [make()])).toBe(name);
      }),
      { numRuns: 80 },
    );
  }, 120_000);

  it('XMPP: SCRAM with server-final in a <challenge/> and then <success>=</success>', async () => {
    const server = await makeServer();
    const intf = xmppAdapter(new Driver(server, 'challenge'));
    expect(await authenticate(intf, ['SCRAM-SHA-256'], [new SCRAM(creds)])).toBe('SCRAM-SHA-256');
  });

  it('the machine shows zero-length success data as an empty final challenge, and the framework answers it', async () => {
    const intf = new ScriptedInterface([{ expect: '\0user\0pencil', reply: ['success', new Uint8Array(0)] }]);
    const sm = new SASLStateMachine(intf);
    await runMechanism(new PLAIN(creds), sm, 'PLAIN');
    expect(sm.state).toBe('success');
    expect(sm.successData).toEqual(new Uint8Array(0));
    expect(intf.ops).toEqual(['initiate']); // answered locally, nothing sent
  });

  it('OAUTHBEARER does not take the empty final challenge for an error (no \\x01 sent)', async () => {
    const intf = new ScriptedInterface([{ reply: ['success', new Uint8Array(0)] }]);
    expect(await authenticate(intf, ['OAUTHBEARER'], [new OAUTHBEARER(tokenCreds)])).toBe('OAUTHBEARER');
    expect(intf.ops).toEqual(['initiate']);
  });

  it('a failure after the server reported success ends negotiation (no second mechanism on an authenticated stream)', async () => {
    const intf = new ScriptedInterface([{ reply: ['success', 'unexpected'] }]);
    const err = await authenticate(intf, ['EXTERNAL', 'PLAIN'], [new EXTERNAL(), new PLAIN(creds)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect(intf.ops).toEqual(['initiate']);
  });
});
