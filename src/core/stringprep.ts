/**
 * Stringprep (RFC 3454) with the two profiles SASL needs, as aiosasl's
 * stringprep module has them, over one set of tables:
 *
 * - SASLprep (RFC 4013), for user names and passwords: {@link saslprepProfile};
 * - trace (RFC 4505 §3), for ANONYMOUS's trace information: {@link traceProfile}.
 *
 * The tables are saslprep-tables.ts, generated from the `saslprep` package's
 * data by scripts/gen-saslprep-tables.mjs: RFC 3454 A.1, B.1, C.1.2, the
 * union SASLprep prohibits (C.1.2, C.2.1, C.2.2, C.3 to C.9; plus U+FFFFE and
 * U+FFFFF of C.4, which the package's data lacks), D.1 and D.2. The trace
 * profile prohibits that union less C.1.2 and C.7, which it allows.
 * Nothing here imports `node:*`, so it runs in browsers.
 *
 * @module
 * @internal
 */
import { BIDI_L, BIDI_RAND_AL, MAPPED_TO_NOTHING, NON_ASCII_SPACE, PROHIBITED, UNASSIGNED } from './saslprep-tables.js';

/**
 * A code-point set as flat sorted inclusive ranges: start0, end0, start1, end1, ...
 * @internal
 */
export type Ranges = Uint32Array;

/**
 * Read one set of saslprep-tables.ts (see its header for the format).
 * @internal
 */
export function decodeRanges(encoded: string): Ranges {
  const numbers = encoded.split(',').map((n) => parseInt(n, 36));
  const ranges = new Uint32Array(numbers.length);
  let next = 0;
  for (let i = 0; i + 1 < numbers.length; i += 2) {
    const start = next + numbers[i]!;
    const end = start + numbers[i + 1]!;
    ranges[i] = start;
    ranges[i + 1] = end;
    next = end + 1;
  }
  return ranges;
}

/**
 * Binary search: is `cp` inside one of the ranges?
 * @internal
 */
export function inRanges(ranges: Ranges, cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cp < ranges[2 * mid]!) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** `set` less the code points of `minus` (both sorted, disjoint ranges). */
function subtractRanges(set: Ranges, minus: readonly (readonly [number, number])[]): Ranges {
  const out: number[] = [];
  for (let i = 0; i < set.length; i += 2) {
    let start = set[i]!;
    const end = set[i + 1]!;
    for (const [a, b] of minus) {
      if (b < start || a > end) continue;
      if (a > start) out.push(start, a - 1);
      start = b + 1;
    }
    if (start <= end) out.push(start, end);
  }
  return Uint32Array.from(out);
}

