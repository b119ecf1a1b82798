// The bounded XMPP stream parser and the element model: well-formed streams
// in any chunking, every forbidden construct (DTD, entities, comments, PIs)
// as a clean XmppStreamError, size/depth bounds, restarts, and the wire form
// of SASL elements and failure conditions.
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SASL_CONDITIONS, SASLFailure } from '../src/index.js';
import { NS_SASL, NS_SASL_CB, NS_STREAMS } from '../src/protocols/xmpp/namespaces.js';
import { XmppStreamError, parseXmlElement, readMechanisms, serializeElement, xmlElement, type XmlLimits } from '../src/protocols/xmpp/index.js';
import { XmppStreamParser, type XmppStreamEvent } from '../src/protocols/xmpp/parser.js';
import { decodeSaslPayload, failureElement, failureOf, saslElement, streamErrorOf } from '../src/protocols/xmpp/wire.js';
import { featuresElement, readChannelBindingTypes, readStartTLS } from '../src/protocols/xmpp/features.js';
import { textOf } from '../src/protocols/xmpp/element.js';
import { pickChannelBindingType } from '../src/protocols/xmpp/client.js';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.test' id='abc' version='1.0' xml:lang='en'>";
const FEATURES =
  "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>";

function drain(parser: XmppStreamParser): XmppStreamEvent[] {
  const out: XmppStreamEvent[] = [];
  for (let i = 0; i < 1000; i++) {
    const ev = parser.next();
    if (!ev) return out;
    out.push(ev);
  }
  throw new Error('runaway parser');
}

function parseAll(text: string, limits: XmlLimits = {}): XmppStreamEvent[] {
  const p = new XmppStreamParser(limits);
  p.push(text);
  return drain(p);
}

function errorOf(text: string, limits: XmlLimits = {}): XmppStreamError {
  try {
    parseAll(text, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(XmppStreamError);
    return err as XmppStreamError;
  }
  throw new Error('expected a parse error');
}

describe('XmppStreamParser: well-formed streams', () => {
  it('yields the header, each top-level element and the end', () => {
    const events = parseAll(`${HEADER} ${FEATURES}\n<success xmlns='${NS_SASL}'>dj1hYmM=</success></stream:stream>`);
    expect(events.map((e) => e.type)).toEqual(['header', 'element', 'element', 'end']);
    expect(events[0]).toEqual({ type: 'header', header: { xmlns: 'jabber:client', from: 'example.test', id: 'abc', version: '1.0', lang: 'en' } });
    const features = (events[1] as { element: Parameters<typeof readMechanisms>[0] }).element;
    expect(features).toMatchObject({ name: 'features', xmlns: NS_STREAMS });
    expect(readMechanisms(features)).toEqual(['SCRAM-SHA-1', 'PLAIN']);
  });

  it('gives the same events for every way of cutting the input into two chunks', () => {
    const text = `${HEADER}${FEATURES}<challenge xmlns='${NS_SASL}'>cj1hYmM=</challenge>`;
    const whole = parseAll(text);
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new XmppStreamParser();
      const events: XmppStreamEvent[] = [];
      p.push(text.slice(0, cut));
      events.push(...drain(p));
      p.push(text.slice(cut));
      events.push(...drain(p));
      expect(events).toEqual(whole);
    }
  });

  it('resolves predefined and numeric entities, and prefixes', () => {
    const [, el] = parseAll(`${HEADER}<x:a xmlns:x='urn:x' b='&lt;&amp;&#x41;'>&quot;&#65;&apos;&gt;<![CDATA[<raw>]]></x:a>`);
    expect(el).toMatchObject({ type: 'element', element: { name: 'a', xmlns: 'urn:x', attrs: { b: '<&A' } } });
    expect(textOf((el as { element: Parameters<typeof textOf>[0] }).element)).toBe('"A\'><raw>');
  });

  it('stops after each element so a restart hands the rest to a new stream', () => {
    const p = new XmppStreamParser();
    p.push(`${HEADER}<success xmlns='${NS_SASL}'/>${HEADER}${FEATURES}`);
    expect(p.next()?.type).toBe('header');
    expect(p.next()).toMatchObject({ type: 'element', element: { name: 'success' } });
    // Without a restart the second header is an error; with one it is a new stream.
    p.restart();
    expect(drain(p).map((e) => e.type)).toEqual(['header', 'element']);
  });

  it('reports pending input (STARTTLS injection check)', () => {
    const p = new XmppStreamParser();
    p.push(`${HEADER}<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>  `);
    drain(p);
    expect(p.hasPendingInput).toBe(false);
    p.push('<injected/>');
    expect(p.hasPendingInput).toBe(true);
  });

  it('parses a self-closing stream header as header + end', () => {
    expect(parseAll(`<stream:stream xmlns:stream='${NS_STREAMS}' version='1.0'/>`).map((e) => e.type)).toEqual(['header', 'end']);
  });
});

