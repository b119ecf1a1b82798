/**
 * A {@link SASLInterface} wired straight to a {@link SASLServer}, in process:
 * for tests of mechanisms and policies, and as the smallest example of a
 * server adapter.
 *
 * @module
 */
import { SASLFailure } from '../core/errors.js';
import { SASLInterface } from '../core/interface.js';
import type { NextStateTuple } from '../core/state.js';
import type { AuthOutcome, ExchangeOptions, ServerExchange, ServerResult } from './exchange.js';
import type { ServerConnection } from './mechanism.js';
import type { SASLServer } from './server.js';

/** Options of {@link LoopbackInterface}. */
export interface LoopbackOptions extends ExchangeOptions {
  /**
   * Whether the "protocol" carries initial responses (default true). When
   * false, the client's initial response is held back: the server is started
   * with none, must answer with an empty challenge, and then gets it as the
   * first response, as over a protocol without SASL-IR.
   */
  readonly initialResponse?: boolean;
}

/**
 * Runs a client {@link SASLStateMachine} against a {@link SASLServer} with no
 * transport in between. Server failures reach the client as
 * {@link SASLFailure}s carrying the condition, as a real adapter would.
 *
 * ```ts
 * const intf = new LoopbackInterface(server, { secure: true });
 * await authenticate(intf, server.advertise({ secure: true }), [new SCRAM(() => ['user', 'pencil'])]);
 * intf.outcome; // { mechanism: 'SCRAM-SHA-256', authcid: 'user', ... }
 * ```
 */
export class LoopbackInterface extends SASLInterface {
  readonly #server: SASLServer;
  readonly #connection: ServerConnection;
  readonly #options: LoopbackOptions;
  #exchange: ServerExchange | null = null;
  /** Every result the server gave, in order (for assertions). */
  readonly results: ServerResult[] = [];

  /**
   * Connect a client state machine to `server` as if over `connection`.
   *
   * @param server - the server
   * @param connection - what the server is told about the "connection"
   * @param options - see {@link LoopbackOptions}
   */
  constructor(server: SASLServer, connection: ServerConnection, options: LoopbackOptions = {}) {
    super();
    this.#server = server;
    this.#connection = connection;
    this.#options = options;
  }

  /** Whether the simulated connection is secure: the connection's `secure` flag. */
  override get secure(): boolean {
    return this.#connection.secure === true;
  }

  /** The outcome once the server reported success, else `null`. */
  get outcome(): AuthOutcome | null {
    const last = this.results[this.results.length - 1];
    return last?.kind === 'success' ? last.outcome : null;
  }

  /** The exchange of the current (or last) attempt, or `null` before any. */
  get exchange(): ServerExchange | null {
    return this.#exchange;
  }

  /**
   * Start an exchange on the server.
   *
   * @param mechanism - the mechanism name
   * @param payload - the initial response, or `null`/absent for none
   */
  override async initiate(mechanism: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    const exchange = this.#server.start(mechanism, this.#connection, this.#options);
    this.#exchange = exchange;
    if (payload !== null && this.#options.initialResponse === false) {
      const first = await this.#step(null);
      if (first.kind !== 'challenge' || first.data.length !== 0) return this.#reply(first);
    }
    return this.#reply(await this.#step(payload));
  }

  /**
   * Send a response to the server.
   *
   * @param payload - the response
   */
  override async respond(payload: Uint8Array): Promise<NextStateTuple> {
    return this.#reply(await this.#step(payload));
  }

  /** Abort the exchange on the server. */
  override async abort(): Promise<NextStateTuple> {
    const result = this.#exchange?.abort();
    if (result) this.results.push(result);
    return ['failure', null];
  }

  async #step(payload: Uint8Array | null): Promise<ServerResult> {
    if (!this.#exchange) throw new SASLFailure(null, 'loopback: no exchange in progress');
    const result = await this.#exchange.step(payload);
    this.results.push(result);
    return result;
  }

  #reply(result: ServerResult): NextStateTuple {
    switch (result.kind) {
      case 'challenge':
        return ['challenge', result.data];
      case 'success':
        return ['success', result.data];
      case 'failure':
        throw new SASLFailure(result.condition, result.text);
    }
  }
}
