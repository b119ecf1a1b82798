// Each protocol entry's SASL seam, used as a protocol library would use it:
// the client interface over a small port the library implements (not
// saslkit's own channel/client), and the server function that runs one
// AUTHENTICATE / AUTH / <auth> on the library's own connection.
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SASLFailure, SCRAM, authenticate } from '../src/index.js';
import { base64Encode } from '../src/mechanism.js';
import { ImapSASLInterface, parseServerResponse, serveAuthenticate, type ImapAuthResult, type ImapSASLPort, type ImapUntaggedResponse } from '../src/protocols/imap/index.js';
import { SmtpSASLInterface, readReply, serveSmtpAuth, type SmtpAuthResult, type SmtpSASLPort } from '../src/protocols/smtp/index.js';
import { XmppSASLInterface, XmppStreamError, serveXmppAuth, xmlElement, type XmlElement, type XmppElementTransport, type XmppServeAuthResult } from '../src/protocols/xmpp/index.js';
import { NS_SASL } from '../src/protocols/xmpp/namespaces.js';
import type { LineTransport } from '../src/index.js';
import type { SASLServer } from '../src/server/index.js';
import { memoryLinePair } from '../docs/examples/memory-transport.js';
import { enc, makeServer } from './helpers/server.js';

const creds = (password = 'pencil') => () => ['user', password] as const;
const b64 = (s: string): string => base64Encode(enc(s));
const secure = { secure: true } as const;

// ---------------------------------------------------------------- IMAP

/** A library's IMAP connection: its own reader, its own tags. */
function imapPort(t: LineTransport, extra: Partial<ImapSASLPort> = {}): ImapSASLPort & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    send: async (line) => {
      sent.push(line);
      await t.writeLine(line);
    },
    readResponse: async () => parseServerResponse(await t.readLine()),
    secure: true,
    ...extra,
  };
}

/** Read one `tag AUTHENTICATE args` command and serve it. */
async function imapServeOne(t: LineTransport, sasl: SASLServer, options: { saslIR?: boolean; capabilitiesAfter?: readonly string[] } = {}): Promise<{ tag: string; result: ImapAuthResult }> {
  const line = await t.readLine();
  const m = /^(\S+) AUTHENTICATE (.*)$/.exec(line);
  if (!m) throw new Error(`not AUTHENTICATE: ${line}`);
  const result = await serveAuthenticate(t, { tag: m[1]!, args: m[2]!, sasl, connection: secure, ...options });
  return { tag: m[1]!, result };
}

/** Send raw lines as a client and collect the server's lines until the tagged one. */
async function imapRaw(sasl: SASLServer, lines: readonly string[], options: { saslIR?: boolean } = {}): Promise<{ out: string[]; result: ImapAuthResult }> {
  const [client, server] = memoryLinePair();
  const serving = imapServeOne(server, sasl, options);
  const out: string[] = [];
  for (const l of lines) {
    await client.writeLine(l);
    // after each line, read what the server answered (one line)
    out.push(await client.readLine());
  }
  const { result } = await serving;
  return { out, result };
}

