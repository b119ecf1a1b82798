// SMTP reply parser (RFC 5321 §4.2), EHLO parser and the RFC 4954 code mapping.
import { describe, expect, it } from 'vitest';
import { SASLError } from '../src/index.js';
import { SMTP_AUTH_STATUS, conditionForReply, statusForCondition } from '../src/protocols/smtp/codes.js';
import { SmtpProtocolError, readReply, type LineTransport, type SmtpReply } from '../src/protocols/smtp/index.js';
import { SmtpReplyParser, formatReply, parseEnhancedStatus, parseReplyLine, replyText } from '../src/protocols/smtp/reply.js';
import { parseEhlo } from '../src/protocols/smtp/ehlo.js';

function parseAll(lines: string[], limits = {}): SmtpReply[] {
  const p = new SmtpReplyParser(limits);
  const out: SmtpReply[] = [];
  for (const l of lines) {
    const r = p.push(l);
    if (r) out.push(r);
  }
  return out;
}

/** A transport that replays fixed lines (a recorded server transcript). */
function replay(lines: string[]): LineTransport {
  return {
    readLine: async () => {
      const l = lines.shift();
      if (l === undefined) throw new SASLError(null, 'transport error', 'end of transcript');
      return l;
    },
    writeLine: async () => {},
    close: () => {},
  };
}

describe('parseReplyLine', () => {
  it('parses last lines, continuation lines and bare codes', () => {
    expect(parseReplyLine('250 OK')).toEqual({ code: 250, more: false, text: 'OK' });
    expect(parseReplyLine('250-mail.example.org')).toEqual({ code: 250, more: true, text: 'mail.example.org' });
    expect(parseReplyLine('334')).toEqual({ code: 334, more: false, text: '' });
    expect(parseReplyLine('334 ')).toEqual({ code: 334, more: false, text: '' });
    expect(parseReplyLine('250-')).toEqual({ code: 250, more: true, text: '' });
  });

  it.each([
    ['', 'empty'],
    ['25 OK', 'two digits'],
    ['2500 OK', 'four digits'],
    ['250OK', 'no separator'],
    ['150 Hi', 'first digit out of range'],
    ['600 Hi', 'first digit out of range'],
    ['260 Hi', 'second digit out of range'],
    ['abc def', 'not a code'],
    ['250 a\x00b', 'NUL in text'],
    ['250 a\x1bb', 'ESC in text'],
  ])('rejects %j (%s)', (line) => {
    expect(() => parseReplyLine(line)).toThrow(SmtpProtocolError);
  });

  it('accepts TAB and UTF-8 in text', () => {
    expect(parseReplyLine('220 héllo\tthere').text).toBe('héllo\tthere');
  });
});

describe('SmtpReplyParser', () => {
  it('assembles a multi-line reply (RFC 5321 §4.2.1 example form)', () => {
    const [r] = parseAll(['250-First line', '250-Second line', '250-234 Text beginning with numbers', '250 The last line']);
    expect(r).toEqual({
      code: 250,
      lines: ['First line', 'Second line', '234 Text beginning with numbers', 'The last line'],
      enhancedStatus: null,
    });
  });

  it('returns consecutive replies separately', () => {
    const rs = parseAll(['220 hi', '250-a', '250 b', '221 bye']);
    expect(rs.map((r) => r.code)).toEqual([220, 250, 221]);
    expect(rs[1]!.lines).toEqual(['a', 'b']);
  });

  it('rejects a code change within one reply', () => {
    expect(() => parseAll(['250-a', '251 b'])).toThrow(/code changed from 250 to 251/);
  });

  it('bounds the number of lines and their length', () => {
    const many = Array.from({ length: 10 }, () => '250-x');
    expect(() => parseAll(many, { maxLines: 5 })).toThrow(/more than 5 lines/);
    expect(() => parseAll([`250 ${'x'.repeat(100)}`], { maxLineLength: 50 })).toThrow(/longer than 50/);
    expect(parseAll([...many.slice(0, 4), '250 end'], { maxLines: 5 })[0]!.lines).toHaveLength(5);
  });

  it('rejects invalid limits', () => {
    expect(() => new SmtpReplyParser({ maxLines: 0 })).toThrow(SASLError);
    expect(() => new SmtpReplyParser({ maxLineLength: 1.5 })).toThrow(SASLError);
  });

  it('a hostile endless continuation ends in an error, not a hang', async () => {
    let n = 0;
    const endless: LineTransport = { readLine: async () => `250-line ${n++}`, writeLine: async () => {}, close: () => {} };
    await expect(readReply(endless, { maxLines: 1000 })).rejects.toThrow(SmtpProtocolError);
    expect(n).toBe(1001);
  });

  it('readReply reads exactly one reply from a transport', async () => {
    const t = replay(['250-a', '250 b', '221 c']);
    expect((await readReply(t)).lines).toEqual(['a', 'b']);
    expect((await readReply(t)).code).toBe(221);
  });
});

