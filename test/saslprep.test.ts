// SASLprep (RFC 4013): the public saslprep() on RFC 4013 §3's examples and its
// error contract, and the browser backend (range tables + binary search)
// against the `saslprep` package: table by table over every code point, on
// hand-picked edge cases and on generated strings.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SASLError, SASLFailure, saslprep } from '../src/index.js';
import { SASLPREP_MAX_LENGTH } from '../src/core/saslprep.js';
import { decodeRanges, inRanges, saslprepBackend as browserBackend } from '../src/core/saslprep-backend.browser.js';
import { saslprepBackend as packageBackend } from '../src/core/saslprep-backend.js';
import * as TABLES from '../src/core/saslprep-tables.js';

const require = createRequire(import.meta.url);
interface Bitfield {
  get(i: number): boolean;
}
const packageSets = require('saslprep/lib/memory-code-points.js') as Record<string, Bitfield>;
const rawPackage = require('saslprep') as (input: string, opts?: { allowUnassigned?: boolean }) => string;

/** Table export name → the package's set of the same meaning. */
const PAIRS = [
  ['UNASSIGNED', 'unassigned_code_points'],
  ['MAPPED_TO_NOTHING', 'commonly_mapped_to_nothing'],
  ['NON_ASCII_SPACE', 'non_ASCII_space_characters'],
  ['PROHIBITED', 'prohibited_characters'],
  ['BIDI_RAND_AL', 'bidirectional_r_al'],
  ['BIDI_L', 'bidirectional_l'],
] as const;
const decoded = Object.fromEntries(PAIRS.map(([name]) => [name, decodeRanges(TABLES[name])])) as Record<
  (typeof PAIRS)[number][0],
  Uint32Array
>;

type Outcome = { value: string } | { error: string };
/** What a backend does with the input: its result, or its error's rule (URL stripped). */
function outcome(backend: (v: string, a: boolean) => string, value: string, allowUnassigned: boolean): Outcome {
  try {
    return { value: backend(value, allowUnassigned) };
  } catch (err) {
    return { error: (err as Error).message.replace(/,? see https?:\S+/, '') };
  }
}
function expectAgreement(value: string, allowUnassigned: boolean): void {
  const want = outcome(packageBackend, value, allowUnassigned);
  const got = outcome(browserBackend, value, allowUnassigned);
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    // Escaped, so a failure report shows exactly which code points differ.
    const shown = JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect.fail(`${shown} (allowUnassigned=${allowUnassigned}): package ${JSON.stringify(want)}, browser ${JSON.stringify(got)}`);
  }
}

// RFC 4013 §3.
const RFC_EXAMPLES: ReadonlyArray<readonly [string, string | null, string]> = [
  ['I\u00ADX', 'IX', 'SOFT HYPHEN mapped to nothing'],
  ['user', 'user', 'no transformation'],
  ['USER', 'USER', 'case preserved, will not match #2'],
  ['\u00AA', 'a', 'output is NFKC, input in ISO 8859-1'],
  ['\u2168', 'IX', 'output is NFKC, will match #1'],
  ['\u0007', null, 'Error - prohibited character'],
  ['\u0627\u0031', null, 'Error - bidirectional check'],
];

describe('saslprep(): RFC 4013 §3 examples', () => {
  for (const [input, output, comment] of RFC_EXAMPLES) {
    it(`${JSON.stringify(input)}: ${comment}`, () => {
      if (output === null) {
        expect(() => saslprep(input)).toThrow(SASLFailure);
      } else {
        expect(saslprep(input)).toBe(output);
      }
      for (const allow of [false, true]) {
        expect(outcome(browserBackend, input, allow)).toEqual(outcome(packageBackend, input, allow));
      }
    });
  }
});

