/**
 * One `AUTH` command on the server side of SMTP (RFC 4954 §4): the part an
 * SMTP server library embeds in its own command loop. The library checks its
 * own state first (EHLO seen, not yet authenticated, no mail transaction,
 * RFC 4954 §4 restrictions) and hands the command's arguments to
 * {@link serveSmtpAuth}; saslkit's demo server ({@link SmtpServerSession})
 * does exactly that.
 *
 * @module
 */
import { base64Decode, base64Encode } from '../../core/bytes.js';
import { failure, type ServerConnection, type ServerFailure } from '../../server/mechanism.js';
import type { SASLServer } from '../../server/server.js';
import type { AuthCommandFailure, AuthCommandSuccess } from '../auth-result.js';
import type { LineTransport } from '../transport.js';
import { SMTP_AUTH_STATUS, statusForCondition, type SmtpStatus } from './codes.js';
import { formatReply } from './reply.js';
import { isMechanismName } from '../../core/mechanism-name.js';

/** What {@link serveSmtpAuth} needs besides the transport. */
export interface SmtpAuthRequest {
  /** The arguments after `AUTH `: the mechanism and optionally the initial response (`=` for an empty one). */
  readonly args: string;
  /** The SASL server (mechanisms, credentials, policy). */
  readonly sasl: SASLServer;
  /** The connection as it is now (secure or not, its channel bindings, its identity). */
  readonly connection: ServerConnection;
  /** Longest client response line, in characters (RFC 4954 §4 asks for 12288 octets). Default 16384. */
  readonly maxLineLength?: number;
}

/** How one AUTH command ended: success (235 sent), or the failure whose reply was sent. */
export type SmtpAuthResult = AuthCommandSuccess | AuthCommandFailure;


/**
 * Run one `AUTH mechanism [initial-response]` command (RFC 4954 §4) to its
 * final reply: challenges as `334 <base64>`, the client's `*` as a
 * cancellation (`501 5.7.0`), success as `235 2.7.0`, failures with the
 * RFC 4954 §6 / RFC 5248 codes of their condition (535 5.7.8, 534 5.7.9,
 * 538 5.7.11, 454 4.7.0, 501 5.5.2 ...). SMTP cannot carry additional data
 * with success, so it goes as a last `334` challenge. Reply texts stay
 * generic: a mechanism's own text could tell a prober which users exist.
 *
 * The reply to malformed arguments is `501 5.5.4`; to a response that is not
 * base64 `501 5.5.2`; to a response line over `maxLineLength` `500 5.5.6`.
 * It never throws for anything the client sends.
 *
 * @param transport - the client connection (only `readLine` and `writeLine` are used)
 * @param request - the command's arguments, the SASL server, the connection
 * @returns success with the outcome, or the failure that was answered
 * @throws transport errors (client gone, read timeout), after aborting the exchange
 */
export async function serveSmtpAuth(transport: Pick<LineTransport, 'readLine' | 'writeLine'>, request: SmtpAuthRequest): Promise<SmtpAuthResult> {
  const maxLineLength = request.maxLineLength ?? 16384;
  const reply = async (status: SmtpStatus): Promise<void> => {
    for (const line of formatReply(status.code, status.text, status.enhanced || null)) await transport.writeLine(line);
  };
  const refuse = async (f: ServerFailure, status: SmtpStatus): Promise<SmtpAuthResult> => {
    await reply(status);
    return { kind: 'failure', failure: f };
  };
  const parts = request.args.split(' ');
  const [mechanism, initial] = parts;
  if (!mechanism || parts.length > 2 || !isMechanismName(mechanism, true) || initial === '') {
    return refuse(failure('malformed-request', 'bad AUTH arguments'), { code: 501, enhanced: '5.5.4', text: 'Syntax error in parameters or arguments' });
  }
  let ir: Uint8Array | null = null;
  if (initial !== undefined) {
    if (initial === '=') ir = new Uint8Array(0);
    else {
      try {
        ir = base64Decode(initial, 'initial response');
      } catch {
        return refuse(failure('incorrect-encoding', 'initial response is not base64'), SMTP_AUTH_STATUS.malformed);
      }
    }
  }
  const exchange = request.sasl.start(mechanism, request.connection, { successData: 'challenge' });
  try {
    let result = await exchange.step(ir);
    while (result.kind === 'challenge') {
      await transport.writeLine(`334 ${base64Encode(result.data)}`);
      const line = await transport.readLine();
      if (line === '*') return refuse(exchange.abort(), SMTP_AUTH_STATUS.aborted);
      if (line.length > maxLineLength) return refuse(exchange.abort(), SMTP_AUTH_STATUS.lineTooLong);
      let response: Uint8Array;
      try {
        response = base64Decode(line.trim(), 'response');
      } catch {
        exchange.abort();
        return refuse(failure('incorrect-encoding', 'response is not base64'), SMTP_AUTH_STATUS.malformed);
      }
      result = await exchange.step(response);
    }
    if (result.kind === 'success') {
      await reply(SMTP_AUTH_STATUS.success);
      return { kind: 'success', outcome: result.outcome };
    }
    return refuse(result, statusForCondition(result.condition));
  } catch (err) {
    // The client hung up (or the read timed out) mid-exchange: the exchange
    // ends as aborted, so onExchangeEnd sees it.
    if (!exchange.done) exchange.abort();
    throw err;
  }
}