describe('enhanced status codes (RFC 3463)', () => {
  it('are recognised when their class matches the code', () => {
    expect(parseEnhancedStatus(535, '5.7.8 Authentication credentials invalid')).toBe('5.7.8');
    expect(parseEnhancedStatus(454, '4.7.0 Temporary failure')).toBe('4.7.0');
    expect(parseEnhancedStatus(235, '2.7.0')).toBe('2.7.0');
    expect(parseEnhancedStatus(535, '4.7.8 mismatched class')).toBeNull();
    expect(parseEnhancedStatus(535, '5.7.8x not a code')).toBeNull();
    expect(parseEnhancedStatus(535, 'Authentication failed')).toBeNull();
  });

  it('are removed by replyText', () => {
    const [r] = parseAll(['535 5.7.8 Authentication credentials invalid']);
    expect(r!.enhancedStatus).toBe('5.7.8');
    expect(replyText(r!)).toBe('Authentication credentials invalid');
  });
});

describe('formatReply', () => {
  it('formats single and multi-line replies, with enhanced codes', () => {
    expect(formatReply(235, 'Authentication successful', '2.7.0')).toEqual(['235 2.7.0 Authentication successful']);
    expect(formatReply(250, ['host', 'AUTH PLAIN', 'STARTTLS'])).toEqual(['250-host', '250-AUTH PLAIN', '250 STARTTLS']);
    expect(formatReply(334, '')).toEqual(['334 ']);
  });

  it('round-trips through the parser', () => {
    const lines = formatReply(250, ['mx Hello', 'SIZE 10', 'AUTH SCRAM-SHA-256'], '2.0.0');
    const [r] = parseAll(lines);
    expect(r!.code).toBe(250);
    expect(r!.enhancedStatus).toBe('2.0.0');
  });

  it('refuses bad codes and CR/LF in text', () => {
    expect(() => formatReply(199, 'x')).toThrow(SASLError);
    expect(() => formatReply(250, 'a\r\n250 injected')).toThrow(SASLError);
  });
});

