/**
 * The client side of gsasl's base64-line format: a {@link SASLInterface} that
 * talks to `gsasl --server` over its stdin/stdout.
 *
 * @module
 */
import { SASLError, SASLFailure } from '../../core/errors.js';
import { SASLInterface } from '../../core/interface.js';
import { SASLState, type NextStateTuple } from '../../core/state.js';
import type { LineTransport } from '../transport.js';
import { checkMechanismName, decodeLine, encodeLine, quotePeerText } from './format.js';
import type { PeerStatus } from './status.js';

/** Options of {@link LinesSASLInterface}. */
export interface LinesClientOptions {
  /**
   * Write the mechanism name as the first line. `gsasl --server` run without
   * `--mechanism` reads a list of mechanisms there and picks one; with
   * `--mechanism` it reads nothing, so leave this `false` (the default).
   */
  readonly sendMechanism?: boolean;
}

type Phase = 'initial' | 'open' | 'done';

/**
 * A {@link SASLInterface} for gsasl's command-line format, client side.
 *
 * What `gsasl --server` does on its stdout (the data lines), and how this
 * class maps it:
 *
 * 1. it prints the mechanism it uses (its "Using mechanism:" echo); a
 *    different name than requested fails with `invalid-mechanism`;
 * 2. it always speaks first: its initial challenge, an empty line for
 *    client-first mechanisms. With an initial response, that empty line is
 *    consumed and the initial response is sent as the answer to it;
 * 3. each client line gets one server line back, or gsasl exits with
 *    "gsasl: mechanism error: ..." on stderr and closes stdout;
 * 4. the server's **last** message (success, with or without additional
 *    data) is a line like any challenge, and gsasl then reads one more
 *    client line before it reports "Server authentication finished" on
 *    stderr. The data lines alone cannot tell the end from a challenge.
 *
 * So the outcome comes from the {@link PeerStatus} channel (gsasl's stderr,
 * read by {@link GsaslDiagnostics}), and:
 *
 * - a non-empty server line is reported as `['challenge', data]`. If it was
 *   the final one (SCRAM's `v=`), the mechanism answers it with an empty
 *   response (the state machine's rule for additional data), that empty line
 *   is gsasl's awaited last line, and the status says "finished":
 *   `['success', null]`;
 * - an empty server line after the client has spoken is taken as "success
 *   without additional data": it is acknowledged with an empty line at once
 *   and the status decides (`['success', null]` or a {@link SASLFailure}).
 *   Mechanisms such as PLAIN cannot answer a challenge, so this is the only
 *   workable reading; should gsasl continue instead (an empty challenge in
 *   mid-exchange, which no mechanism saslkit ships sends), the exchange fails
 *   rather than guess.
 *
 * Failures are thrown as {@link SASLFailure} with the condition derived from
 * gsasl's message (`not-authorized` for "Error authenticating user").
 * `abort()` closes the data transport: the format has no abort message, and
 * gsasl ends at end of input.
 */
export class LinesSASLInterface extends SASLInterface {
  readonly #data: LineTransport;
  readonly #status: PeerStatus;
  readonly #sendMechanism: boolean;
  #phase: Phase = 'initial';

  /**
   * Make an interface for one exchange with one gsasl server process.
   *
   * @param data - the data lines: gsasl's stdout to read, its stdin to write
   * @param status - gsasl's status channel, e.g. `new GsaslDiagnostics(stderrLines)`
   * @param options - see {@link LinesClientOptions}
   */
  constructor(data: LineTransport, status: PeerStatus, options: LinesClientOptions = {}) {
    super();
    this.#data = data;
    this.#status = status;
    this.#sendMechanism = options.sendMechanism ?? false;
  }

  /**
   * Whether the data lines are secure: the data transport's `secure` flag
   * (true for a {@link ChildProcessLineTransport}: pipes to a local process).
   */
  override get secure(): boolean {
    return this.#data.secure === true;
  }

