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
 * What the negotiation loop tells a mechanism about channel binding
 * (RFC 5802 §6, RFC 5801 §5), so that a mechanism without channel binding
 * (SCRAM) can pick the honest GS2 flag: `y` ("I could bind, but you did not
 * offer it") when the client supports binding and the server offered no
 * mechanism that binds, `n` otherwise.
 */
export interface ChannelBindingContext {
  /**
   * The client could bind to this channel: a mechanism that binds (e.g.
   * `SCRAMPLUS`) is among the caller's mechanisms and its provider
   * gives channel-binding data.
   */
  readonly clientSupports: boolean;
  /** The server offered a mechanism that binds (a name ending in `-PLUS`). */
  readonly serverOffers: boolean;
}

/** Options of {@link SASLStateMachine}. */
export interface SASLStateMachineOptions {
  /** What the client and the server can do about channel binding; default neither. */
  readonly channelBinding?: Partial<ChannelBindingContext>;
}

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
 * - `abort` always leaves the machine in {@link SASLState.FAILURE}, whatever
 *   the interface does (returns, throws, even reports success), and re-throws
 *   what the interface threw; it is refused while success data is shown to
 *   the mechanism as a final challenge ({@link SASLState.SUCCESS_SIMULATE_CHALLENGE}):
 *   the server has already ended the exchange.
 *
 * Misuse (calls out of order) throws a {@link SASLError} of kind
 * `'invalid state'`, which the negotiation loop does not swallow.
 *
 * A mechanism that expects no additional data with success need not answer
 * a zero-length final challenge (XMPP's `<success>=</success>`): the
 * framework does (`runMechanism`, used by `authenticate`).
 */
export class SASLStateMachine {
  /** The interface this machine talks through. */
  readonly interface: SASLInterface;
  #state: SASLState = SASLState.INITIAL;
  #mechanism: string | null = null;
  #successData: Uint8Array | null = null;
  #openChallenge: Uint8Array | null = null;
  /**
   * What the negotiation loop knows about channel binding for this attempt
   * (RFC 5802 §6, RFC 5801 §5); see {@link ChannelBindingContext}.
   */
  readonly channelBinding: ChannelBindingContext;

  /**
   * Create a machine in state {@link SASLState.INITIAL}.
   *
   * @param intf - the protocol's {@link SASLInterface}
   * @param options - what the negotiation loop tells the mechanism; default:
   *   the client cannot bind a channel
   */
  constructor(intf: SASLInterface, options: SASLStateMachineOptions = {}) {
    this.interface = intf;
    this.channelBinding = {
      clientSupports: options.channelBinding?.clientSupports === true,
      serverOffers: options.channelBinding?.serverOffers === true,
    };
  }

  /**
   * The additional data of the server's success (RFC 4422 §3.6) once the
   * server reported success with some, else `null`. A zero-length array is
   * XMPP's `<success>=</success>`: success with empty additional data.
   */
  get successData(): Uint8Array | null {
    return this.#successData;
  }

  /**
   * The data the mechanism has yet to answer: the open challenge's payload
   * (state {@link SASLState.CHALLENGE}) or the success data shown as a final
   * challenge ({@link SASLState.SUCCESS_SIMULATE_CHALLENGE}); `null` in any
   * other state.
   */
  get openChallenge(): Uint8Array | null {
    return this.#state === SASLState.CHALLENGE || this.#state === SASLState.SUCCESS_SIMULATE_CHALLENGE ? this.#openChallenge : null;
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
   * Abort the exchange. The machine ends in {@link SASLState.FAILURE} whatever
   * the interface does; an error the interface throws is re-thrown after that.
   *
   * @returns `['failure', payload]` with the payload the interface returned
   * @throws {@link SASLError} `'invalid state'` before {@link SASLStateMachine.initiate}
   *   and while the server's success data is shown as a final challenge (the
   *   exchange is already over); whatever the interface's `abort()` threw
   */
  async abort(): Promise<NextStateTuple> {
    if (this.#state === SASLState.INITIAL) {
      throw new SASLError(null, 'invalid state', 'no authentication started');
    }
    if (this.#state === SASLState.SUCCESS_SIMULATE_CHALLENGE) {
      throw new SASLError(null, 'invalid state', 'the server has already reported success: nothing to abort');
    }
    try {
      const [state, payload] = await this.#call(() => this.interface.abort());
      stateFromReply(state);
      return [SASLState.FAILURE, payload];
    } finally {
      this.#state = SASLState.FAILURE;
    }
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
    if (next === SASLState.SUCCESS) this.#successData = payload;
    this.#openChallenge = payload ?? new Uint8Array(0);
    if (next === SASLState.SUCCESS && payload !== null) {
      this.#state = SASLState.SUCCESS_SIMULATE_CHALLENGE;
      return [SASLState.CHALLENGE, payload];
    }
    this.#state = next;
    return [next, payload];
  }
}