describe('parseEhlo', () => {
  const ehlo = (...lines: string[]): SmtpReply => parseAll(formatReply(250, lines))[0]!;

  it('reads the domain, greeting and extensions', () => {
    const r = parseEhlo(ehlo('mx.example.org greets client.example', 'SIZE 35882577', '8BITMIME', 'STARTTLS', 'AUTH PLAIN SCRAM-SHA-256 scram-sha-1', 'ENHANCEDSTATUSCODES'));
    expect(r.domain).toBe('mx.example.org');
    expect(r.greeting).toBe('greets client.example');
    expect(r.startTLS).toBe(true);
    expect(r.size).toBe(35882577);
    expect(r.authMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-1']);
    expect(r.has('8bitmime')).toBe(true);
    expect(r.has('PIPELINING')).toBe(false);
    expect(r.params('SIZE')).toEqual(['35882577']);
  });

  it('merges the old AUTH= form with the standard one', () => {
    const r = parseEhlo(ehlo('mx', 'AUTH LOGIN PLAIN', 'AUTH=LOGIN PLAIN CRAM-MD5'));
    expect(r.authMechanisms).toEqual(['LOGIN', 'PLAIN', 'CRAM-MD5']);
    expect(parseEhlo(ehlo('mx', 'AUTH=PLAIN')).authMechanisms).toEqual(['PLAIN']);
  });

  it('ignores invalid lines and invalid mechanism names', () => {
    const r = parseEhlo(ehlo('mx', '-BAD keyword', 'AUTH PLAIN WAY-TOO-LONG-MECHANISM-NAME-HERE bad!name', 'X-GOOD'));
    expect(r.authMechanisms).toEqual(['PLAIN']);
    expect(r.has('X-GOOD')).toBe(true);
    expect([...r.extensions.keys()]).toEqual(['AUTH', 'X-GOOD']);
  });

  it('handles SIZE without a limit and no AUTH', () => {
    const r = parseEhlo(ehlo('mx', 'SIZE'));
    expect(r.size).toBe(0);
    expect(r.authMechanisms).toEqual([]);
    expect(parseEhlo(ehlo('mx', 'SIZE lots')).size).toBeNull();
    expect(parseEhlo(ehlo('mx')).size).toBeNull();
  });

  it('refuses a non-250 reply or a missing domain', () => {
    expect(() => parseEhlo(parseAll(['502 no'])[0]!)).toThrow(SmtpProtocolError);
    expect(() => parseEhlo(parseAll(['250 '])[0]!)).toThrow(SmtpProtocolError);
  });
});

describe('RFC 4954 codes and conditions', () => {
  it('maps reply codes to conditions', () => {
    expect(conditionForReply(535, '5.7.8')).toBe('not-authorized');
    expect(conditionForReply(534, null)).toBe('mechanism-too-weak');
    expect(conditionForReply(538, null)).toBe('encryption-required');
    expect(conditionForReply(454, '4.7.0')).toBe('temporary-auth-failure');
    expect(conditionForReply(504, null)).toBe('invalid-mechanism');
    expect(conditionForReply(501, null)).toBe('malformed-request');
    expect(conditionForReply(501, '5.7.0', true)).toBe('aborted');
    expect(conditionForReply(500, '5.5.6')).toBe('malformed-request');
    expect(conditionForReply(432, null)).toBe('credentials-expired');
    expect(conditionForReply(550, '5.7.8')).toBe('not-authorized');
    expect(conditionForReply(421, null)).toBe('temporary-auth-failure');
    expect(conditionForReply(554, null)).toBe('malformed-request');
  });

  it('maps conditions to reply codes, and back to the same condition where SMTP has a code', () => {
    const expected: Record<string, number> = {
      aborted: 501,
      'account-disabled': 535,
      'credentials-expired': 535,
      'encryption-required': 538,
      'incorrect-encoding': 501,
      'invalid-authzid': 535,
      'invalid-mechanism': 504,
      'malformed-request': 501,
      'mechanism-too-weak': 534,
      'not-authorized': 535,
      'temporary-auth-failure': 454,
    };
    for (const [condition, code] of Object.entries(expected)) {
      const s = statusForCondition(condition);
      expect(s.code, condition).toBe(code);
      expect(Number(s.enhanced[0])).toBe(Math.floor(code / 100));
    }
    for (const c of ['encryption-required', 'invalid-mechanism', 'malformed-request', 'mechanism-too-weak', 'not-authorized', 'temporary-auth-failure']) {
      const s = statusForCondition(c);
      expect(conditionForReply(s.code, s.enhanced)).toBe(c);
    }
    expect(statusForCondition(null)).toBe(SMTP_AUTH_STATUS.invalidCredentials);
  });
});
