// The stringprep module (src/core/stringprep.ts): one set of RFC 3454 tables,
// two profiles, SASLprep (RFC 4013) and trace (RFC 4505 §3). Every table and
// the trace profile's verdicts are checked against an independent oracle,
// Python's stdlib `stringprep` module (Unicode 3.2 data), code point by code
// point and on generated strings.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, SASLFailure, saslprep } from '../src/index.js';
import { ANONYMOUSServer, MemoryCredentialStore, SASLServer } from '../src/server/index.js';
import { checkTraceToken } from '../mechanisms/anonymous.js';
import { StringprepViolation, decodeRanges, inRanges, saslprepProfile, stringprepTables, traceProfile, type Ranges } from '../src/core/stringprep.js';
import { saslprepBackend as packageBackend } from '../src/core/saslprep-backend.js';
import { PROHIBITED } from '../src/core/saslprep-tables.js';
import { describeWithPeers } from './helpers/peers.js';
import { feed } from './helpers/server.js';

const MAX_CP = 0x10ffff;

function rangesToPairs(r: Ranges): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) out.push([r[i]!, r[i + 1]!]);
  return out;
}

function verdict(fn: () => string): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof StringprepViolation ? err.rule : `other: ${String(err)}`;
  }
}

describe('trace profile (RFC 4505 §3): the inputs of issue 9 kind 10', () => {
  it('"a\\u061F" (Latin a + ARABIC QUESTION MARK, RandALCat) breaks the bidi rule', () => {
    expect(verdict(() => traceProfile('a\u061F'))).toBe('bidi');
    const err = (() => {
      try {
        checkTraceToken('a\u061F');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(SASLFailure);
    expect((err as SASLFailure).text).toMatch(/bidirectional-text rule/);
  });

  it('"a\\u0591" (a + HEBREW ACCENT ETNAHTA, a non-spacing mark, not RandALCat) is accepted', () => {
    expect(traceProfile('a\u0591')).toBe('a\u0591');
    expect(checkTraceToken('a\u0591')).toBe('a\u0591');
    expect(() => new ANONYMOUS('a\u0591')).not.toThrow();
  });

  it('the ANONYMOUS server applies the same profile', async () => {
    const server = new SASLServer({ mechanisms: [new ANONYMOUSServer()], credentials: new MemoryCredentialStore() });
    const ok = await feed(server.start('ANONYMOUS', { secure: true }), ['a\u0591']);
    expect(ok.at(-1)).toMatchObject({ kind: 'success', outcome: { claims: { traceToken: 'a\u0591' } } });
    const bad = await feed(server.start('ANONYMOUS', { secure: true }), ['a\u061F']);
    expect(bad.at(-1)).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('RFC 4505 §4: the trace "sirhc" passes unchanged; so do an email address and the empty trace', () => {
    for (const t of ['sirhc', 'abuse@example.test', '']) expect(traceProfile(t)).toBe(t);
  });

  it('does no mapping and no normalisation (unlike SASLprep), and allows what SASLprep prohibits beyond trace: C.1.2 and C.7', () => {
    for (const t of ['I\u00ADX', '\u2168', '\u00AA', 'a\u00A0b', 'a\u3000b', '\u2FF0\u2FFB', 'x\u200By']) expect(traceProfile(t)).toBe(t);
    expect(saslprep('I\u00ADX')).toBe('IX');
    expect(() => saslprep('\u2FF0')).toThrow(SASLFailure);
  });

  it('allows unassigned code points (RFC 4505 §3: "Unassigned code points are not prohibited")', () => {
    expect(traceProfile('a\u0221b')).toBe('a\u0221b'); // U+0221 is in A.1
    expect(inRanges(stringprepTables().unassigned, 0x221)).toBe(true);
  });

  it.each([
    ['ASCII control (C.2.1)', 'a\u0007'],
    ['non-ASCII control (C.2.2)', 'a\u0085'],
    ['private use (C.3)', 'a\ue000'],
    ['non-character (C.4)', 'a\ufdd0'],
    ['non-character U+FFFFE (C.4)', 'a\u{ffffe}'],
    ['non-character U+10FFFF (C.4)', 'a\u{10ffff}'],
    ['lone surrogate (C.5)', 'a\ud800'],
    ['inappropriate for plain text (C.6)', 'a\ufffd'],
    ['change display properties (C.8)', 'a\u200e'],
    ['tagging (C.9)', 'a\u{e0001}'],
  ])('prohibits %s', (_what, t) => {
    expect(verdict(() => traceProfile(t))).toBe('prohibited');
  });

  it('the bidi rule, RFC 3454 §6', () => {
    expect(traceProfile('\u05d0\u05d1')).toBeTruthy();
    expect(traceProfile('\u0627 1 \u0628')).toBeTruthy(); // neutral and EN inside RandAL
    expect(traceProfile('\u05d0\u0591\u05d1')).toBeTruthy();
    expect(verdict(() => traceProfile('\u05d0\u0591'))).toBe('bidi'); // ends with an NSM, not RandALCat
    expect(verdict(() => traceProfile('1\u05d0'))).toBe('bidi');
    expect(verdict(() => traceProfile('\u05d0x\u05d1'))).toBe('bidi');
    expect(traceProfile('a\u0300 1')).toBeTruthy(); // no RandALCat: no constraint
  });
});

describe('SASLprep profile of the stringprep module: RFC 4013 §3 examples', () => {
  it.each([
    ['I\u00ADX', 'IX'],
    ['user', 'user'],
    ['USER', 'USER'],
    ['\u00AA', 'a'],
    ['\u2168', 'IX'],
    ['\u0007', 'prohibited'],
    ['\u0627\u0031', 'bidi'],
  ])('%j → %s', (input, expected) => {
    if (expected === 'prohibited' || expected === 'bidi') expect(verdict(() => saslprepProfile(input, false))).toBe(expected);
    else expect(saslprepProfile(input, false)).toBe(expected);
  });

  it('refuses C.4\'s U+FFFFE and U+FFFFF in both backends, though the saslprep package data lacks them', () => {
    for (const v of ['\u{ffffe}', 'a\u{fffff}b', '\u{ffffe}\u0627']) {
      for (const allowUnassigned of [false, true]) {
        expect(verdict(() => saslprepProfile(v, allowUnassigned))).toBe('prohibited');
        expect(() => packageBackend(v, allowUnassigned)).toThrow('Prohibited character');
        expect(() => saslprep(v, { allowUnassigned })).toThrow(SASLFailure);
      }
    }
    expect(inRanges(decodeRanges(PROHIBITED), 0xffffe)).toBe(false); // the package's own set
  });

  it('refuses unassigned code points for stored strings, accepts them for queries', () => {
    expect(verdict(() => saslprepProfile('a\u0221', false))).toBe('unassigned');
    expect(saslprepProfile('a\u0221', true)).toBe('a\u0221');
  });
});

describe('stringprep tables: properties', () => {
  const t = stringprepTables();

  it('SASLprep prohibits the package set plus C.4\'s U+FFFFE..U+FFFFF; trace prohibits that less C.1.2 and C.7 (U+2FF0..U+2FFB)', () => {
    const c7 = (cp: number) => cp >= 0x2ff0 && cp <= 0x2ffb;
    const pkg = decodeRanges(PROHIBITED);
    for (let cp = 0; cp <= MAX_CP; cp++) {
      const sasl = inRanges(pkg, cp) || cp === 0xffffe || cp === 0xfffff;
      if (inRanges(t.saslprepProhibited, cp) !== sasl) expect.fail(`U+${cp.toString(16)}: SASLprep prohibited should be ${sasl}`);
      const want = sasl && !inRanges(t.nonAsciiSpace, cp) && !c7(cp);
      if (inRanges(t.traceProhibited, cp) !== want) expect.fail(`U+${cp.toString(16)}: trace prohibited should be ${want}`);
    }
  });

  it('C.1.2 and C.7 lie wholly inside the SASLprep set, so subtracting them is exact', () => {
    for (let cp = 0x2ff0; cp <= 0x2ffb; cp++) expect(inRanges(t.saslprepProhibited, cp)).toBe(true);
    for (const [a, b] of rangesToPairs(t.nonAsciiSpace)) for (let cp = a; cp <= b; cp++) expect(inRanges(t.saslprepProhibited, cp)).toBe(true);
  });

  it('the trace ranges are sorted and disjoint', () => {
    const pairs = rangesToPairs(t.traceProhibited);
    for (let i = 0; i < pairs.length; i++) {
      expect(pairs[i]![0]).toBeLessThanOrEqual(pairs[i]![1]);
      if (i > 0) expect(pairs[i]![0]).toBeGreaterThan(pairs[i - 1]![1] + 1);
    }
  });

  it('RandALCat and LCat are disjoint', () => {
    for (const [a, b] of rangesToPairs(t.randAL)) for (let cp = a; cp <= b; cp++) expect(inRanges(t.l, cp)).toBe(false);
  });

  it('trace: one code point alone is refused iff it is prohibited (alone, RandALCat is first and last) (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CP }), (cp) => {
        const s = String.fromCodePoint(cp);
        const v = verdict(() => traceProfile(s));
        return v === (inRanges(t.traceProhibited, cp) ? 'prohibited' : 'ok');
      }),
      { numRuns: 20000 },
    );
  });
});

// An independent implementation of the trace profile (and its tables) in
// Python's stdlib, as aiosasl's stringprep.trace does it.
const PYTHON_ORACLE = String.raw`
import json, stringprep, sys
T = stringprep
def prohibited(c):
    return (T.in_table_c21(c) or T.in_table_c22(c) or T.in_table_c3(c) or T.in_table_c4(c)
            or T.in_table_c5(c) or T.in_table_c6(c) or T.in_table_c8(c) or T.in_table_c9(c))
def ranges(pred):
    out, start = [], None
    for cp in range(0x110000):
        on = pred(chr(cp))
        if on and start is None: start = cp
        if not on and start is not None: out.append([start, cp - 1]); start = None
    if start is not None: out.append([start, 0x10FFFF])
    return out
def trace(s):
    cps = [chr(c) for c in s]
    if any(prohibited(c) for c in cps): return 'prohibited'
    if any(T.in_table_d1(c) for c in cps):
        if any(T.in_table_d2(c) for c in cps): return 'bidi'
        if not (T.in_table_d1(cps[0]) and T.in_table_d1(cps[-1])): return 'bidi'
    return 'ok'
req = json.load(sys.stdin)
def sasl(c):
    return T.in_table_c12(c) or T.in_table_c7(c) or prohibited(c)
print(json.dumps({
  'sasl': ranges(sasl),
  'a1': ranges(T.in_table_a1),
  'b1': ranges(T.in_table_b1),
  'c12': ranges(T.in_table_c12),
  'prohibited': ranges(prohibited),
  'randAL': ranges(T.in_table_d1),
  'l': ranges(T.in_table_d2),
  'verdicts': [trace(s) for s in req['strings']],
}))
`;

describeWithPeers('trace profile against Python stdlib stringprep (independent oracle)', ['python3'], () => {
  const t = stringprepTables();

  // Strings of code points: table members, their edges, Latin, Arabic, Hebrew, marks, digits.
  const interesting: number[] = [0x61, 0x31, 0x20, 0x591, 0x61f, 0x627, 0x5d0, 0x300, 0x2ff0, 0xa0, 0x221];
  for (const r of [t.traceProhibited, t.randAL]) {
    for (let i = 0; i < r.length && i < 400; i += 2) interesting.push(r[i]!, r[i + 1]!, Math.max(0, r[i]! - 1), Math.min(MAX_CP, r[i + 1]! + 1));
  }
  // A high surrogate followed by a low one would be one code point in a JS
  // string but two lone surrogates to Python: leave such pairs out.
  const pairsUp = (cps: number[]) => cps.some((cp, i) => cp >= 0xd800 && cp <= 0xdbff && (cps[i + 1] ?? 0) >= 0xdc00 && (cps[i + 1] ?? 0) <= 0xdfff);
  const strings = fc
    .sample(fc.array(fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: MAX_CP })), { minLength: 1, maxLength: 6 }), {
      numRuns: 3200,
      seed: 4505,
    })
    .filter((cps) => !pairsUp(cps))
    .slice(0, 3000);
  // Code point arrays (lone surrogates included), sent as lists of numbers.
  const texts = strings.map((cps) => cps.map((cp) => String.fromCodePoint(cp)).join(''));

  const run = spawnSync('python3', ['-c', PYTHON_ORACLE], {
    input: JSON.stringify({ strings: strings.map((cps) => cps) }),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const oracle =
    run.status === 0
      ? (JSON.parse(run.stdout) as Record<'sasl' | 'a1' | 'b1' | 'c12' | 'prohibited' | 'randAL' | 'l', [number, number][]> & { verdicts: string[] })
      : null;

  it('ran', () => {
    expect(run.status, run.stderr).toBe(0);
  });

  it('prohibited set equals C.2.1 ∪ C.2.2 ∪ C.3 ∪ C.4 ∪ C.5 ∪ C.6 ∪ C.8 ∪ C.9, over all of Unicode', () => {
    expect(rangesToPairs(t.traceProhibited)).toEqual(oracle!.prohibited);
  });

  it('the SASLprep tables equal Python’s: prohibited (C.1.2, C.2.1 to C.9), A.1, B.1, C.1.2', () => {
    expect(rangesToPairs(t.saslprepProhibited)).toEqual(oracle!.sasl);
    expect(rangesToPairs(t.unassigned)).toEqual(oracle!.a1);
    expect(rangesToPairs(t.mappedToNothing)).toEqual(oracle!.b1);
    expect(rangesToPairs(t.nonAsciiSpace)).toEqual(oracle!.c12);
  });

  it('RandALCat (D.1) and LCat (D.2) equal Python’s tables', () => {
    expect(rangesToPairs(t.randAL)).toEqual(oracle!.randAL);
    expect(rangesToPairs(t.l)).toEqual(oracle!.l);
  });

  it('the verdict on 3000 generated strings equals the oracle’s', () => {
    const ours = texts.map((s) => verdict(() => traceProfile(s)));
    const mismatches = ours.flatMap((v, i) => (v === oracle!.verdicts[i] ? [] : [`${JSON.stringify(strings[i])}: ours ${v}, python ${oracle!.verdicts[i]}`]));
    expect(mismatches).toEqual([]);
    // Both kinds of refusal and acceptance occur, so the comparison means something.
    expect(new Set(ours)).toEqual(new Set(['ok', 'prohibited', 'bidi']));
  });
});
