// PLAIN (RFC 4616) and ANONYMOUS (RFC 4505), against their RFC examples.
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, AuthenticationFailure, PLAIN, SASLError, SASLFailure, SASLStateMachine } from '../src/index.js';
import { base64Encode, encodePlainMessage, runMechanism } from '../src/mechanism.js';
import { checkTraceToken } from '../mechanisms/anonymous.js';
import { ScriptedInterface } from './helpers/scripted.js';
import { rejection, syncError } from './helpers/errors.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Run PLAIN against a server that checks the message and answers `step`. */
async function runPlain(plain: PLAIN, intf: ScriptedInterface): Promise<SASLStateMachine> {
  const sm = new SASLStateMachine(intf);
  await runMechanism(plain, sm, 'PLAIN');
  return sm;
}

describe('PLAIN (RFC 4616)', () => {
  it('RFC 4616 §4 first example: <NUL>tim<NUL>tanstaaftanstaaf, byte for byte', async () => {
    const expected = new Uint8Array([0, ...bytes('tim'), 0, ...bytes('tanstaaftanstaaf')]);
    expect(expected).toHaveLength(21); // the RFC's literal is {21}
    expect(encodePlainMessage('tim', 'tanstaaftanstaaf')).toEqual(expected);
    const intf = new ScriptedInterface([{ expect: (sent) => expect(sent).toEqual(expected), reply: ['success', null] }]);
    const sm = await runPlain(new PLAIN(() => ['tim', 'tanstaaftanstaaf']), intf);
    expect(sm.state).toBe('success');
    expect(intf.sent[0]).toMatchObject({ op: 'initiate', mechanism: 'PLAIN' });
  });

  it('RFC 4616 §4 second example with authzid: Ursel<NUL>Kurt<NUL>xipj3plmq, byte for byte', async () => {
    const expected = new Uint8Array([...bytes('Ursel'), 0, ...bytes('Kurt'), 0, ...bytes('xipj3plmq')]);
    expect(encodePlainMessage('Kurt', 'xipj3plmq', 'Ursel')).toEqual(expected);
    const intf = new ScriptedInterface([{ expect: (sent) => expect(sent).toEqual(expected), reply: ['success', null] }]);
    await runPlain(new PLAIN(() => ['Kurt', 'xipj3plmq'], { authzid: 'Ursel' }), intf);
    expect(intf.remaining).toBe(0);
  });

  it('takes credentials from an async provider, only when authenticating', async () => {
    let calls = 0;
    const plain = new PLAIN(async () => {
      calls++;
      return ['tim', 'tanstaaftanstaaf'] as const;
    });
    expect(plain.anySupported(['SCRAM-SHA-1'])).toBeNull();
    expect(plain.anySupported(['plain'])).toBe('PLAIN');
    expect(calls).toBe(0);
    await runPlain(plain, new ScriptedInterface([{ expect: '\0tim\0tanstaaftanstaaf', reply: ['success', null] }]));
    expect(calls).toBe(1);
  });

  it('encodes non-ASCII as UTF-8', async () => {
    const user = 'Jürgen-用户';
    const password = 'pässwörd-🔑';
    const expected = new Uint8Array([0, ...Buffer.from(user, 'utf8'), 0, ...Buffer.from(password, 'utf8')]);
    expect(encodePlainMessage(user, password)).toEqual(expected);
    const intf = new ScriptedInterface([{ expect: (sent) => expect(sent).toEqual(expected), reply: ['success', null] }]);
    await runPlain(new PLAIN(() => [user, password]), intf);
  });

  it('applies no SASLprep (as aiosasl): the server prepares', () => {
    // SOFT HYPHEN is mapped to nothing by SASLprep, U+2168 ROMAN NUMERAL NINE
    // becomes "IX" under NFKC, U+00A0 becomes SPACE, BEL is prohibited:
    // PLAIN sends every one of them unchanged.
    const user = 'I\u00adX\u2168';
    const password = 'a\u00a0b\u0007';
    expect(encodePlainMessage(user, password)).toEqual(new Uint8Array([0, ...Buffer.from(user, 'utf8'), 0, ...Buffer.from(password, 'utf8')]));
  });

  describe('refuses bad input before sending anything', () => {
    const cases: Array<[string, string, string, string | null]> = [
      ['NUL in the username', 'ti\0m', 'pw', null],
      ['NUL in the password', 'tim', 'p\0w', null],
      ['NUL in the authzid', 'tim', 'pw', 'Ur\0sel'],
      ['an empty username', '', 'pw', null],
      ['an empty password', 'tim', '', null],
    ];
    it.each(cases)('%s', async (_what, user, password, authzid) => {
      expect(syncError(() => encodePlainMessage(user, password, authzid))).toBeInstanceOf(SASLError);
      if (authzid !== null) {
        expect(syncError(() => new PLAIN(() => [user, password], { authzid }))).toBeInstanceOf(SASLError);
        return;
      }
      const intf = new ScriptedInterface([]);
      const err = await rejection(runPlain(new PLAIN(() => [user, password]), intf));
      expect(err).toBeInstanceOf(SASLError);
      expect(intf.sent).toHaveLength(0);
      if (password.length > 0) expect((err as Error).message).not.toContain(password);
    });
    it('an empty authzid', () => {
      expect(syncError(() => new PLAIN(() => ['u', 'p'], { authzid: '' }))).toBeInstanceOf(SASLError);
    });
    it('a lone surrogate (not encodable as UTF-8)', async () => {
      const intf = new ScriptedInterface([]);
      expect(await rejection(runPlain(new PLAIN(() => ['tim', 'pw\ud800']), intf))).toBeInstanceOf(SASLError);
      expect(intf.sent).toHaveLength(0);
    });
    it('a provider that does not return two strings', async () => {
      const intf = new ScriptedInterface([]);
      const bad = (() => ['only-one']) as unknown as () => [string, string];
      expect(await rejection(runPlain(new PLAIN(bad), intf))).toBeInstanceOf(SASLError);
      expect(intf.sent).toHaveLength(0);
    });
  });

  it.each(['not-authorized', 'account-disabled', 'credentials-expired', 'invalid-authzid'])(
    'promotes the server failure %s to AuthenticationFailure',
    async (condition) => {
      const err = await rejection(runPlain(new PLAIN(() => ['tim', 'secret-pw']), new ScriptedInterface([{ fail: condition }])));
      expect(err).toBeInstanceOf(AuthenticationFailure);
      expect((err as AuthenticationFailure).opaqueError).toBe(condition);
      expect((err as Error).message).not.toContain('secret-pw');
    },
  );

  it.each(['invalid-mechanism', 'encryption-required', 'mechanism-too-weak', 'temporary-auth-failure'])(
    'keeps the server failure %s a SASLFailure (another mechanism may work)',
    async (condition) => {
      const err = await rejection(runPlain(new PLAIN(() => ['tim', 'pw']), new ScriptedInterface([{ fail: condition }])));
      expect(err).toBeInstanceOf(SASLFailure);
      expect(err).not.toBeInstanceOf(AuthenticationFailure);
      expect((err as SASLFailure).opaqueError).toBe(condition);
    },
  );

  it('treats a challenge as a protocol violation and aborts', async () => {
    const intf = new ScriptedInterface([{ reply: ['challenge', 'what?'] }]);
    const err = await rejection(runPlain(new PLAIN(() => ['tim', 'pw']), intf));
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).text).toMatch(/protocol violation/);
    expect(intf.ops).toEqual(['initiate', 'abort']);
  });
});

