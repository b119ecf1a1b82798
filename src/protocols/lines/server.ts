/**
 * The server side of gsasl's base64-line format: drive a saslkit
 * {@link ServerExchange} for a client such as `gsasl --client`.
 *
 * @module
 */
import { SASLError, SASLFailure } from '../../core/errors.js';
import { isSASLCondition } from '../../core/conditions.js';
import type { ServerExchange, ServerResult, ServerSuccess } from '../../server/exchange.js';
import { failure, type ServerFailure } from '../../server/mechanism.js';
import type { LineTransport } from '../transport.js';
import { checkMechanismName, decodeLine, encodeLine, quotePeerText } from './format.js';

/** The part of a {@link ServerExchange} the driver uses. */
export type LinesServerExchange = Pick<ServerExchange, 'step' | 'abort' | 'done'>;

/** Options of {@link serveLines}. */
export interface LinesServerOptions {
  /**
   * Mechanism names to write as the first line, for a client that picks
   * from a list: `gsasl --client` run without `--mechanism` reads such a
   * line. Default: none; the client names its mechanism unasked.
   */
  readonly offer?: readonly string[];
  /**
   * The client speaks first, as `gsasl --client` does by default: its first
   * line after the mechanism is its initial response. Set `false` for
   * `gsasl --client --no-client-first`, which first waits for the server's
   * initial challenge. Default `true`.
   */
  readonly clientFirst?: boolean;
}

/** How {@link serveLines} ended: the exchange's success or a failure with its condition. */
export type LinesServerResult = ServerSuccess | ServerFailure;

/**
 * Authenticate one client over `transport` in gsasl's command-line format.
 *
 * What `gsasl --client` does on its stdin/stdout, and how the driver answers:
 *
 * 1. it prints the mechanism it uses (after reading {@link LinesServerOptions.offer}
 *    if it was not given `--mechanism`); `start(mechanism)` makes the exchange;
 * 2. it prints its first message at once (an empty line when its mechanism
 *    has nothing to say first): the initial response, or none when empty;
 * 3. each challenge is written as one line, and the client answers with one
 *    line;
 * 4. when its mechanism is done, the client reads **one more line**, whatever
 *    it says, and considers itself authenticated. So the driver writes that
 *    line only on success: an empty line, after first sending any additional
 *    data (SCRAM's `v=`) as a challenge and reading the client's empty
 *    answer, as RFC 4422 §5 prescribes for a profile that cannot carry data
 *    with success. A client that rejects that data (a wrong server
 *    signature) exits instead of answering, and the driver reports
 *    `aborted`;
 * 5. on failure the driver writes the mechanism's failure data if it has any
 *    (SCRAM's `e=`, which gsasl reports as a mechanism error), then closes the
 *    transport: the end of input is the only failure signal the format has.
 *
 * Never throws for anything the client sends or for a client that goes
 * away: such problems end in a failure (`aborted` when the client left or
 * stopped answering, `incorrect-encoding` for bad base64, `invalid-mechanism`
 * for a bad mechanism name). The transport is closed on failure and left
 * open on success, for the caller to use or close.
 *
 * @param transport - the client's lines (for gsasl: its stdout in, its stdin out)
 * @param start - makes the exchange for the mechanism the client asks for,
 *   e.g. `(m) => server.start(m, { secure: true })`
 * @param options - see {@link LinesServerOptions}
 * @returns the exchange's success (with the outcome) or a failure
 * @throws `SASLError` only for invalid `options`
 */
export async function serveLines(
  transport: LineTransport,
  start: (mechanism: string) => LinesServerExchange,
  options: LinesServerOptions = {},
): Promise<LinesServerResult> {
  const offer = options.offer?.map(checkOffered) ?? null;
  const clientFirst = options.clientFirst ?? true;
  let exchange: LinesServerExchange | null = null;
  const fail = (result: ServerFailure): ServerFailure => {
    if (exchange && !exchange.done) exchange.abort();
    transport.close();
    return result;
  };
  try {
    if (offer) await transport.writeLine(offer.join(' '));
    const requested = await transport.readLine();
    let mechanism: string;
    try {
      mechanism = checkMechanismName(requested);
    } catch {
      return fail(failure('invalid-mechanism', `not a mechanism name: ${quotePeerText(requested)}`));
    }
    exchange = start(mechanism);
    let result: ServerResult;
    if (clientFirst) {
      const first = await transport.readLine();
      result = await exchange.step(first === '' ? null : decodeLine(first, 'initial response'));
    } else {
      result = await exchange.step(null);
    }
    while (result.kind === 'challenge') {
      await transport.writeLine(encodeLine(result.data));
      result = await exchange.step(decodeLine(await transport.readLine(), 'client response'));
    }
    if (result.kind === 'failure') {
      if (result.data !== null) await transport.writeLine(encodeLine(result.data)).catch(() => undefined);
      return fail(result);
    }
    if (result.data !== null) {
      // Additional data with success travels as a final challenge (RFC 4422 §5).
      await transport.writeLine(encodeLine(result.data));
      const ack = await transport.readLine();
      if (ack !== '') return fail(failure('malformed-request', 'the client answered the server\'s final data with a non-empty response'));
    }
    await transport.writeLine('');
    return result;
  } catch (err) {
    return fail(failureOf(err));
  }
}

function checkOffered(name: string): string {
  try {
    return checkMechanismName(name);
  } catch {
    throw new SASLError(null, 'invalid argument', `offer holds something that is not a mechanism name: ${quotePeerText(String(name))}`);
  }
}

/** A client that sent bad base64, went away or timed out. */
function failureOf(err: unknown): ServerFailure {
  if (err instanceof SASLFailure && err.opaqueError !== null && isSASLCondition(err.opaqueError)) {
    return failure(err.opaqueError, err.text);
  }
  if (err instanceof SASLError) return failure('aborted', `the client stopped answering: ${err.text ?? err.message}`);
  // Misuse errors of the exchange or a bug in `start`: not the client's doing, but still an end.
  return failure('temporary-auth-failure', err instanceof Error ? err.message : String(err));
}
