/**
 * The client side of SMTP AUTH (RFC 4954): a small SMTP command/reply client
 * (greeting, EHLO, STARTTLS, QUIT) and {@link SmtpSASLInterface}, the
 * {@link SASLInterface} that runs any saslkit mechanism over `AUTH`.
 *
 * The exchange on the wire (client first, initial response in the command):
 *
 * ```text
 * C: AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9...
 * S: 334 cj0uLi4scz0uLi4saT00MDk2
 * C: Yz1iaXdzLHI9Li4uLHA9Li4u
 * S: 334 dj0uLi4=          (server-final, as additional data in a challenge)
 * C:                       (empty response)
 * S: 235 2.7.0 Authentication successful
 * ```
 *
 * Runs in every runtime: the connection is any {@link LineTransport}.
 *
 * @module
 */
import { base64Encode, toBytes, toBytesOrNull } from '../../core/bytes.js';
import { decodeChallengeText } from '../challenge-text.js';
import { SASLError, SASLFailure } from '../../core/errors.js';
import { peerText } from '../../core/peer-text.js';
import { SASLInterface } from '../../core/interface.js';
import type { NextStateTuple } from '../../core/state.js';
import type { LineTransport } from '../transport.js';
import { conditionForReply } from './codes.js';
import { parseEhlo, type EhloResponse } from './ehlo.js';
import { readReply, replyText, SmtpProtocolError, type SmtpReply, type SmtpReplyLimits } from './reply.js';
import { isMechanismName } from '../../core/mechanism-name.js';
import { checkInteger } from '../../core/checks.js';

/** Options of {@link SmtpClient}. */
export interface SmtpClientOptions extends SmtpReplyLimits {
  /**
   * Longest command line, in octets including CR LF (RFC 5321 §4.5.3.1.4:
   * 512). An `AUTH` whose initial response would exceed it is sent without
   * one, and the response follows the server's empty 334 (RFC 4954 §4).
   */
  readonly maxCommandLength?: number;
}

/** Default of {@link SmtpClientOptions.maxCommandLength}. */
export const DEFAULT_MAX_COMMAND_LENGTH = 512;

/** The server answered a command with an unexpected reply. */
export class SmtpReplyError extends SASLError {
  /** The reply received. */
  readonly reply: SmtpReply;

  /**
   * Create the error.
   *
   * @param command - the command's verb, e.g. `'EHLO'`
   * @param reply - the reply received
   */
  constructor(command: string, reply: SmtpReply) {
    super(null, 'SMTP command refused', `${command} answered ${reply.code} ${peerText(replyText(reply), 200)}`);
    this.reply = reply;
  }
}

const DOMAIN = /^[\x21-\x7e]{1,255}$/;

/**
 * A minimal SMTP client over a {@link LineTransport}: enough to greet, learn
 * the extensions, upgrade to TLS and authenticate. Mail transactions are the
 * embedding implementation's business: use {@link SmtpClient.command}.
 */
export class SmtpClient {
  /** The connection. */
  readonly transport: LineTransport;
  /** The extensions of the last EHLO reply; `null` before EHLO and after STARTTLS. */
  extensions: EhloResponse | null = null;
  /** The greeting reply, once read. */
  greeting: SmtpReply | null = null;
  readonly #limits: SmtpReplyLimits;
  readonly #maxCommandLength: number;
  #ehloDomain: string | null = null;

  /**
   * Wrap a connection.
   *
   * @param transport - a connected transport, before the server's greeting
   * @param options - see {@link SmtpClientOptions}
   */
  constructor(transport: LineTransport, options: SmtpClientOptions = {}) {
    this.transport = transport;
    this.#limits = { maxLines: options.maxLines, maxLineLength: options.maxLineLength };
    const max = options.maxCommandLength ?? DEFAULT_MAX_COMMAND_LENGTH;
    this.#maxCommandLength = checkInteger(max, 'maxCommandLength', 64);
  }

  /** Longest command line in octets, CR LF included. */
  get maxCommandLength(): number {
    return this.#maxCommandLength;
  }