/** `set` with the code points of `plus` added, merged into sorted, disjoint ranges. */
function addRanges(set: Ranges, plus: readonly (readonly [number, number])[]): Ranges {
  const pairs: [number, number][] = [...plus.map(([a, b]): [number, number] => [a, b])];
  for (let i = 0; i < set.length; i += 2) pairs.push([set[i]!, set[i + 1]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [a, b] of pairs) {
    const last = out.length - 1;
    if (last > 0 && a <= out[last]! + 1) out[last] = Math.max(out[last]!, b);
    else out.push(a, b);
  }
  return Uint32Array.from(out);
}

/** RFC 3454 C.7, "inappropriate for canonical representation": SASLprep prohibits it, trace does not. */
const C7: readonly (readonly [number, number])[] = [[0x2ff0, 0x2ffb]];

/**
 * RFC 3454 C.4 lists the non-characters U+FFFFE and U+FFFFF, which the
 * `saslprep` package's data (and so PROHIBITED) lacks: both profiles add
 * them back (saslprep-backend.ts refuses them before calling the package).
 * @internal
 */
export const C4_MISSING_FROM_PACKAGE: readonly (readonly [number, number])[] = [[0xffffe, 0xfffff]];

/** The decoded tables. @internal */
export interface StringprepTables {
  /** A.1: unassigned in Unicode 3.2. */
  readonly unassigned: Ranges;
  /** B.1: commonly mapped to nothing. */
  readonly mappedToNothing: Ranges;
  /** C.1.2: non-ASCII space characters. */
  readonly nonAsciiSpace: Ranges;
  /** What SASLprep prohibits (RFC 4013 §2.3): C.1.2, C.2.1, C.2.2, C.3 to C.9. */
  readonly saslprepProhibited: Ranges;
  /** What trace prohibits (RFC 4505 §3): C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.8, C.9. */
  readonly traceProhibited: Ranges;
  /** D.1: bidirectional property R or AL (RandALCat). */
  readonly randAL: Ranges;
  /** D.2: bidirectional property L (LCat). */
  readonly l: Ranges;
}

// Decoded on first use, so importing saslkit costs nothing until a string is
// prepared (and a bundler can drop the tables when nothing prepares strings).
let tables: StringprepTables | undefined;

/** The tables, decoded once. @internal */
export function stringprepTables(): StringprepTables {
  if (tables === undefined) {
    const nonAsciiSpace = decodeRanges(NON_ASCII_SPACE);
    const saslprepProhibited = addRanges(decodeRanges(PROHIBITED), C4_MISSING_FROM_PACKAGE);
    const c12: [number, number][] = [];
    for (let i = 0; i < nonAsciiSpace.length; i += 2) c12.push([nonAsciiSpace[i]!, nonAsciiSpace[i + 1]!]);
    const minus = [...c12, ...C7].sort((x, y) => x[0] - y[0]);
    tables = {
      unassigned: decodeRanges(UNASSIGNED),
      mappedToNothing: decodeRanges(MAPPED_TO_NOTHING),
      nonAsciiSpace,
      saslprepProhibited,
      traceProhibited: subtractRanges(saslprepProhibited, minus),
      randAL: decodeRanges(BIDI_RAND_AL),
      l: decodeRanges(BIDI_L),
    };
  }
  return tables;
}

/**
 * Why a string breaks a profile: the rule, never the input.
 * @internal
 */
export class StringprepViolation extends Error {
  /** The step of RFC 3454 broken. */
  readonly rule: 'prohibited' | 'unassigned' | 'bidi';
  constructor(rule: StringprepViolation['rule'], message: string) {
    super(message);
    this.name = 'StringprepViolation';
    this.rule = rule;
  }
}

/**
 * The code points of `text`; a lone surrogate counts as one code point of its
 * own (as in the `saslprep` package), which C.5 then prohibits.
 * @internal
 */
export function codePointsOf(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out.push((c - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

/** `String.fromCodePoint(...cps)` without the engine's argument-count limit. */
function stringOf(codePoints: readonly number[]): string {
  const CHUNK = 4096;
  let out = '';
  for (let i = 0; i < codePoints.length; i += CHUNK) {
    out += String.fromCodePoint(...codePoints.slice(i, i + CHUNK));
  }
  return out;
}

/** RFC 3454 §5: refuse any code point of `prohibited`. */
function checkProhibited(codePoints: readonly number[], prohibited: Ranges): void {
  if (codePoints.some((cp) => inRanges(prohibited, cp))) throw new StringprepViolation('prohibited', 'Prohibited character');
}

/** RFC 3454 §7: refuse code points unassigned in Unicode 3.2 (stored strings). */
function checkUnassigned(codePoints: readonly number[], t: StringprepTables): void {
  if (codePoints.some((cp) => inRanges(t.unassigned, cp))) throw new StringprepViolation('unassigned', 'Unassigned code point');
}

/**
 * RFC 3454 §6, the bidirectional rule (its item 1, C.8, is in both
 * profiles' prohibited sets): with any RandALCat (D.1) character, no LCat
 * (D.2) character, and RandALCat first and last.
 */
function checkBidi(codePoints: readonly number[], t: StringprepTables): void {
  if (!codePoints.some((cp) => inRanges(t.randAL, cp))) return;
  if (codePoints.some((cp) => inRanges(t.l, cp))) {
    throw new StringprepViolation('bidi', 'String must not contain RandALCat and LCat at the same time');
  }
  if (!inRanges(t.randAL, codePoints[0]!) || !inRanges(t.randAL, codePoints[codePoints.length - 1]!)) {
    throw new StringprepViolation('bidi', 'Bidirectional RandALCat character must be the first and the last character of the string');
  }
}

/**
 * The SASLprep profile (RFC 4013 §2) over the tables: map non-ASCII spaces
 * to SPACE and drop B.1, normalise to NFKC, refuse prohibited output,
 * unassigned code points (unless allowed) and bad bidirectional text. It
 * agrees with saslprep-backend.ts (the `saslprep` package, corrected for
 * C.4's U+FFFFE/U+FFFFF) on every input (test/saslprep.test.ts), and is the
 * browser backend of `saslprep()`.
 *
 * @param value - the string to prepare
 * @param allowUnassigned - accept code points unassigned in Unicode 3.2 (queries)
 * @returns the prepared string
 * @throws {@link StringprepViolation} naming the rule broken (never the input)
 * @internal
 */
export function saslprepProfile(value: string, allowUnassigned: boolean): string {
  const t = stringprepTables();

  // §2.1 Mapping: non-ASCII spaces to SPACE, then drop B.1.
  const mapped: number[] = [];
  for (const cp of codePointsOf(value)) {
    if (inRanges(t.nonAsciiSpace, cp)) mapped.push(0x20);
    else if (!inRanges(t.mappedToNothing, cp)) mapped.push(cp);
  }

  // §2.2 Normalization: Unicode form KC.
  const normalized = stringOf(mapped).normalize('NFKC');
  // Everything mapped to nothing: the result is the empty string. (saslprep
  // 1.0.3 crashes here; saslprep-backend.ts returns '' too.)
  if (normalized === '') return '';
  const prepared = codePointsOf(normalized);

  // §2.3 Prohibited output, §2.5 unassigned code points (for stored strings),
  // §2.4 bidirectional characters; in the package's order.
  checkProhibited(prepared, t.saslprepProhibited);
  if (!allowUnassigned) checkUnassigned(prepared, t);
  checkBidi(prepared, t);
  return normalized;
}

/**
 * The trace profile (RFC 4505 §3): no mapping, no normalisation; refuse
 * C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.8 and C.9; apply the bidirectional
 * rule of RFC 3454 §6. Unassigned code points are not prohibited.
 *
 * @param value - the trace information
 * @returns `value`, unchanged
 * @throws {@link StringprepViolation} naming the rule broken (never the input)
 * @internal
 */
export function traceProfile(value: string): string {
  if (value === '') return value;
  const t = stringprepTables();
  const codePoints = codePointsOf(value);
  checkProhibited(codePoints, t.traceProhibited);
  checkBidi(codePoints, t);
  return value;
}
