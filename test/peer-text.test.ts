// Text a peer sends ends up in error messages, and from there in logs: it
// must arrive there bounded and without characters that forge lines or hide
// text, whichever protocol carried it.
import { describe, expect, it } from 'vitest';
import { parseOAuthError } from '../src/mechanism.js';
import { peerText, quotePeerText } from '../src/core/peer-text.js';
import { NS_SASL, NS_STREAMS, NS_STREAM_ERRORS } from '../src/protocols/xmpp/namespaces.js';
import { failureOf, streamErrorOf } from '../src/protocols/xmpp/wire.js';
import { parseXmlElement } from '../src/protocols/xmpp/index.js';
import { quoteImapText } from '../src/protocols/imap/response.js';
import { excerpt } from '../src/protocols/smtp/reply.js';

const UNSAFE = /[\p{C}\p{Zl}\p{Zp}]/u;

describe('peerText', () => {
  it('replaces controls, format characters and separators, keeps printable Unicode', () => {
    expect(peerText('line 1\r\nforged: ok\u202e\u2028\u0000\u0085 Grüße')).toBe('line 1??forged: ok???? Grüße');
  });

  it('cuts long text and never leaves half a surrogate pair', () => {
    expect(peerText('x'.repeat(1_000_000), 10)).toBe(`${'x'.repeat(10)}...`);
    const cut = peerText('ab\u{1F600}', 3);
    expect(cut).toBe('ab?...');
    expect(UNSAFE.test(cut)).toBe(false);
  });
});

describe('quotePeerText and its protocol aliases', () => {
  it('quote printable ASCII only, bounded', () => {
    expect(quotePeerText('a\r\nb\u00e9')).toBe('"a??b?"');
    expect(quotePeerText('y'.repeat(500))).toBe(JSON.stringify(`${'y'.repeat(80)}...`));
    expect(quoteImapText('z'.repeat(500))).toBe(JSON.stringify(`${'z'.repeat(100)}...`));
    expect(excerpt('NO\r\n\u001b[31m', 40)).toBe('"NO???[31m"');
  });
});

describe('peer text in the errors of the adapters and mechanisms', () => {
  it('an XMPP <failure/> text is sanitised and bounded', () => {
    const text = `evil&#13;&#10;forged log line ${'w'.repeat(2000)}`;
    const err = failureOf(parseXmlElement(`<failure xmlns='${NS_SASL}'><not-authorized/><text>${text}</text></failure>`));
    expect(err.text).not.toMatch(UNSAFE);
    expect(err.text!.length).toBeLessThanOrEqual(515);
    expect(err.text!.startsWith('evil??forged')).toBe(true);
  });

  it('an XMPP stream error text is sanitised and bounded', () => {
    const err = streamErrorOf(
      parseXmlElement(`<error xmlns='${NS_STREAMS}'><conflict xmlns='${NS_STREAM_ERRORS}'/><text xmlns='${NS_STREAM_ERRORS}'>a&#10;b${'q'.repeat(2000)}</text></error>`),
    );
    expect(err).not.toBeNull();
    expect(err!.text).not.toMatch(UNSAFE);
    expect(err!.text!.length).toBeLessThan(600);
  });

  it("an OAuth server's JSON error fields are sanitised and bounded", () => {
    const body = JSON.stringify({ status: `invalid_token\r\nforged ${'s'.repeat(500)}`, scope: 'a\u0000b' });
    const parsed = parseOAuthError(new TextEncoder().encode(body));
    expect(parsed.status).not.toMatch(UNSAFE);
    expect(parsed.status.length).toBeLessThanOrEqual(103);
    expect(parsed.scope).toBe('a?b');
  });
});
