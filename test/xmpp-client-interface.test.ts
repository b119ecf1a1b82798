// XmppSASLInterface against scripted server replies that real servers
// rarely produce (malformed challenges, stream errors, stray elements), over
// an in-memory element transport: the wire form of what the client sends
// and the mapping of every reply to a state or an error.
import { describe, expect, it } from 'vitest';
import { AuthenticationFailure, PLAIN, SASLFailure, SASLStateMachine, SCRAM, authenticate } from '../src/index.js';
import { NS_SASL } from '../src/protocols/xmpp/namespaces.js';
import { XmppSASLInterface, XmppStreamError, parseXmlElement, serializeElement, type XmlElement, type XmppElementTransport } from '../src/protocols/xmpp/index.js';

/** Replies with the scripted XML text for each element sent; records what was sent. */
function scripted(replies: string[]): XmppElementTransport & { sent: string[] } {
  const queue = [...replies];
  const sent: string[] = [];
  return {
    sent,
    async send(el: XmlElement) {
      sent.push(serializeElement(el, 'jabber:client', true));
    },
    async receive() {
      const next = queue.shift();
      if (next === undefined) throw new XmppStreamError(null, 'script exhausted');
      return parseXmlElement(next);
    },
  };
}

const S = (inner: string): string => inner.replace(/<(\w+)/, `<$1 xmlns='${NS_SASL}'`);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('XmppSASLInterface', () => {
  it('sends no text for no initial response, = for an empty one, base64 otherwise; <response/> empty for empty', async () => {
    const t = scripted([S('<challenge/>'), S('<challenge>YQ==</challenge>'), S('<success/>')]);
    const sm = new SASLStateMachine(new XmppSASLInterface(t));
    expect(await sm.initiate('X-TEST')).toEqual(['challenge', new Uint8Array(0)]);
    expect(await sm.response(new Uint8Array(0))).toEqual(['challenge', enc('a')]);
    expect(await sm.response(enc('abc'))).toEqual(['success', null]);
    expect(t.sent).toEqual([
      `<auth xmlns='${NS_SASL}' mechanism='X-TEST'/>`,
      `<response xmlns='${NS_SASL}'/>`,
      `<response xmlns='${NS_SASL}'>YWJj</response>`,
    ]);
    const t2 = scripted([S('<success/>')]);
    await new SASLStateMachine(new XmppSASLInterface(t2)).initiate('EXTERNAL', new Uint8Array(0));
    expect(t2.sent).toEqual([`<auth xmlns='${NS_SASL}' mechanism='EXTERNAL'>=</auth>`]);
  });

  it('success with additional data is shown to the mechanism; = is empty data', async () => {
    const sm = new SASLStateMachine(new XmppSASLInterface(scripted([S('<success>dj1hYmM=</success>')])));
    expect(await sm.initiate('X-TEST', enc('x'))).toEqual(['challenge', enc('v=abc')]);
    const sm2 = new SASLStateMachine(new XmppSASLInterface(scripted([S('<success>=</success>')])));
    expect(await sm2.initiate('X-TEST', enc('x'))).toEqual(['challenge', new Uint8Array(0)]);
  });

  it('a failure is a SASLFailure with the condition and text; PLAIN promotes not-authorized', async () => {
    const sm = new SASLStateMachine(new XmppSASLInterface(scripted([S("<failure><mechanism-too-weak/><text xml:lang='en'>nope</text></failure>")])));
    const err = await sm.initiate('PLAIN', enc('\0u\0p')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect(err).toMatchObject({ opaqueError: 'mechanism-too-weak', text: 'nope' });
    expect(sm.state).toBe('failure');
    const t = scripted([S('<failure><not-authorized/></failure>')]);
    await expect(authenticate(new XmppSASLInterface(t), ['PLAIN'], [new PLAIN(() => ['u', 'p'], { allowInsecureChannel: true })])).rejects.toBeInstanceOf(AuthenticationFailure);
  });

  it('accepts XML whitespace inside the base64 of a challenge and of success data (line-wrapping servers)', async () => {
    for (const text of ['dj1h\nYmM=', 'dj1h YmM=', '\n  dj1h\r\n  YmM=\n', 'd\tj1hYmM=']) {
      const sm = new SASLStateMachine(new XmppSASLInterface(scripted([S(`<challenge>${text}</challenge>`)])));
      expect(await sm.initiate('X-TEST', enc('x')), JSON.stringify(text)).toEqual(['challenge', enc('v=abc')]);
      const sm2 = new SASLStateMachine(new XmppSASLInterface(scripted([S(`<success>${text}</success>`)])));
      expect(await sm2.initiate('X-TEST', enc('x')), JSON.stringify(text)).toEqual(['challenge', enc('v=abc')]);
    }
  });

  it('a challenge that is not base64: the exchange is aborted, then incorrect-encoding is reported', async () => {
    const t = scripted([S('<challenge>!!!</challenge>'), S('<failure><aborted/></failure>')]);
    const err = await new SASLStateMachine(new XmppSASLInterface(t)).initiate('X-TEST', enc('x')).catch((e: unknown) => e);
    expect(err).toMatchObject({ opaqueError: 'incorrect-encoding' });
    expect(t.sent.at(-1)).toBe(`<abort xmlns='${NS_SASL}'/>`);
  });

  it('a SCRAM server that sends a bad server-first is aborted by the mechanism', async () => {
    const t = scripted([S('<challenge>bT1ub3BlLHI9eCxzPWFHVnNiRzg9LGk9NDA5Ng==</challenge>'), S('<failure><aborted/></failure>')]);
    const err = await authenticate(new XmppSASLInterface(t), ['SCRAM-SHA-1'], [new SCRAM(() => ['u', 'p'])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SASLFailure);
    expect(t.sent.at(-1)).toBe(`<abort xmlns='${NS_SASL}'/>`);
  });

  it('a stream error or an unexpected element is an XmppStreamError, which the negotiation loop does not swallow', async () => {
    const se = `<stream:error xmlns:stream='http://etherx.jabber.org/streams'><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`;
    const t = scripted([se]);
    const err = await authenticate(new XmppSASLInterface(t), ['PLAIN', 'SCRAM-SHA-1'], [new SCRAM(() => ['u', 'p']), new PLAIN(() => ['u', 'p'])]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(XmppStreamError);
    expect(err).toMatchObject({ opaqueError: 'system-shutdown' });
    expect(t.sent).toHaveLength(1);
    const t2 = scripted(["<message xmlns='jabber:client'/>"]);
    await expect(new SASLStateMachine(new XmppSASLInterface(t2)).initiate('PLAIN', enc('\0u\0p'))).rejects.toBeInstanceOf(XmppStreamError);
  });

  it('abort: [failure, null] after the server\'s failure; an odd answer is an error', async () => {
    const t = scripted([S('<challenge/>'), S('<failure><aborted/></failure>')]);
    const sm = new SASLStateMachine(new XmppSASLInterface(t));
    await sm.initiate('X-TEST');
    expect(await sm.abort()).toEqual(['failure', null]);
    const t2 = scripted([S('<challenge/>'), S('<success/>')]);
    const sm2 = new SASLStateMachine(new XmppSASLInterface(t2));
    await sm2.initiate('X-TEST');
    await expect(sm2.abort()).rejects.toBeInstanceOf(XmppStreamError);
  });

  it('refuses invalid mechanism names and overlapping exchanges', async () => {
    const intf = new XmppSASLInterface(scripted([S('<challenge/>')]));
    await expect(intf.initiate("PLAIN' x='y")).rejects.toThrow(/mechanism name/);
    await intf.initiate('X-TEST');
    await expect(intf.initiate('X-TEST')).rejects.toThrow(/already in progress/);
  });
});