describe('saslprep(): errors', () => {
  it('a prohibited character gives a SASLFailure (malformed-request) whose message omits the input', () => {
    const secret = 'hunter2\u0007correct-horse';
    let caught: unknown;
    try {
      saslprep(secret);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SASLFailure);
    const failure = caught as SASLFailure;
    expect(failure.opaqueError).toBe('malformed-request');
    expect(failure.message).toMatch(/Prohibited character/);
    for (const part of ['hunter2', 'correct-horse', '\u0007']) expect(failure.message).not.toContain(part);
    expect(failure.message).not.toMatch(/https?:/);
  });

  it('each rule broken gives a SASLFailure naming the rule, not the input', () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ['pass\u0221word', /Unassigned code point/],
      ['\u0627word\u0628', /RandALCat and LCat/],
      ['\u0627\u0031', /first and the last/],
      ['pass\uD800word', /Prohibited character/],
    ];
    for (const [input, rule] of cases) {
      let caught: unknown;
      try {
        saslprep(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SASLFailure);
      expect((caught as Error).message).toMatch(rule);
      expect((caught as Error).message).not.toContain('word');
    }
  });

  it('allowUnassigned accepts code points unassigned in Unicode 3.2 (queries)', () => {
    expect(() => saslprep('\u0221')).toThrow(SASLFailure);
    expect(saslprep('\u0221', { allowUnassigned: true })).toBe('\u0221');
    expect(saslprep('\u{1F600}', { allowUnassigned: true })).toBe('\u{1F600}');
  });

  it('a non-string gives a SASLError, an over-long string a SASLFailure', () => {
    expect(() => saslprep(42 as unknown as string)).toThrow(SASLError);
    expect(() => saslprep(null as unknown as string)).toThrow(SASLError);
    expect(saslprep('a'.repeat(SASLPREP_MAX_LENGTH))).toHaveLength(SASLPREP_MAX_LENGTH);
    expect(() => saslprep('a'.repeat(SASLPREP_MAX_LENGTH + 1))).toThrow(SASLFailure);
  });

  it('a string of only "mapped to nothing" characters prepares to the empty string', () => {
    // saslprep 1.0.3 itself crashes with a TypeError here.
    expect(() => rawPackage('\u00AD')).toThrow(TypeError);
    expect(saslprep('')).toBe('');
    expect(saslprep('\u00AD')).toBe('');
    expect(saslprep('\u200C\uFEFF\u034F')).toBe('');
    expect(browserBackend('\u00AD\u00AD', false)).toBe('');
  });

  it('saslprep-backend.ts differs from the package only where the package crashes (checked over the BMP)', () => {
    for (let cp = 0; cp <= 0xffff; cp++) {
      const c = String.fromCharCode(cp);
      const ours = outcome(packageBackend, c, true);
      let crashed = false;
      try {
        rawPackage(c, { allowUnassigned: true });
      } catch (err) {
        crashed = err instanceof TypeError;
      }
      if (crashed) expect(ours).toEqual({ value: '' });
      else expect(ours).toEqual(outcome((v, a) => rawPackage(v, { allowUnassigned: a }), c, true));
    }
  });

  it('U+200B (in B.1 and C.1.2) maps to SPACE, as in the package', () => {
    expect(saslprep('\u200B')).toBe(' ');
    expect(saslprep('a\u200Bb')).toBe('a b');
  });
});