describe('ANONYMOUS (RFC 4505)', () => {
  it('RFC 4505 §3 example: trace "sirhc" is sent as c2lyaGM=', async () => {
    const intf = new ScriptedInterface([{ expect: 'sirhc', reply: ['success', null] }]);
    const anon = new ANONYMOUS('sirhc');
    expect(anon.anySupported(['PLAIN', 'ANONYMOUS'])).toBe('ANONYMOUS');
    expect(anon.anySupported(['PLAIN'])).toBeNull();
    const sm = new SASLStateMachine(intf);
    await runMechanism(anon, sm, 'ANONYMOUS');
    expect(sm.state).toBe('success');
    expect(intf.sent[0]).toMatchObject({ op: 'initiate', mechanism: 'ANONYMOUS' });
    // The RFC's IMAP trace carries the base64 of the message: "C: c2lyaGM=".
    expect(base64Encode(intf.sent[0]!.payload!)).toBe('c2lyaGM=');
  });

  it('sends an email address trace and an empty trace', async () => {
    const a = new ScriptedInterface([{ expect: 'abuse@example.com', reply: ['success', null] }]);
    await runMechanism(new ANONYMOUS('abuse@example.com'), new SASLStateMachine(a), 'ANONYMOUS');
    const b = new ScriptedInterface([{ expect: '', reply: ['success', null] }]);
    await runMechanism(new ANONYMOUS(''), new SASLStateMachine(b), 'ANONYMOUS');
    expect(b.sent[0]!.payload).toEqual(new Uint8Array(0));
  });

  it('accepts UTF-8 text and exactly 255 characters (code points, not UTF-16 units)', async () => {
    expect(checkTraceToken('Grüße, 世界')).toBe('Grüße, 世界');
    expect(checkTraceToken('x'.repeat(255))).toHaveLength(255);
    expect(checkTraceToken('😀'.repeat(255))).toHaveLength(510);
    const intf = new ScriptedInterface([{ expect: (sent) => expect(sent).toEqual(bytes('Grüße')), reply: ['success', null] }]);
    await runMechanism(new ANONYMOUS('Grüße'), new SASLStateMachine(intf), 'ANONYMOUS');
    expect(intf.remaining).toBe(0); // the step (and its check) ran
  });

  it('accepts right-to-left text that follows the bidi rule', () => {
    expect(checkTraceToken('\u05d0\u05d1\u05d2')).toBeTruthy();
    expect(checkTraceToken('\u05d0 1 \u05d1')).toBeTruthy();
    expect(checkTraceToken('\u0627\u0644\u0639\u0631\u0628\u064a\u0629')).toBeTruthy();
  });

  const rejected: Array<[string, string]> = [
    ['NUL', 'a\u0000b'],
    ['an ASCII control (BEL)', 'a\u0007b'],
    ['a newline', 'line1\nline2'],
    ['DEL', 'a\u007f'],
    ['a C1 control (NEL)', 'a\u0085'],
    ['a non-ASCII control (U+180E)', 'a\u180eb'],
    ['ZERO WIDTH NON-JOINER (U+200C)', 'a\u200cb'],
    ['LINE SEPARATOR (U+2028)', 'a\u2028b'],
    ['a byte-order mark', '\ufeffabc'],
    ['a private-use character', 'a\ue000b'],
    ['a supplementary private-use character', 'a\u{f0000}b'],
    ['a non-character (U+FFFE)', 'a\ufffeb'],
    ['a non-character (U+FDD0)', 'a\ufdd0b'],
    ['a non-character (U+1FFFF)', 'a\u{1ffff}'],
    ['an inappropriate-for-plain-text character (U+FFF9)', 'a\ufff9'],
    ['a left-to-right mark (U+200E, C.8)', 'a\u200eb'],
    ['a deprecated format character (U+206A, C.8)', 'a\u206ab'],
    ['a tagging character (U+E0001)', 'a\u{e0001}'],
    ['a lone surrogate', 'a\ud800b'],
    ['256 characters', 'x'.repeat(256)],
    ['256 astral characters', '😀'.repeat(256)],
    ['RandAL and L mixed', '\u05d0abc\u05d1'],
    ['RandAL text that does not end with RandAL', '\u05d0\u05d11'],
    ['RandAL text that does not start with RandAL', '1\u05d0\u05d1'],
    ['Latin then Arabic', 'abc\u0627'],
  ];
  it.each(rejected)('rejects a trace with %s (trace profile), before sending anything', async (_what, token) => {
    const err = syncError(() => checkTraceToken(token));
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).opaqueError).toBe('malformed-request');
    expect((err as SASLFailure).text).toMatch(/ANONYMOUS: trace token/);
    const local = syncError(() => new ANONYMOUS(token));
    expect(local).toBeInstanceOf(SASLFailure);
    expect((local as SASLFailure).opaqueError).toBeNull(); // raised in the client: no peer condition
  });

  it('rejects a non-string trace with a SASLError', () => {
    expect(syncError(() => new ANONYMOUS(42 as unknown as string))).toBeInstanceOf(SASLError);
  });

  it('surfaces a server failure and treats a challenge as a protocol violation', async () => {
    const refused = await rejection(runMechanism(new ANONYMOUS('sirhc'), new SASLStateMachine(new ScriptedInterface([{ fail: 'not-authorized' }])), 'ANONYMOUS'));
    expect(refused).toBeInstanceOf(SASLFailure);
    expect((refused as SASLFailure).opaqueError).toBe('not-authorized');
    const intf = new ScriptedInterface([{ reply: ['challenge', 'huh'] }]);
    const err = await rejection(runMechanism(new ANONYMOUS('sirhc'), new SASLStateMachine(intf), 'ANONYMOUS'));
    expect(err).toBeInstanceOf(SASLFailure);
    expect(intf.ops).toEqual(['initiate', 'abort']);
  });
});
