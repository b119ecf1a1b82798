/**
 * The states of a SASL exchange, as aiosasl's `SASLState`.
 *
 * @module
 */
import { SASLError } from './errors.js';

/** The states of a SASL exchange, as string constants. */
export const SASLState = {
  /** Nothing has been sent yet. */
  INITIAL: 'initial',
  /** The peer has sent a challenge that the mechanism must answer. */
  CHALLENGE: 'challenge',
  /** The exchange succeeded. */
  SUCCESS: 'success',
  /** The exchange failed or was aborted. */
  FAILURE: 'failure',
  /**
   * The peer reported success with additional data; the state machine showed
   * that data to the mechanism as a challenge and waits for its empty answer.
   */
  SUCCESS_SIMULATE_CHALLENGE: 'success-simulate-challenge',
} as const;

/** One of the {@link SASLState} string constants. */
export type SASLState = (typeof SASLState)[keyof typeof SASLState];

/**
 * What a {@link SASLInterface} call resolves to: the next state and its
 * payload (`null` = no payload, which differs from an empty one).
 */
export type NextStateTuple = readonly [SASLState, Uint8Array | null];

/** The states an interface may report: aiosasl's `from_reply` accepts these. */
export type ReplyState = 'challenge' | 'success' | 'failure';

/**
 * Parse a state reported by a {@link SASLInterface}. Only `'challenge'`,
 * `'success'` and `'failure'` are valid replies (as aiosasl's
 * `SASLState.from_reply`).
 *
 * @param value - the state the interface returned
 * @returns the corresponding {@link SASLState}
 * @throws {@link SASLError} for anything else
 */
export function stateFromReply(value: unknown): SASLState {
  if (value === 'challenge' || value === 'success' || value === 'failure') return value;
  throw new SASLError(null, 'protocol error', `invalid state reported by the SASL interface: ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value;
}