  /** Read one reply. */
  readReply(): Promise<SmtpReply> {
    return readReply(this.transport, this.#limits);
  }

  /**
   * Send a command line and read its reply.
   *
   * @param line - the command, without CR LF
   */
  async command(line: string): Promise<SmtpReply> {
    await this.transport.writeLine(line);
    return this.readReply();
  }

  /**
   * Read the server's greeting, which must be 220.
   *
   * @throws {@link SmtpReplyError} for any other code (e.g. 554: no service)
   */
  async readGreeting(): Promise<SmtpReply> {
    const reply = await this.readReply();
    if (reply.code !== 220) throw new SmtpReplyError('greeting', reply);
    this.greeting = reply;
    return reply;
  }

  /**
   * Send EHLO and record the extensions.
   *
   * @param domain - the client's name (a domain or an address literal)
   * @throws {@link SmtpReplyError} when the server refuses EHLO
   */
  async ehlo(domain: string): Promise<EhloResponse> {
    if (typeof domain !== 'string' || !DOMAIN.test(domain)) {
      throw new SASLError(null, 'invalid argument', 'EHLO domain must be 1-255 printable ASCII characters without spaces');
    }
    const reply = await this.command(`EHLO ${domain}`);
    if (reply.code !== 250) throw new SmtpReplyError('EHLO', reply);
    this.#ehloDomain = domain;
    this.extensions = parseEhlo(reply);
    return this.extensions;
  }

  /**
   * Negotiate STARTTLS (RFC 3207): send the command, expect 220, let
   * `upgrade` turn the transport into a TLS one, then forget what was learnt
   * in plaintext and send EHLO again.
   *
   * @param upgrade - performs the TLS handshake on the transport (in Node,
   *   `SocketLineTransport.startTLS`)
   * @returns the extensions offered over TLS
   * @throws {@link SmtpReplyError} when the server refuses STARTTLS
   */
  async startTLS(upgrade: () => Promise<unknown>): Promise<EhloResponse> {
    const domain = this.#ehloDomain;
    if (domain === null) throw new SASLError(null, 'invalid state', 'send EHLO before STARTTLS');
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) throw new SmtpReplyError('STARTTLS', reply);
    this.extensions = null;
    await upgrade();
    return this.ehlo(domain);
  }

  /** Send QUIT and read the reply (221 expected, anything accepted). */
  async quit(): Promise<SmtpReply> {
    return this.command('QUIT');
  }

  /** A {@link SmtpSASLInterface} over this client's connection. */
  saslInterface(): SmtpSASLInterface {
    return new SmtpSASLInterface(this);
  }
}

/**
 * What {@link SmtpSASLInterface} needs from an SMTP client connection that is
 * not saslkit's own {@link SmtpClient}: one method any SMTP library can
 * provide over its own reader and writer.
 *
 * ```ts
 * const port: SmtpSASLPort = {
 *   command: async (line) => { await connection.writeLine(line); return readReply(connection); },
 *   secure: connection.encrypted,
 * };
 * await authenticate(new SmtpSASLInterface(port), ehlo.authMechanisms, mechanisms);
 * ```
 */
export interface SmtpSASLPort {
  /**
   * Send one line (without CRLF: `AUTH ...`, a base64 response, or `*`) and
   * read the server's complete reply to it (all lines of a multi-line reply;
   * {@link readReply} parses one from a `LineTransport`).
   */
  command(line: string): Promise<SmtpReply>;
  /** Whether the connection is secure (TLS). Default false: mechanisms that send a password in clear then refuse to run. */
  readonly secure?: boolean;
  /** The longest command line the server accepts, CRLF included (RFC 4954 §4). Default 512 (RFC 5321 §4.5.3.1.4). */
  readonly maxCommandLength?: number;
}

/**
 * The {@link SASLInterface} of SMTP AUTH (RFC 4954). Use it with
 * `authenticate()` and the mechanisms from `EhloResponse.authMechanisms`:
 *
 * ```ts
 * const intf = new SmtpSASLInterface(client);
 * await authenticate(intf, client.extensions!.authMechanisms, [new SCRAM(creds), new PLAIN(creds)]);
 * ```
 *
 * Reply mapping: 334 → challenge; 235 → success; 535 → `not-authorized`,
 * 534 → `mechanism-too-weak`, 538 → `encryption-required`, 454 →
 * `temporary-auth-failure`, 504 → `invalid-mechanism`, 500/501 →
 * `malformed-request` (thrown as {@link SASLFailure}). Enhanced status codes
 * are accepted and removed from the failure text.
 */
export class SmtpSASLInterface extends SASLInterface {
  readonly #client: { command(line: string): Promise<SmtpReply>; readonly secure: boolean; readonly maxCommandLength: number };
  /** True between `AUTH` and its final reply. */
  #inExchange = false;

