// The grammar modules: mechanism names (RFC 4422 §3.1, SCRAM-<hash>[-PLUS]),
// the GS2 header (RFC 5801 §4), SCRAM's four messages (RFC 5802 §7) printed
// and parsed back, and the titled integer checks.
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../src/core/bytes.js';
import { checkInteger, integerRule, isIntegerIn } from '../src/core/checks.js';
import { SASLError, SASLFailure } from '../src/core/errors.js';
import { parseGs2Header, printGs2Header, type Gs2Fields } from '../src/core/gs2.js';
import { checkMechanismName, isMechanismName, parseScramMechanismName, scramMechanismName } from '../src/core/mechanism-name.js';
import { HASHES } from '../src/crypto/hashes.js';
import {
  parseClientFinal,
  parseClientFirst,
  parseServerFinal,
  parseServerFirst,
  printClientFinal,
  printClientFinalWithoutProof,
  printClientFirst,
  printServerFinal,
  printServerFirst,
} from '../src/scram/messages.js';
import { SASLStateMachine, SCRAM, SCRAMPLUS } from '../src/index.js';
import { ScriptedInterface } from './helpers/scripted.js';

const bytes = (text: string): Uint8Array => utf8Encode(text);

describe('mechanism names (RFC 4422 §3.1)', () => {
  it('accepts 1-20 of A-Z 0-9 - _ and nothing else', () => {
    for (const ok of ['PLAIN', 'SCRAM-SHA-256-PLUS', 'X', 'A_B-9', 'X'.repeat(20)]) expect(isMechanismName(ok)).toBe(true);
    for (const bad of ['', 'X'.repeat(21), 'plain', 'PLAIN ', 'PL\r\nAIN', 'PLAIN,X', 'ÄÖ', 7, null]) expect(isMechanismName(bad)).toBe(false);
    expect(isMechanismName('scram-sha-1', true)).toBe(true);
    // 'ß' upper-cases to 'SS': a check on toUpperCase() would wrongly accept it.
    expect(isMechanismName('ß', true)).toBe(false);
  });

  it('checkMechanismName refuses with invalid-mechanism', () => {
    expect(checkMechanismName('PLAIN')).toBe('PLAIN');
    const err = (() => {
      try {
        checkMechanismName('PLAIN\r\nA01 LOGOUT');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBe('invalid-mechanism');
  });

  it('SCRAM-<hash>[-PLUS] is built and parsed back for every hash', () => {
    for (const { name } of HASHES) {
      for (const plus of [false, true]) {
        const mechanism = scramMechanismName(name, plus);
        expect(isMechanismName(mechanism)).toBe(true);
        expect(parseScramMechanismName(mechanism)).toEqual({ hash: name, plus });
        expect(parseScramMechanismName(mechanism.toLowerCase())).toEqual({ hash: name, plus });
      }
    }
    expect(scramMechanismName('SHA-256', true)).toBe('SCRAM-SHA-256-PLUS');
    for (const other of ['PLAIN', 'SCRAM-', 'SCRAM-PLUS', 'XSCRAM-SHA-1', 'SCRAM-SHA-256-PLUS-X'.repeat(2), 42]) {
      expect(parseScramMechanismName(other)?.hash === 'SHA-256').toBe(false);
    }
  });
});

describe('GS2 header (RFC 5801 §4)', () => {
  const cases: [Gs2Fields, string][] = [
    [{ flag: 'n', cbName: null, authzid: null }, 'n,,'],
    [{ flag: 'y', cbName: null, authzid: 'admin' }, 'y,a=admin,'],
    [{ flag: 'p', cbName: 'tls-exporter', authzid: 'a=b,c' }, 'p=tls-exporter,a=a=3Db=2Cc,'],
  ];

  it('prints each form and parses it back, rest and all', () => {
    for (const [fields, text] of cases) {
      expect(printGs2Header(fields)).toBe(text);
      expect(parseGs2Header(`${text}n=user,r=abc`, 'client-first-message')).toEqual({ ...fields, text, rest: 'n=user,r=abc' });
    }
  });

  it('refuses a malformed header with a titled malformed-request', () => {
    const cases: [string, RegExp][] = [
      ['n', /^SCRAM: client-first-message lacks the GS2 header$/],
      ['x,,n=u', /channel-binding flag must be/],
      ['p=,,n=u', /channel-binding flag must be/],
      ['p=bad name,,n=u', /channel-binding flag must be/],
      ['n,b=x,n=u', /GS2 authzid must be 'a=<saslname>'/],
      ['n,a=,n=u', /authzid is empty/],
      ['n,a=x=41,n=u', /invalid '=' escape/],
    ];
    for (const [text, why] of cases) {
      let caught: unknown;
      try {
        parseGs2Header(text, 'client-first-message');
      } catch (e) {
        caught = e;
      }
      expect(caught, text).toBeInstanceOf(SASLFailure);
      expect((caught as SASLFailure).opaqueError).toBe('malformed-request');
      expect((caught as SASLFailure).text).toMatch(why);
    }
    expect(() => parseGs2Header('q,,', 'the message', 'OAUTHBEARER')).toThrow(/OAUTHBEARER: the GS2 channel-binding flag/);
  });
});

describe("SCRAM's four messages (RFC 5802 §7)", () => {
  it('client-first-message: printed and parsed back', () => {
    const printed = printClientFirst({ flag: 'n', cbName: null, authzid: null }, 'user', 'fyko+d2lbbFgONRv9qkxdawL');
    // RFC 5802 §5's example.
    expect(printed.message).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const parsed = parseClientFirst(bytes(printed.message));
    expect(parsed).toMatchObject({ username: 'user', nonce: 'fyko+d2lbbFgONRv9qkxdawL', bare: printed.bare });
    expect(parsed.gs2.text).toBe(printed.gs2Header);
    expect(parseClientFirst(bytes(printClientFirst({ flag: 'y', cbName: null, authzid: null }, 'a,b=c', 'n').message)).username).toBe('a,b=c');
    expect(() => parseClientFirst(bytes('n,,m=x,n=user,r=abc'))).toThrow(/mandatory extension/);
    expect(() => parseClientFirst(bytes('n,,r=abc,n=user'))).toThrow(/expected 'n='/);
    expect(() => parseClientFirst(new Uint8Array(16385))).toThrow(/longer than 16384 bytes/);
  });

  it('server-first-message: printed and parsed back', () => {
    const salt = Uint8Array.from(Buffer.from('QSXCR+Q6sek8bf92', 'base64'));
    const text = printServerFirst('fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j', salt, 4096);
    expect(text).toBe('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    expect(parseServerFirst(bytes(text))).toEqual({ nonce: 'fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j', salt, iterations: 4096, text });
    expect(() => parseServerFirst(bytes('r=abc,s=,i=1'))).toThrow(SASLFailure);
    expect(() => parseServerFirst(bytes('r=abc,s=QSXC,i=0'))).toThrow(/iteration count must be a positive decimal integer/);
    expect(() => parseServerFirst(bytes('r=abc,s=QSXC,i=01'))).toThrow(/positive decimal integer/);
    expect(() => parseServerFirst(bytes('r=abc,s=QSXC,i=1,s=QSXC'))).toThrow(/repeats or misplaces the 's' attribute/);
  });

  it('client-final-message: printed and parsed back', () => {
    const cb = bytes('n,,');
    const withoutProof = printClientFinalWithoutProof(cb, 'fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j');
    expect(withoutProof).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j');
    const proof = Uint8Array.from(Buffer.from('v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=', 'base64'));
    const text = printClientFinal(withoutProof, proof);
    expect(text).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    expect(parseClientFinal(bytes(text))).toEqual({ channelBinding: cb, nonce: 'fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j', proof, withoutProof });
    expect(() => parseClientFinal(bytes(withoutProof))).toThrow(/must end with the proof/);
  });

  it('server-final-message: v= and e= printed and parsed back; junk errors are other-error', () => {
    const verifier = Uint8Array.from(Buffer.from('rmF9pqV8S7suAoZWja4dJRkFsKQ=', 'base64'));
    expect(printServerFinal({ verifier })).toBe('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    expect(parseServerFinal(bytes('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='))).toEqual({ verifier });
    expect(printServerFinal({ error: 'invalid-proof' })).toBe('e=invalid-proof');
    expect(parseServerFinal(bytes('e=invalid-proof'))).toEqual({ error: 'invalid-proof' });
    expect(parseServerFinal(bytes('e=Line\nbreak'))).toEqual({ error: 'other-error' });
    expect(() => parseServerFinal(bytes('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=,v=AAAA'))).toThrow(/repeats or misplaces the 'v' attribute/);
  });
});

describe('titled checks', () => {
  it('state the rule with the title, in the error class the caller chooses', () => {
    expect(integerRule('port', 1, 65535)).toBe('port must be an integer from 1 to 65535');
    expect(integerRule('maxAttempts')).toBe('maxAttempts must be a positive integer');
    expect(integerRule('maxCommandLength', 64)).toBe('maxCommandLength must be an integer >= 64');
    expect(checkInteger(993, 'port', 1, 65535)).toBe(993);
    for (const bad of [0, 65536, 1.5, NaN, '993', 2 ** 53]) {
      expect(() => checkInteger(bad, 'port', 1, 65535)).toThrow(new SASLError(null, 'invalid argument', 'port must be an integer from 1 to 65535'));
    }
    class Custom extends Error {}
    expect(() => checkInteger(0, 'x', 1, undefined, (t) => new Custom(t))).toThrow(Custom);
    expect(isIntegerIn(5)).toBe(true);
    expect(isIntegerIn(Infinity)).toBe(false);
  });
});

describe('the SCRAM client token carries the choice', () => {
  it('anySupported gives { name, hash }; authenticate takes it (or a name) and refuses others', async () => {
    const scram = new SCRAM(() => ['u', 'p'], { hashes: ['SHA-1', 'SHA-256'] });
    const choice = scram.anySupported(['SCRAM-SHA-1', 'scram-sha-256', 'SCRAM-SHA-512']);
    expect(choice?.name).toBe('SCRAM-SHA-256');
    expect(choice?.hash.name).toBe('SHA-256');
    expect(choice?.hash.outputLength).toBe(32);
    const plus = new SCRAMPLUS(() => ['u', 'p'], { cbName: 'tls-exporter', extractCbData: () => new Uint8Array(32) });
    expect(plus.anySupported(['SCRAM-SHA-1-PLUS'])).toMatchObject({ name: 'SCRAM-SHA-1-PLUS', hash: { name: 'SHA-1' } });
    const sha512 = HASHES.find((h) => h.name === 'SHA-512')!;
    const sm = (): SASLStateMachine => new SASLStateMachine(new ScriptedInterface([]));
    await expect(scram.authenticate(sm(), { name: 'SCRAM-SHA-512', hash: sha512 })).rejects.toThrow(/not a mechanism this SCRAM instance can run/);
    await expect(scram.authenticate(sm(), { name: 'SCRAM-SHA-256', hash: sha512 })).rejects.toThrow(/not a mechanism this SCRAM instance can run/);
    await expect(scram.authenticate(sm(), 'SCRAM-SHA-256-PLUS')).rejects.toThrow(SASLError);
  });
});