describe('saslprep tables (generated from the package)', () => {
  it('are up to date with scripts/gen-saslprep-tables.mjs', () => {
    const run = spawnSync(process.execPath, ['scripts/gen-saslprep-tables.mjs', '--check'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('hold exactly the package sets, code point by code point (0 to 10FFFF and beyond)', () => {
    for (const [name, packageName] of PAIRS) {
      const ranges = decoded[name];
      const bits = packageSets[packageName]!;
      let mismatches = 0;
      for (let cp = 0; cp <= 0x10ffff + 16; cp++) {
        if (inRanges(ranges, cp) !== bits.get(cp)) mismatches++;
      }
      expect(mismatches, name).toBe(0);
    }
  });

  it('are sorted, disjoint ranges; RandALCat lies in the BMP outside the surrogates', () => {
    for (const [name] of PAIRS) {
      const r = decoded[name];
      expect(r.length % 2).toBe(0);
      for (let i = 0; i < r.length; i += 2) {
        expect(r[i]!).toBeLessThanOrEqual(r[i + 1]!);
        if (i > 0) expect(r[i]!).toBeGreaterThan(r[i - 1]! + 1);
      }
    }
    // The bidi first/last check reads UTF-16 code units; this is why that is exact.
    const ral = decoded.BIDI_RAND_AL;
    expect(ral[ral.length - 1]!).toBeLessThan(0x10000);
    for (let cp = 0xd800; cp <= 0xdfff; cp++) expect(inRanges(ral, cp)).toBe(false);
  });
});

/** Every range edge of every table, and its neighbours outside. */
const EDGE_CODE_POINTS: readonly number[] = [
  ...new Set(
    PAIRS.flatMap(([name]) => [...decoded[name]].flatMap((cp, i) => (i % 2 === 0 ? [cp - 1, cp] : [cp, cp + 1]))).filter(
      (cp) => cp >= 0 && cp <= 0x10ffff,
    ),
  ),
].sort((a, b) => a - b);

describe('browser backend agrees with the saslprep package', () => {
  it('on every table range edge, alone and in Latin and Arabic context', () => {
    for (const cp of EDGE_CODE_POINTS) {
      const c = String.fromCodePoint(cp);
      for (const value of [c, `a${c}b`, `\u0627${c}\u0628`, `${c}${c}`]) {
        expectAgreement(value, false);
        expectAgreement(value, true);
      }
    }
  });

  it('on hand-picked edge cases', () => {
    const cases = [
      '',
      ' ',
      'user name',
      '\u00A0lead\u3000trail\u2000',
      '\u00AD',
      'a\u00ADb\u200Bc\uFEFF',
      '\uFB01',
      '\u1E9B\u0323',
      '\u2474\u33A1\u00BD',
      '\u1100\u1161\u11A8',
      'e\u0301',
      // bidi
      '\u0627\u0031\u0628',
      '\u0627a\u0628',
      '\u05D0',
      '\u05D0\u05D1 \u05D2',
      '1\u0627',
      '\u0627 ',
      '\u0627\u0300\u0628',
      '\u200F',
      '\u202Eabc',
      '\uFB1D\uFEFC',
      '\u0627\u{1D400}\u0628',
      // unassigned (Unicode 3.2) and prohibited
      '\u0221',
      'x\u0221',
      '\u{1F600}',
      '\u{E0001}',
      '\u{E0080}',
      '\u{F0000}',
      '\u{10FFFD}',
      '\u{10FFFF}',
      '\uFFFE',
      '\uFFFD',
      '\uE000',
      '\u0340',
      '\u2FF0',
      '\u0000',
      '\u007F',
      '\u0080\u009F',
      // surrogates: lone, reversed, paired
      '\uD800',
      '\uDFFF',
      'a\uD800',
      '\uDC00a',
      '\uDE00\uD83D',
      '\uD83D\uDE00',
      '\uD800\uD800\uDC00',
      // long strings
      'a'.repeat(SASLPREP_MAX_LENGTH),
      '\u00AD'.repeat(4000) + 'x',
      '\uFB01'.repeat(4000),
      '\u0627'.repeat(3000) + '1' + '\u0628'.repeat(3000),
      '\u{10400}'.repeat(4000),
      'ab'.repeat(2000) + '\u0007',
    ];
    for (const value of cases) {
      expectAgreement(value, false);
      expectAgreement(value, true);
    }
  });

  it('on generated full-Unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 24 }), fc.boolean(), (value, allow) => {
        expectAgreement(value, allow);
      }),
      { numRuns: 3000 },
    );
  });

  it('on generated strings mixing table members, Latin, Arabic and lone surrogates', () => {
    const codePoint = fc.oneof(
      fc.constantFrom(...EDGE_CODE_POINTS),
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.integer({ min: 0x0600, max: 0x06ff }),
      fc.integer({ min: 0x05d0, max: 0x05ea }),
      fc.integer({ min: 0xfb1d, max: 0xfefc }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
      fc.integer({ min: 0, max: 0x10ffff }),
    );
    const text = fc.array(codePoint, { maxLength: 16 }).map((cps) => cps.map((cp) => String.fromCodePoint(cp)).join(''));
    fc.assert(
      fc.property(text, fc.boolean(), (value, allow) => {
        expectAgreement(value, allow);
      }),
      { numRuns: 5000 },
    );
  });

  it('prepares strings far beyond the argument-count limit of String.fromCodePoint.apply', () => {
    const long = 'a\u00AA\u2168'.repeat(100_000);
    expect(browserBackend(long, false)).toBe('aaIX'.repeat(100_000));
  });
});
