/**
 * Titled checks: one rule, one wording, one place (as `@noble/hashes`'s
 * asserts). A check names what it checks (`"i" (iteration count)`,
 * `readTimeoutMs`), so the error says which input broke which rule, and the
 * caller chooses the error class its API documents.
 *
 * @module
 */
import { SASLError } from './errors.js';

/** Make the error a failed check throws, from the check's sentence. */
export type CheckFailure = (text: string) => Error;

/** The default {@link CheckFailure}: a {@link SASLError} of kind `'invalid argument'`. */
export const invalidArgument: CheckFailure = (text) => new SASLError(null, 'invalid argument', text);

/**
 * Is `value` a safe integer from `min` to `max` (both included)?
 *
 * @param value - anything
 * @param min - the smallest allowed value; default 1
 * @param max - the largest allowed value; default `Number.MAX_SAFE_INTEGER`
 */
export function isIntegerIn(value: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

/**
 * The rule {@link checkInteger} states, e.g. `port must be an integer from
 * 1 to 65535`, `maxAttempts must be a positive integer`,
 * `maxCommandLength must be an integer >= 64`.
 *
 * @param title - what is checked
 * @param min - the smallest allowed value; default 1
 * @param max - the largest allowed value (`Number.MAX_SAFE_INTEGER`: none)
 */
export function integerRule(title: string, min = 1, max = Number.MAX_SAFE_INTEGER): string {
  if (max < Number.MAX_SAFE_INTEGER) return `${title} must be an integer from ${min} to ${max}`;
  return min === 1 ? `${title} must be a positive integer` : `${title} must be an integer >= ${min}`;
}

/**
 * Check that `value` is a safe integer from `min` to `max`.
 *
 * @param value - the input
 * @param title - what it is, for the error (`'readTimeoutMs'`, `'port'`)
 * @param min - the smallest allowed value; default 1
 * @param max - the largest allowed value; default none
 * @param fail - makes the error; default {@link invalidArgument}
 * @returns `value`
 * @throws what `fail` makes, with the text of {@link integerRule}
 */
export function checkInteger(value: unknown, title: string, min = 1, max = Number.MAX_SAFE_INTEGER, fail: CheckFailure = invalidArgument): number {
  if (!isIntegerIn(value, min, max)) throw fail(integerRule(title, min, max));
  return value;
}
