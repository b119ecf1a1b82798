// IMAP wire details: server-response parsing, capabilities, and the mapping
// between IMAP NO/BAD + RFC 5530 codes and RFC 6120 conditions.
import { describe, expect, it } from 'vitest';
import { SASL_CONDITIONS, SASLError } from '../src/index.js';
import { IMAP_FAILURE_FORMS, imapFailureCondition } from '../src/protocols/imap/conditions.js';
import { ImapCapabilities } from '../src/protocols/imap/capabilities.js';
import { ImapProtocolError, parseServerResponse } from '../src/protocols/imap/index.js';
import { isImapTag } from '../src/protocols/imap/response.js';

describe('parseServerResponse', () => {
  it('reads continuations, with and without text', () => {
    expect(parseServerResponse('+ cj1meWtv')).toEqual({ kind: 'continuation', text: 'cj1meWtv' });
    expect(parseServerResponse('+ ')).toEqual({ kind: 'continuation', text: '' });
    expect(parseServerResponse('+')).toEqual({ kind: 'continuation', text: '' });
  });

  it('reads tagged responses with response codes', () => {
    expect(parseServerResponse('A1 NO [AUTHENTICATIONFAILED] Authentication failed.')).toEqual({
      kind: 'tagged',
      tag: 'A1',
      status: 'NO',
      code: { name: 'AUTHENTICATIONFAILED', args: null },
      text: 'Authentication failed.',
    });
    const ok = parseServerResponse('a2 ok [CAPABILITY IMAP4rev1 ID] Logged in');
    expect(ok).toMatchObject({ kind: 'tagged', status: 'OK', code: { name: 'CAPABILITY', args: 'IMAP4rev1 ID' }, text: 'Logged in' });
    expect(parseServerResponse('A3 BAD')).toMatchObject({ kind: 'tagged', status: 'BAD', code: null, text: '' });
  });

  it('reads untagged status and data responses', () => {
    expect(parseServerResponse('* OK [CAPABILITY IMAP4rev1 SASL-IR] Dovecot ready.')).toMatchObject({
      kind: 'untagged',
      name: 'OK',
      code: { name: 'CAPABILITY', args: 'IMAP4rev1 SASL-IR' },
    });
    expect(parseServerResponse('* CAPABILITY IMAP4rev1 AUTH=PLAIN')).toMatchObject({ kind: 'untagged', name: 'CAPABILITY', text: 'IMAP4rev1 AUTH=PLAIN' });
    expect(parseServerResponse('* 3 EXISTS')).toMatchObject({ kind: 'untagged', name: '3', text: 'EXISTS' });
  });

  it('rejects garbage with an ImapProtocolError (a SASLError)', () => {
    for (const bad of ['', 'garbage', 'A1 MAYBE fine', '* ', 'A1 NO [UNTERMINATED code', 'A(1 OK x', '+A1 OK', 'A1 OK [] x']) {
      let err: unknown = null;
      try {
        parseServerResponse(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ImapProtocolError);
      expect(err).toBeInstanceOf(SASLError);
    }
  });

  it('tags follow RFC 9051 (no +, *, quotes, parentheses, braces, %, backslash)', () => {
    expect(isImapTag('A0001')).toBe(true);
    expect(isImapTag('a.b-c]')).toBe(true);
    for (const bad of ['', 'A+1', '*', 'A"', 'A(', 'A{', 'A%', 'A\\', 'A B', 'Ä'] as const) expect(isImapTag(bad), bad).toBe(false);
  });
});

describe('ImapCapabilities', () => {
  it('is case-insensitive and extracts the SASL facts', () => {
    const caps = ImapCapabilities.parse('IMAP4rev1 sasl-ir STARTTLS LOGINDISABLED AUTH=PLAIN auth=scram-sha-256 AUTH=PLAIN');
    expect(caps.has('imap4REV1')).toBe(true);
    expect(caps.saslIR).toBe(true);
    expect(caps.startTLS).toBe(true);
    expect(caps.loginDisabled).toBe(true);
    expect(caps.saslMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256']);
    expect(ImapCapabilities.parse('IMAP4rev1').saslIR).toBe(false);
  });
});

describe('conditions ↔ IMAP', () => {
  it('each condition has a form, and the client reads it back as the same condition', () => {
    for (const condition of SASL_CONDITIONS) {
      const form = IMAP_FAILURE_FORMS[condition];
      const back = imapFailureCondition(form.status, form.code ? { name: form.code, args: null } : null, form.text);
      // Without a response code BAD can only say "malformed"; incorrect-encoding
      // and aborted (both BAD) read back as malformed-request.
      const expected = condition === 'incorrect-encoding' || condition === 'aborted' ? 'malformed-request' : condition;
      expect(back, condition).toBe(expected);
    }
  });

  it('maps the RFC 5530 codes real servers send', () => {
    const c = (status: 'NO' | 'BAD', code: string | null, text = ''): string => imapFailureCondition(status, code ? { name: code, args: null } : null, text);
    expect(c('NO', 'AUTHENTICATIONFAILED')).toBe('not-authorized');
    expect(c('NO', 'AUTHORIZATIONFAILED')).toBe('invalid-authzid');
    expect(c('NO', 'EXPIRED')).toBe('credentials-expired');
    expect(c('NO', 'UNAVAILABLE')).toBe('temporary-auth-failure');
    expect(c('NO', 'PRIVACYREQUIRED')).toBe('encryption-required');
    expect(c('NO', 'CONTACTADMIN')).toBe('account-disabled');
    expect(c('NO', null, 'Unsupported authentication mechanism.')).toBe('invalid-mechanism'); // Dovecot's text
    expect(c('NO', null, 'whatever')).toBe('not-authorized');
    expect(c('BAD', null, 'Invalid SASL mechanism')).toBe('invalid-mechanism');
    expect(c('BAD', null, 'Syntax error')).toBe('malformed-request');
  });
});