describe('saslkit/imap seam: ImapSASLInterface over a port, serveAuthenticate on the library connection', () => {
  it('SCRAM-SHA-256 with SASL-IR: the port\'s tags, additional data as a last continuation, capabilities in the OK', async () => {
    const sasl = await makeServer();
    const [client, server] = memoryLinePair();
    let n = 0;
    const port = imapPort(client, { saslIR: true, nextTag: () => `lib${++n}` });
    const serving = imapServeOne(server, sasl, { capabilitiesAfter: ['IMAP4rev2', 'IDLE'] });
    const intf = new ImapSASLInterface(port);
    expect(await authenticate(intf, ['SCRAM-SHA-256', 'PLAIN'], [new SCRAM(creds())])).toBe('SCRAM-SHA-256');
    const { tag, result } = await serving;
    expect(tag).toBe('lib1');
    expect(port.sent[0]).toMatch(/^lib1 AUTHENTICATE SCRAM-SHA-256 [A-Za-z0-9+/=]+$/);
    // server-final (v=...) travels as a continuation answered with an empty line
    expect(port.sent.at(-1)).toBe('');
    expect(result).toMatchObject({ kind: 'success', outcome: { mechanism: 'SCRAM-SHA-256', authcid: 'user' } });
    expect(intf.lastResponse).toMatchObject({ tag: 'lib1', status: 'OK', code: { name: 'CAPABILITY', args: 'IMAP4rev2 IDLE' } });
    expect(intf.capabilities).toBeNull();
    expect(intf.secure).toBe(true);
  });

  it('without SASL-IR: AUTHENTICATE alone, the initial response after the empty continuation; default tags', async () => {
    const sasl = await makeServer();
    const [client, server] = memoryLinePair();
    const port = imapPort(client);
    const serving = imapServeOne(server, sasl, { saslIR: false });
    expect(await authenticate(new ImapSASLInterface(port), ['PLAIN'], [new PLAIN(creds())])).toBe('PLAIN');
    expect(port.sent).toEqual(['SASL1 AUTHENTICATE PLAIN', b64('\0user\0pencil')]);
    expect((await serving).result).toMatchObject({ kind: 'success', outcome: { authcid: 'user' } });
  });

  it('a wrong password: NO [AUTHENTICATIONFAILED] on the wire, AuthenticationFailure at the client, failure at the server', async () => {
    const sasl = await makeServer();
    const [client, server] = memoryLinePair();
    const serving = imapServeOne(server, sasl);
    const err = await authenticate(new ImapSASLInterface(imapPort(client, { saslIR: true })), ['PLAIN'], [new PLAIN(creds('wrong'))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect((err as AuthenticationFailure).opaqueError).toBe('not-authorized');
    expect((await serving).result).toMatchObject({ kind: 'failure', failure: { condition: 'not-authorized' } });
  });

  it('untagged responses during the exchange go to the port; BYE ends it', async () => {
    const [client, server] = memoryLinePair();
    const seen: ImapUntaggedResponse[] = [];
    const intf = new ImapSASLInterface(imapPort(client, { saslIR: true, untagged: (r) => seen.push(r) }));
    const peer = (async () => {
      await server.readLine();
      await server.writeLine('* CAPABILITY IMAP4rev2 SASL-IR');
      await server.writeLine('* BYE shutting down');
    })();
    const err = await intf.initiate('PLAIN', enc('\0user\0pencil')).catch((e: unknown) => e);
    await peer;
    expect(seen.map((r) => r.name)).toEqual(['CAPABILITY', 'BYE']);
    expect((err as Error).constructor.name).toBe('ImapByeError');
  });

  it('serveAuthenticate: `*` cancels (BAD, aborted); a response that is not base64 is BAD (incorrect-encoding)', async () => {
    const sasl = await makeServer();
    const cancelled = await imapRaw(sasl, ['t1 AUTHENTICATE SCRAM-SHA-256', '*']);
    expect(cancelled.out[0]).toBe('+ ');
    expect(cancelled.out[1]).toMatch(/^t1 BAD /);
    expect(cancelled.result).toMatchObject({ kind: 'failure', failure: { condition: 'aborted' } });
    const garbage = await imapRaw(sasl, ['t2 AUTHENTICATE PLAIN', 'not base64!']);
    expect(garbage.out[1]).toBe('t2 BAD Invalid base64 in client response');
    expect(garbage.result).toMatchObject({ kind: 'failure', failure: { condition: 'incorrect-encoding' } });
  });

  it('serveAuthenticate: bad arguments, an initial response without SASL-IR, an unknown mechanism', async () => {
    const sasl = await makeServer();
    const bad = await imapRaw(sasl, ['t1 AUTHENTICATE PLAIN a b']);
    expect(bad.out).toEqual(['t1 BAD Invalid AUTHENTICATE arguments']);
    expect(bad.result).toMatchObject({ kind: 'failure', failure: { condition: 'malformed-request' } });
    const noIR = await imapRaw(sasl, [`t2 AUTHENTICATE PLAIN ${b64('\0user\0pencil')}`], { saslIR: false });
    expect(noIR.out).toEqual(['t2 BAD Initial response not supported']);
    const unknown = await imapRaw(sasl, ['t3 AUTHENTICATE X-NONE']);
    expect(unknown.out[0]).toMatch(/^t3 (NO|BAD) /);
    expect(unknown.result).toMatchObject({ kind: 'failure', failure: { condition: 'invalid-mechanism' } });
  });

  it('serveAuthenticate: a client that hangs up mid-exchange rejects and the exchange ends as aborted', async () => {
    const ends: string[] = [];
    const sasl = await makeServer({ onExchangeEnd: (end) => void ends.push(end.result.kind === 'failure' ? end.result.condition : end.result.kind) });
    const [client, server] = memoryLinePair();
    const serving = imapServeOne(server, sasl);
    await client.writeLine('t1 AUTHENTICATE SCRAM-SHA-256');
    expect(await client.readLine()).toBe('+ ');
    client.close();
    await expect(serving).rejects.toBeTruthy();
    expect(ends).toEqual(['aborted']);
  });
});

// ---------------------------------------------------------------- SMTP

function smtpPort(t: LineTransport, extra: Partial<SmtpSASLPort> = {}): SmtpSASLPort & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    command: async (line) => {
      sent.push(line);
      await t.writeLine(line);
      return readReply(t);
    },
    secure: true,
    ...extra,
  };
}