  /**
   * Create the interface.
   *
   * @param client - the connection to use: saslkit's {@link SmtpClient}
   *   (after EHLO, and STARTTLS), or any SMTP library's as an {@link SmtpSASLPort}
   */
  constructor(client: SmtpClient | SmtpSASLPort) {
    super();
    if (client instanceof SmtpClient) {
      this.#client = {
        command: (line) => client.command(line),
        get secure() {
          return client.transport.secure === true;
        },
        maxCommandLength: client.maxCommandLength,
      };
    } else {
      this.#client = {
        command: (line) => client.command(line),
        get secure() {
          return client.secure === true;
        },
        maxCommandLength: client.maxCommandLength ?? DEFAULT_MAX_COMMAND_LENGTH,
      };
    }
  }

  /** Whether the connection is secure: the transport's `secure` flag (true after STARTTLS over Node sockets), or the port's. */
  override get secure(): boolean {
    return this.#client.secure;
  }

  /**
   * Send `AUTH <mechanism> [initial-response]`.
   *
   * @param mechanism - the mechanism name
   * @param payload - the initial response (`null` for none; empty → `=`)
   */
  override async initiate(mechanism: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    if (!isMechanismName(mechanism, true)) {
      throw new SASLError(null, 'invalid argument', 'not a valid SASL mechanism name');
    }
    const ir = toBytesOrNull(payload, 'initial response');
    if (this.#inExchange) throw new SASLError(null, 'invalid state', 'an AUTH exchange is already in progress');
    const name = mechanism.toUpperCase();
    const encoded = ir === null ? null : ir.length === 0 ? '=' : base64Encode(ir);
    this.#inExchange = true;
    try {
      if (encoded !== null && `AUTH ${name} ${encoded}`.length + 2 > this.#client.maxCommandLength) {
        // RFC 4954 §4: too long for one command line; send the initial
        // response after the server's empty challenge instead.
        const reply = await this.#client.command(`AUTH ${name}`);
        if (reply.code !== 334) return this.#finish(reply);
        // This 334 only says "go ahead": text that is not base64 (`334 Go
        // ahead`) stands for the empty challenge; real data is refused.
        if (reply.lines.length !== 1 || !isGoAhead(reply.lines[0]!)) {
          await this.#abortQuietly();
          throw new SASLFailure(null, 'server sent a non-empty challenge where an empty one was due');
        }
        return await this.#handle(await this.#client.command(encoded));
      }
      return await this.#handle(await this.#client.command(encoded === null ? `AUTH ${name}` : `AUTH ${name} ${encoded}`));
    } catch (err) {
      this.#inExchange = false;
      throw err;
    }
  }

  /**
   * Answer the last 334 challenge.
   *
   * @param payload - the response; empty is sent as an empty line
   */
  override async respond(payload: Uint8Array): Promise<NextStateTuple> {
    const data = toBytes(payload, 'response');
    if (!this.#inExchange) throw new SASLError(null, 'invalid state', 'no AUTH exchange in progress');
    try {
      return await this.#handle(await this.#client.command(base64Encode(data)));
    } catch (err) {
      this.#inExchange = false;
      throw err;
    }
  }

  /** Cancel the exchange with `*`; the server acknowledges with 501. */
  override async abort(): Promise<NextStateTuple> {
    if (!this.#inExchange) return ['failure', null];
    this.#inExchange = false;
    const reply = await this.#client.command('*');
    if (reply.code === 334 || reply.code === 235) {
      throw new SmtpProtocolError(`server answered the abort with ${reply.code}`);
    }
    return ['failure', null];
  }

  async #handle(reply: SmtpReply): Promise<NextStateTuple> {
    if (reply.code !== 334) return this.#finish(reply);
    if (reply.lines.length !== 1) throw new SmtpProtocolError('a 334 challenge must be one line');
    try {
      return ['challenge', decodeChallengeText(reply.lines[0]!, 'SMTP challenge')];
    } catch (err) {
      // The server still waits for an answer: cancel before reporting.
      await this.#abortQuietly();
      throw err;
    }
  }

  #finish(reply: SmtpReply): NextStateTuple {
    this.#inExchange = false;
    if (reply.code === 235) return ['success', null];
    if (reply.code >= 400) {
      throw new SASLFailure(conditionForReply(reply.code, reply.enhancedStatus), peerText(replyText(reply), 200) || null);
    }
    throw new SmtpProtocolError(`unexpected reply ${reply.code} to AUTH`);
  }

  async #abortQuietly(): Promise<void> {
    try {
      await this.abort();
    } catch {
      // the original error is the one worth reporting
    }
  }
}

/** Is the text of a 334 empty as a challenge: no base64 data (none, or words that are not base64)? */
function isGoAhead(text: string): boolean {
  try {
    return decodeChallengeText(text, 'SMTP challenge').length === 0;
  } catch {
    return true;
  }
}
