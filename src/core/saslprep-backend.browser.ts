/**
 * The SASLprep implementation for browsers: RFC 4013 step by step over the
 * range tables of saslprep-tables.ts, which are generated from the `saslprep`
 * package's own data, so it agrees with saslprep-backend.ts (the package) on
 * every input. Bundlers targeting browsers swap it in through package.json's
 * `browser` field, because the package reads a file at load.
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

interface Tables {
  readonly unassigned: Ranges;
  readonly mappedToNothing: Ranges;
  readonly nonAsciiSpace: Ranges;
  readonly prohibited: Ranges;
  readonly randAL: Ranges;
  readonly l: Ranges;
}

// Decoded on first use, so importing saslkit costs nothing until a string is
// prepared (and a bundler can drop the tables when saslprep is unused).
let tables: Tables | undefined;
function getTables(): Tables {
  tables ??= {
    unassigned: decodeRanges(UNASSIGNED),
    mappedToNothing: decodeRanges(MAPPED_TO_NOTHING),
    nonAsciiSpace: decodeRanges(NON_ASCII_SPACE),
    prohibited: decodeRanges(PROHIBITED),
    randAL: decodeRanges(BIDI_RAND_AL),
    l: decodeRanges(BIDI_L),
  };
  return tables;
}

/**
 * The code points of `text`; a lone surrogate counts as one code point of its
 * own (as in the package), which the prohibition step then refuses.
 */
function codePointsOf(text: string): number[] {
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

/**
 * SASLprep `value` (RFC 4013 §2), as the `saslprep` package does it.
 *
 * @param value - the string to prepare
 * @param allowUnassigned - accept code points unassigned in Unicode 3.2
 * @returns the prepared string
 * @throws Error naming the rule broken (never the input); saslprep.ts turns
 *   it into a SASLFailure
 * @internal
 */
export function saslprepBackend(value: string, allowUnassigned: boolean): string {
  const t = getTables();

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

  // §2.3 Prohibited output.
  if (prepared.some((cp) => inRanges(t.prohibited, cp))) {
    throw new Error('Prohibited character');
  }
  // §2.5 Unassigned code points, refused for "stored strings".
  if (!allowUnassigned && prepared.some((cp) => inRanges(t.unassigned, cp))) {
    throw new Error('Unassigned code point');
  }

  // §2.4 Bidirectional characters (RFC 3454 §6).
  const hasRandAL = prepared.some((cp) => inRanges(t.randAL, cp));
  if (hasRandAL) {
    if (prepared.some((cp) => inRanges(t.l, cp))) {
      throw new Error('String must not contain RandALCat and LCat at the same time');
    }
    // D.1 lies wholly in the BMP, so the first and last UTF-16 code units
    // decide this, as they do in the package.
    const first = normalized.charCodeAt(0);
    const last = normalized.charCodeAt(normalized.length - 1);
    if (!inRanges(t.randAL, first) || !inRanges(t.randAL, last)) {
      throw new Error('Bidirectional RandALCat character must be the first and the last character of the string');
    }
  }

  return normalized;
}