async function smtpServeOne(t: LineTransport, sasl: SASLServer, maxLineLength?: number): Promise<SmtpAuthResult> {
  const line = await t.readLine();
  const m = /^AUTH (.*)$/i.exec(line);
  if (!m) throw new Error(`not AUTH: ${line}`);
  return serveSmtpAuth(t, { args: m[1]!, sasl, connection: secure, ...(maxLineLength ? { maxLineLength } : {}) });
}

async function smtpRaw(sasl: SASLServer, lines: readonly string[], maxLineLength?: number): Promise<{ out: string[]; result: SmtpAuthResult }> {
  const [client, server] = memoryLinePair();
  const serving = smtpServeOne(server, sasl, maxLineLength);
  const out: string[] = [];
  for (const l of lines) {
    await client.writeLine(l);
    out.push(await client.readLine());
  }
  return { out, result: await serving };
}

describe('saslkit/smtp seam: SmtpSASLInterface over a port, serveSmtpAuth on the library connection', () => {
  it('SCRAM-SHA-256: 334 challenges, the server signature as a last 334, 235 at the end', async () => {
    const sasl = await makeServer();
    const [client, server] = memoryLinePair();
    const port = smtpPort(client);
    const serving = smtpServeOne(server, sasl);
    expect(await authenticate(new SmtpSASLInterface(port), ['SCRAM-SHA-256'], [new SCRAM(creds())])).toBe('SCRAM-SHA-256');
    expect(port.sent[0]).toMatch(/^AUTH SCRAM-SHA-256 [A-Za-z0-9+/=]+$/);
    expect(port.sent.at(-1)).toBe('');
    expect(await serving).toMatchObject({ kind: 'success', outcome: { mechanism: 'SCRAM-SHA-256', authcid: 'user' } });
  });

  it('an initial response too long for the port\'s command line goes after the empty 334 (RFC 4954 §4)', async () => {
    const sasl = await makeServer();
    const [client, server] = memoryLinePair();
    // `AUTH PLAIN AHVzZXIAcGVuY2ls` and CR LF are 29 characters
    const port = smtpPort(client, { maxCommandLength: 28 });
    const serving = smtpServeOne(server, sasl);
    expect(await authenticate(new SmtpSASLInterface(port), ['PLAIN'], [new PLAIN(creds())])).toBe('PLAIN');
    expect(port.sent).toEqual(['AUTH PLAIN', b64('\0user\0pencil')]);
    expect(await serving).toMatchObject({ kind: 'success' });
  });

  it('a port that is not secure: PLAIN refuses to send the password', async () => {
    const [client] = memoryLinePair();
    const port = smtpPort(client, { secure: false });
    await expect(authenticate(new SmtpSASLInterface(port), ['PLAIN'], [new PLAIN(creds())])).rejects.toBeInstanceOf(SASLFailure);
    expect(port.sent).toEqual([]);
  });

  it('a wrong password: 535 5.7.8, AuthenticationFailure, a failed login at the server', async () => {
    const sasl = await makeServer();
    const wrong = await smtpRaw(sasl, [`AUTH PLAIN ${b64('\0user\0nope')}`]);
    expect(wrong.out).toEqual(['535 5.7.8 Authentication credentials invalid']);
    expect(wrong.result).toMatchObject({ kind: 'failure', failure: { condition: 'not-authorized' } });
    const [client, server] = memoryLinePair();
    const serving = smtpServeOne(server, sasl);
    const err = await authenticate(new SmtpSASLInterface(smtpPort(client)), ['PLAIN'], [new PLAIN(creds('nope'))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    await serving;
  });

  it('serveSmtpAuth: `*` (501 5.7.0), a response that is not base64 (501 5.5.2), bad arguments (501 5.5.4), a line too long (500 5.5.6)', async () => {
    const sasl = await makeServer();
    const cancelled = await smtpRaw(sasl, ['AUTH SCRAM-SHA-256', '*']);
    expect(cancelled.out).toEqual(['334 ', '501 5.7.0 Authentication aborted']);
    expect(cancelled.result).toMatchObject({ kind: 'failure', failure: { condition: 'aborted' } });
    const garbage = await smtpRaw(sasl, ['AUTH PLAIN', 'not base64!']);
    expect(garbage.out).toEqual(['334 ', '501 5.5.2 Cannot decode response']);
    expect(garbage.result).toMatchObject({ kind: 'failure', failure: { condition: 'incorrect-encoding' } });
    const badArgs = await smtpRaw(sasl, ['AUTH PLAIN a b']);
    expect(badArgs.out).toEqual(['501 5.5.4 Syntax error in parameters or arguments']);
    const badIR = await smtpRaw(sasl, ['AUTH PLAIN %%%']);
    expect(badIR.out).toEqual(['501 5.5.2 Cannot decode response']);
    const tooLong = await smtpRaw(sasl, ['AUTH PLAIN', 'A'.repeat(200)], 100);
    expect(tooLong.out).toEqual(['334 ', '500 5.5.6 Authentication exchange line is too long']);
  });
});

// ---------------------------------------------------------------- XMPP

/** Two connected in-memory element transports: `[client, server]`. */
function elementPair(): [XmppElementTransport & { sent: XmlElement[] }, XmppElementTransport] {
  class End {
    readonly queue: XmlElement[] = [];
    readonly waiting: ((el: XmlElement) => void)[] = [];
    peer!: End;
    readonly sent: XmlElement[] = [];
    readonly secure = true;
    async send(el: XmlElement): Promise<void> {
      this.sent.push(el);
      const w = this.peer.waiting.shift();
      if (w) w(el);
      else this.peer.queue.push(el);
    }
    receive(): Promise<XmlElement> {
      const el = this.queue.shift();
      if (el) return Promise.resolve(el);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('receive timed out')), 5_000);
        this.waiting.push((e) => {
          clearTimeout(timer);
          resolve(e);
        });
      });
    }
  }
  const a = new End();
  const b = new End();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