  /**
   * Start `mechanism`; see the class comment for how the initial response is sent.
   *
   * @param mechanism - the mechanism name
   * @param payload - the initial response, or `null` for none
   */
  override async initiate(mechanism: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    if (this.#phase !== 'initial') throw new SASLError(null, 'invalid state', 'initiate was already called');
    this.#phase = 'open';
    return this.#guard(async () => {
      const name = checkMechanismName(mechanism);
      if (this.#sendMechanism) await this.#data.writeLine(name);
      const echo = await this.#readData('the mechanism echo');
      if (echo.toUpperCase() !== name) {
        throw new SASLFailure('invalid-mechanism', `the server uses ${quotePeerText(echo)}, not ${name}`);
      }
      const initial = await this.#nextServerMessage();
      if (payload === null) return [SASLState.CHALLENGE, initial];
      if (initial.length !== 0) {
        throw new SASLFailure(null, 'the server sent a non-empty initial challenge, but the mechanism has an initial response');
      }
      await this.#data.writeLine(encodeLine(payload));
      return this.#afterClientMessage();
    });
  }

  /**
   * Answer the last server line.
   *
   * @param payload - the response; empty to acknowledge the server's final data
   */
  override async respond(payload: Uint8Array): Promise<NextStateTuple> {
    if (this.#phase !== 'open') throw new SASLError(null, 'invalid state', 'no exchange in progress');
    return this.#guard(async () => {
      await this.#data.writeLine(encodeLine(payload));
      return this.#afterClientMessage();
    });
  }

  /** Give up: close the data transport (gsasl fails at end of input). */
  override async abort(): Promise<NextStateTuple> {
    this.#phase = 'done';
    this.#data.close();
    return [SASLState.FAILURE, null];
  }

  /** Run a step; any failure ends the exchange. */
  async #guard(step: () => Promise<NextStateTuple>): Promise<NextStateTuple> {
    try {
      const result = await step();
      if (result[0] === SASLState.SUCCESS) this.#phase = 'done';
      return result;
    } catch (err) {
      this.#phase = 'done';
      throw err;
    }
  }

  /** After a client line: the server's next message, its success, or its failure. */
  async #afterClientMessage(): Promise<NextStateTuple> {
    const event = await this.#status.next();
    if (event.kind === 'finished') return [SASLState.SUCCESS, null];
    if (event.kind === 'failed') throw new SASLFailure(event.condition, event.text);
    const message = decodeLine(await this.#readData('a server message'), 'server message');
    if (message.length > 0) return [SASLState.CHALLENGE, message];
    // An empty line after the client spoke: success without data (see the class comment).
    await this.#data.writeLine('');
    const verdict = await this.#status.next();
    if (verdict.kind === 'finished') return [SASLState.SUCCESS, null];
    if (verdict.kind === 'failed') throw new SASLFailure(verdict.condition, verdict.text);
    throw new SASLFailure(
      null,
      'the server sent an empty challenge in mid-exchange, which the gsasl line format cannot tell from success',
    );
  }

  /** The server's next message, announced on the status channel. */
  async #nextServerMessage(): Promise<Uint8Array> {
    const event = await this.#status.next();
    if (event.kind === 'failed') throw new SASLFailure(event.condition, event.text);
    if (event.kind === 'finished') throw new SASLFailure(null, 'the server finished before sending its initial challenge');
    return decodeLine(await this.#readData('the initial challenge'), 'initial challenge');
  }

  /** Read a data line; when the stream ends, ask the status channel why. */
  async #readData(what: string): Promise<string> {
    try {
      return await this.#data.readLine();
    } catch (err) {
      const event = await this.#status.next();
      if (event.kind === 'failed') throw new SASLFailure(event.condition, event.text);
      const why = err instanceof Error ? err.message : String(err);
      throw new SASLFailure('temporary-auth-failure', `no ${what} from the server: ${why}`);
    }
  }
}