describe('XmppStreamParser: hostile input is a clean XmppStreamError', () => {
  const bomb =
    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>" +
    "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>";
  const cases: Array<[string, string, string]> = [
    ['billion laughs DTD', `${bomb}<stream:stream xmlns:stream='${NS_STREAMS}'>&lol3;`, 'restricted-xml'],
    ['external entity DTD', `<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><stream:stream xmlns:stream='${NS_STREAMS}'><a>&e;</a>`, 'restricted-xml'],
    ['undefined entity', `${HEADER}<a>&lol;</a>`, 'not-well-formed'],
    ['comment', `${HEADER}<!-- hi --><a/>`, 'restricted-xml'],
    ['processing instruction', `${HEADER}<?evil x?><a/>`, 'restricted-xml'],
    ['mismatched tags', `${HEADER}<a><b></a>`, 'not-well-formed'],
    ['unbound prefix', `${HEADER}<x:a/>`, 'not-well-formed'],
    ['text at stream level', `${HEADER}hello<a/>`, 'not-well-formed'],
    ['garbage', '\u0000\u0001garbage<<<>>>', 'not-well-formed'],
    ['wrong root', "<html xmlns='http://www.w3.org/1999/xhtml'>", 'invalid-namespace'],
    ['duplicate attribute', `${HEADER}<a b='1' b='2'/>`, 'not-well-formed'],
    ['XML declaration mid-stream', `${HEADER}<?xml version='1.0'?><a/>`, 'not-well-formed'],
  ];
  for (const [name, text, condition] of cases) {
    it(name, () => {
      expect(errorOf(text).opaqueError).toBe(condition);
    });
  }

  it('an element over maxElementSize, even split into many chunks, without buffering it all', () => {
    const p = new XmppStreamParser({ maxElementSize: 1000 });
    p.push(HEADER);
    drain(p);
    p.push('<a>');
    let err: unknown = null;
    for (let i = 0; i < 100 && !err; i++) {
      try {
        p.push('x'.repeat(100));
        drain(p);
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(XmppStreamError);
    expect((err as XmppStreamError).opaqueError).toBe('policy-violation');
    // Failed for good.
    expect(() => p.next()).toThrow(XmppStreamError);
  });

  it('nesting deeper than maxDepth', () => {
    expect(errorOf(`${HEADER}${'<a>'.repeat(40)}`, { maxDepth: 32 }).opaqueError).toBe('policy-violation');
  });

  it('too many attributes', () => {
    const attrs = Array.from({ length: 70 }, (_, i) => `a${i}='1'`).join(' ');
    expect(errorOf(`${HEADER}<a ${attrs}/>`).opaqueError).toBe('policy-violation');
  });

  it('more input than maxBuffered waiting unread', () => {
    const p = new XmppStreamParser({ maxElementSize: 100, maxBuffered: 1000 });
    expect(() => p.push('<a/>'.repeat(300))).toThrow(XmppStreamError);
  });

  it('random input never throws anything but XmppStreamError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(200), (junk, cut) => {
        const p = new XmppStreamParser({ maxElementSize: 500 });
        try {
          p.push(HEADER + junk.slice(0, cut));
          drain(p);
          p.push(junk.slice(cut));
          drain(p);
        } catch (err) {
          expect(err).toBeInstanceOf(XmppStreamError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('XmppStreamParser: a failed stream holds no text', () => {
  // Issue 7 (load): a server keeps a closed connection's objects reachable
  // for a while (close timers, socket listeners); its parser must not keep
  // the element text it was given (up to maxElementSize characters each).
  it('after fail(), the partial element text handed to saxes is released', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heldBy = (fail: boolean): number => {
      gc();
      const before = process.memoryUsage().heapUsed;
      const parsers: XmppStreamParser[] = [];
      for (let i = 0; i < 100; i++) {
        const p = new XmppStreamParser();
        p.push(`${HEADER}<message>${String(i).padEnd(60_000, 'x')}`);
        expect(p.next()?.type).toBe('header');
        expect(p.next()).toBeNull(); // the text now sits inside the parser
        if (fail) expect(() => p.fail(new XmppStreamError(null, 'transport closed'))).toThrow(XmppStreamError);
        parsers.push(p);
      }
      gc();
      const held = process.memoryUsage().heapUsed - before;
      expect(parsers).toHaveLength(100);
      return held;
    };
    // Sanity: a live parser does hold its ~6 MB of partial elements…
    expect(heldBy(false)).toBeGreaterThan(5_000_000);
    // …and a failed one releases them.
    expect(heldBy(true)).toBeLessThan(1_000_000);
  });
});

describe('parseXmlElement (RFC 7395 frames)', () => {
  it('parses one element', () => {
    expect(parseXmlElement("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.test' version='1.0'/>")).toMatchObject({
      name: 'open',
      attrs: { to: 'example.test', version: '1.0' },
    });
  });
  it('refuses two elements, DTDs and oversize frames', () => {
    expect(() => parseXmlElement('<a/><b/>')).toThrow(XmppStreamError);
    expect(() => parseXmlElement("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>")).toThrow(XmppStreamError);
    expect(() => parseXmlElement(`<a>${'x'.repeat(100)}</a>`, { maxElementSize: 50 })).toThrow(XmppStreamError);
  });
});

describe('serializeElement', () => {
  it('escapes text and attributes and declares namespaces only where they change', () => {
    const el = xmlElement('auth', NS_SASL, { mechanism: `a'"<&>` }, ['<&>', xmlElement('x', NS_SASL), xmlElement('y', 'urn:y')]);
    expect(serializeElement(el, 'jabber:client', true)).toBe(
      `<auth xmlns='${NS_SASL}' mechanism='a&apos;&quot;&lt;&amp;&gt;'>&lt;&amp;&gt;<x/><y xmlns='urn:y'/></auth>`,
    );
    expect(serializeElement(xmlElement('features', NS_STREAMS), 'jabber:client', true)).toBe('<stream:features/>');
    expect(serializeElement(xmlElement('features', NS_STREAMS))).toBe(`<stream:features xmlns:stream='${NS_STREAMS}'/>`);
  });

  it('refuses characters XML cannot carry and bad names', () => {
    expect(() => serializeElement(xmlElement('a', '', {}, ['\u0000']))).toThrow();
    expect(() => serializeElement(xmlElement('a b', ''))).toThrow();
    expect(() => serializeElement(xmlElement('a', '', { xmlns: 'x' }))).toThrow();
  });

  it('round-trips any text and attribute value through the parser', () => {
    const xmlChar = fc.string({ unit: 'binary', maxLength: 50 }).map((s) => s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDFFF]/g, ''));
    fc.assert(
      fc.property(xmlChar, xmlChar, (text, attr) => {
        const el = xmlElement('a', 'urn:t', { v: attr }, text === '' ? [] : [text]);
        const back = parseXmlElement(serializeElement(el));
        expect(back.attrs.v).toBe(attr);
        // XML normalises CR LF / CR in text to LF.
        expect(textOf(back)).toBe(text.replace(/\r\n?/g, '\n'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('SASL wire form', () => {
  it('encodes no data, empty data (=) and base64', () => {
    expect(serializeElement(saslElement('auth', null, { mechanism: 'ANONYMOUS' }))).toBe(`<auth xmlns='${NS_SASL}' mechanism='ANONYMOUS'/>`);
    expect(serializeElement(saslElement('auth', new Uint8Array(0), { mechanism: 'EXTERNAL' }))).toBe(`<auth xmlns='${NS_SASL}' mechanism='EXTERNAL'>=</auth>`);
    expect(serializeElement(saslElement('response', new TextEncoder().encode('abc')))).toBe(`<response xmlns='${NS_SASL}'>YWJj</response>`);
    expect(decodeSaslPayload(parseXmlElement(`<success xmlns='${NS_SASL}'/>`))).toBeNull();
    expect(decodeSaslPayload(parseXmlElement(`<success xmlns='${NS_SASL}'>=</success>`))).toEqual(new Uint8Array(0));
    expect(decodeSaslPayload(parseXmlElement(`<challenge xmlns='${NS_SASL}'>\n  YWJj\n</challenge>`))).toEqual(new TextEncoder().encode('abc'));
    expect(() => decodeSaslPayload(parseXmlElement(`<challenge xmlns='${NS_SASL}'>YW=j</challenge>`))).toThrow(SASLFailure);
  });

  it('maps every RFC 6120 condition to <failure/> and back', () => {
    for (const condition of SASL_CONDITIONS) {
      const wire = serializeElement(failureElement(condition, 'why'));
      const err = failureOf(parseXmlElement(wire));
      expect(err).toBeInstanceOf(SASLFailure);
      expect(err.opaqueError).toBe(condition);
      expect(err.text).toBe('why');
    }
    // No condition: the safe reading; unknown ones pass through.
    expect(failureOf(parseXmlElement(`<failure xmlns='${NS_SASL}'/>`)).opaqueError).toBe('not-authorized');
    expect(failureOf(parseXmlElement(`<failure xmlns='${NS_SASL}'><bad-protocol/></failure>`)).opaqueError).toBe('bad-protocol');
  });

  it('reads stream errors', () => {
    const err = streamErrorOf(parseXmlElement(
      `<stream:error xmlns:stream='${NS_STREAMS}'><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>nope</text></stream:error>`,
    ));
    expect(err).toBeInstanceOf(XmppStreamError);
    expect(err?.opaqueError).toBe('host-unknown');
    expect(err?.text).toContain('nope');
  });
});

describe('stream features', () => {
  it('builds and reads STARTTLS, mechanisms and XEP-0440 channel-binding types', () => {
    const f = parseXmlElement(serializeElement(featuresElement({ startTLS: 'required', mechanisms: ['SCRAM-SHA-256-PLUS', 'PLAIN'], channelBindings: ['tls-exporter', 'tls-server-end-point'] })));
    expect(readStartTLS(f)).toEqual({ required: true });
    expect(readMechanisms(f)).toEqual(['SCRAM-SHA-256-PLUS', 'PLAIN']);
    expect(readChannelBindingTypes(f)).toEqual(['tls-exporter', 'tls-server-end-point']);
  });

  it('reads the pre-0.4 XEP-0440 form inside <mechanisms/>', () => {
    const f = parseXmlElement(
      `<stream:features xmlns:stream='${NS_STREAMS}'><mechanisms xmlns='${NS_SASL}'><mechanism>SCRAM-SHA-1-PLUS</mechanism>` +
        `<sasl-channel-binding xmlns='${NS_SASL_CB}'><channel-binding type='tls-unique'/></sasl-channel-binding></mechanisms></stream:features>`,
    );
    expect(readChannelBindingTypes(f)).toEqual(['tls-unique']);
  });

  it('picks a channel-binding type by the advertisement', () => {
    expect(pickChannelBindingType(['tls-server-end-point'], ['tls-exporter', 'tls-server-end-point'])).toBe('tls-server-end-point');
    expect(pickChannelBindingType(null, ['tls-exporter', 'tls-server-end-point'])).toBeNull();
    expect(pickChannelBindingType(null, ['tls-unique', 'tls-server-end-point'])).toBe('tls-unique');
    expect(pickChannelBindingType([], ['tls-unique'])).toBeNull();
  });
});