async function xmppServeOne(t: XmppElementTransport, sasl: SASLServer): Promise<XmppServeAuthResult> {
  return serveXmppAuth(t, await t.receive(), { sasl, connection: secure, domain: 'example.org' });
}

describe('saslkit/xmpp seam: XmppSASLInterface over an element transport, serveXmppAuth on the library stream', () => {
  it('SCRAM-SHA-256 with the server signature in <success/>; an authzid that is the user\'s own bare JID is the user', async () => {
    const sasl = await makeServer();
    const [client, server] = elementPair();
    const serving = xmppServeOne(server, sasl);
    expect(await authenticate(new XmppSASLInterface(client), ['SCRAM-SHA-256'], [new SCRAM(creds())])).toBe('SCRAM-SHA-256');
    expect(await serving).toMatchObject({ kind: 'success', outcome: { mechanism: 'SCRAM-SHA-256', authcid: 'user' } });
    const [c2, s2] = elementPair();
    const serving2 = xmppServeOne(s2, sasl);
    await authenticate(new XmppSASLInterface(c2), ['PLAIN'], [new PLAIN(creds(), { authzid: 'user@example.org' })]);
    expect(await serving2).toMatchObject({ kind: 'success', outcome: { authcid: 'user' } });
  });

  it('a wrong password: <failure><not-authorized/></failure>, AuthenticationFailure at the client', async () => {
    const sasl = await makeServer();
    const [client, server] = elementPair();
    const serving = xmppServeOne(server, sasl);
    const err = await authenticate(new XmppSASLInterface(client), ['PLAIN'], [new PLAIN(creds('nope'))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationFailure);
    expect(await serving).toMatchObject({ kind: 'failure', failure: { condition: 'not-authorized' } });
  });

  it('<abort/> (aborted), a payload that is not base64 (incorrect-encoding), an unexpected SASL element (malformed-request)', async () => {
    const sasl = await makeServer();
    const run = async (second: XmlElement, first = xmlElement('auth', NS_SASL, { mechanism: 'SCRAM-SHA-256' })) => {
      const [client, server] = elementPair();
      const serving = xmppServeOne(server, sasl);
      await client.send(first);
      const reply = await client.receive();
      if (reply.name === 'failure') return { reply, result: await serving };
      expect(reply.name).toBe('challenge');
      await client.send(second);
      return { reply: await client.receive(), result: await serving };
    };
    const aborted = await run(xmlElement('abort', NS_SASL));
    expect(aborted.reply.name).toBe('failure');
    expect(aborted.result).toMatchObject({ kind: 'failure', failure: { condition: 'aborted' } });
    const garbage = await run(xmlElement('response', NS_SASL, {}, ['%%%']));
    expect(garbage.result).toMatchObject({ kind: 'failure', failure: { condition: 'incorrect-encoding' } });
    const odd = await run(xmlElement('success', NS_SASL));
    expect(odd.result).toMatchObject({ kind: 'failure', failure: { condition: 'malformed-request' } });
    const badIR = await run(xmlElement('abort', NS_SASL), xmlElement('auth', NS_SASL, { mechanism: 'PLAIN' }, ['%%%']));
    expect(badIR.result).toMatchObject({ kind: 'failure', failure: { condition: 'incorrect-encoding' } });
  });

  it('a non-SASL element during the negotiation is a not-authorized stream error (RFC 6120 §6.4.1)', async () => {
    const sasl = await makeServer();
    const [client, server] = elementPair();
    const serving = xmppServeOne(server, sasl);
    await client.send(xmlElement('auth', NS_SASL, { mechanism: 'SCRAM-SHA-256' }));
    await client.receive();
    await client.send(xmlElement('message', 'jabber:client'));
    const err = await serving.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XmppStreamError);
    expect((err as XmppStreamError).opaqueError).toBe('not-authorized');
  });
});
