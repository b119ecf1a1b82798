/**
 * The SASLprep implementation used at run time: the `saslprep` package.
 * (Bundlers targeting browsers swap this module for
 * `saslprep-backend.browser.js` through package.json's `browser` field.)
 *
 * @module
 * @internal
 */
import saslprepPackage from 'saslprep';

/** @internal */
export function saslprepBackend(value: string, allowUnassigned: boolean): string {
  // saslprep 1.0.3 crashes (TypeError) when every character is "mapped to
  // nothing"; RFC 4013 then gives the empty string.
  if (ONLY_MAPPED_TO_NOTHING.test(value)) return '';
  // RFC 3454 C.4 prohibits U+FFFFE and U+FFFFF, which the package's data
  // lacks. No mapping or NFKC step makes or removes them, and the package
  // checks prohibited output first, so refusing them here is exactly what a
  // corrected package would do.
  if (C4_MISSING.test(value)) throw new Error('Prohibited character');
  return saslprepPackage(value, { allowUnassigned });
}

/** U+FFFFE and U+FFFFF (RFC 3454 C.4), missing from the package's prohibited set. */
const C4_MISSING = /[\u{ffffe}\u{fffff}]/u;

/**
 * RFC 3454 B.1 (frozen) less U+200B, which the package maps to SPACE first as
 * it is in C.1.2 too. test/saslprep.test.ts checks it over the whole BMP.
 */
const ONLY_MAPPED_TO_NOTHING = /^[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]+$/;
