/**
 * The SASL state machine, with exactly aiosasl's rules.
 *
 * @module
 */
import { SASLError, SASLFailure } from './errors.js';
import type { SASLInterface } from './interface.js';
import { SASLState, stateFromReply, type NextStateTuple } from './state.js';
import { toBytesOrNull, toBytes } from './bytes.js';

/**
 * Drives one SASL exchange over a {@link SASLInterface} and enforces the order
 * of calls. A mechanism gets one of these per attempt.
 *
 * Rules (as aiosasl):
 * - `initiate` may be called once, first;
 * - `response` only while the peer has an open challenge;
 * - `abort` only after `initiate`;
 * - a {@link SASLFailure} from the interface moves the machine to
 *   {@link SASLState.FAILURE} and is re-thrown;
 * - success with additional data is shown to the mechanism as a challenge
 *   carrying that data; the mechanism must answer it with an empty response,
 *   and then sees success. A non-empty answer there is a protocol violation
 *   and fails the exchange.
 *
 * Misuse (calls out of order) throws a {@link SASLError} of kind
 * `'invalid state'`, which the negotiation loop does not swallow.
 */
export class SASLStateMachine {
  /** The interface this machine talks through. */
  readonly interface: SASLInterface;
  #state: SASLState = SASLState.INITIAL;
  #mechanism: string | null = null;

  /**
   * Create a machine in state {@link SASLState.INITIAL}.
   *
   * @param intf - the protocol's {@link SASLInterface}
   */
  constructor(intf: SASLInterface) {
    this.interface = intf;
  }

  /** The current state. */
  get state(): SASLState {
    return this.#state;
  }

  /** The mechanism passed to {@link SASLStateMachine.initiate}, or `null` before. */
  get mechanism(): string | null {
    return this.#mechanism;
  }

  /**
   * Start the exchange.
   *
   * @param mechanism - the mechanism name to request
   * @param payload - the optional initial response (`null` = none)
   * @returns the next state and its payload
   */
  async initiate(mechanism: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    if (this.#state !== SASLState.INITIAL) {
      throw new SASLError(null, 'invalid state', 'initiate has already been called');
    }
    if (typeof mechanism !== 'string' || mechanism.length === 0) {
      throw new SASLError(null, 'invalid state', 'initiate needs a mechanism name');
    }
    this.#mechanism = mechanism;
    const reply = await this.#call(() => this.interface.initiate(mechanism, toBytesOrNull(payload)));
    return this.#advance(reply);
  }

  /**
   * Answer the open challenge.
   *
   * @param payload - the response (may be empty)
   * @returns the next state and its payload
   */
  async response(payload: Uint8Array): Promise<NextStateTuple> {
    const bytes = toBytes(payload);
    if (this.#state === SASLState.SUCCESS_SIMULATE_CHALLENGE) {
      if (bytes.length !== 0) {
        this.#state = SASLState.FAILURE;
        throw new SASLFailure(
          null,
          'protocol violation: the mechanism answered the server\'s final data with a non-empty ' +
            'response, which suggests an early success from the server',
        );
      }
      this.#state = SASLState.SUCCESS;
      return [SASLState.SUCCESS, null];
    }
    if (this.#state !== SASLState.CHALLENGE) {
      throw new SASLError(null, 'invalid state', 'no challenge has been made or negotiation failed');
    }
    const reply = await this.#call(() => this.interface.respond(bytes));
    return this.#advance(reply);
  }

  /**
   * Abort the exchange.
   *
   * @returns the state reported by the interface, normally `['failure', null]`
   */
  async abort(): Promise<NextStateTuple> {
    if (this.#state === SASLState.INITIAL) {
      throw new SASLError(null, 'invalid state', 'no authentication started');
    }
    const [state, payload] = await this.#call(() => this.interface.abort());
    this.#state = stateFromReply(state);
    return [this.#state, payload];
  }

  async #call(step: () => Promise<NextStateTuple>): Promise<NextStateTuple> {
    try {
      const reply = await step();
      if (!Array.isArray(reply) || reply.length !== 2) {
        throw new SASLError(null, 'protocol error', 'the SASL interface returned something other than a [state, payload] tuple');
      }
      return [reply[0], toBytesOrNull(reply[1] as Uint8Array | null)];
    } catch (err) {
      if (err instanceof SASLFailure) this.#state = SASLState.FAILURE;
      throw err;
    }
  }

  #advance([reported, payload]: NextStateTuple): NextStateTuple {
    let next: SASLState;
    try {
      next = stateFromReply(reported);
    } catch (err) {
      this.#state = SASLState.FAILURE;
      throw err;
    }
    if (next === SASLState.SUCCESS && payload !== null) {
      this.#state = SASLState.SUCCESS_SIMULATE_CHALLENGE;
      return [SASLState.CHALLENGE, payload];
    }
    this.#state = next;
    return [next, payload];
  }
}
