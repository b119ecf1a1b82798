/**
 * The server side of SMTP AUTH (RFC 4954): {@link SmtpServerSession} serves
 * one SMTP connection over a {@link LineTransport}: greeting, EHLO/HELO with
 * `AUTH` listed by connection state, STARTTLS (through a hook, since the TLS
 * upgrade is transport-specific), AUTH driven by a {@link SASLServer}, a
 * minimal mail transaction (MAIL, RCPT, DATA discarded unless a hook takes
 * it), RSET, NOOP and QUIT.
 *
 * Whatever the client sends, the session answers with a reply code or
 * closes the connection; it never throws out of {@link SmtpServerSession.run}.
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';
import { DEFAULT_MAX_AUTH_FAILURES, isFailedLogin } from '../../server/throttle.js';
import type { AuthOutcome } from '../../server/exchange.js';
import type { ServerConnection } from '../../server/mechanism.js';
import type { SASLServer } from '../../server/server.js';
import type { LineTransport } from '../transport.js';
import { armLoginDeadline, farewell, loginLimits, type LoginLimitOptions } from '../login-limits.js';
import { serveSmtpAuth } from './auth.js';
import { SMTP_AUTH_STATUS, type SmtpStatus } from './codes.js';
import { formatReply } from './reply.js';
import { isMechanismName } from '../../core/mechanism-name.js';

/** Options of {@link SmtpServerSession}. */
export interface SmtpServerSessionOptions extends LoginLimitOptions {
  /** The SASL server that runs the mechanisms. */
  readonly sasl: SASLServer;
  /** The server's name in the greeting and EHLO reply. Default `'localhost'`. */
  readonly hostname?: string;
  /** The connection as it starts: secure (implicit TLS) or not, and its channel bindings. */
  readonly connection: ServerConnection;
  /**
   * Perform the TLS handshake after `220 Ready to start TLS` was sent, and
   * return the new connection state (secure, with its channel bindings).
   * Absent: STARTTLS is not offered.
   */
  readonly startTLS?: () => Promise<ServerConnection>;
  /** Refuse MAIL until the client authenticated (530 5.7.0). Default true. */
  readonly requireAuth?: boolean;
  /** Longest line accepted from the client, in characters (RFC 4954 §4 asks for 12288 octets of AUTH data). Default 16384. */
  readonly maxLineLength?: number;
  /** Longest ordinary command line (RFC 5321: 512 octets with CR LF). Default 512. */
  readonly maxCommandLength?: number;
  /** After this many refused commands the connection is closed with 421. Default 20. */
  readonly maxErrors?: number;
  /** Largest message accepted by DATA, in characters. Default 1 MiB. */
  readonly maxMessageSize?: number;
  /** Called after each successful AUTH. */
  readonly onAuthenticated?: (outcome: AuthOutcome) => void;
  /**
   * Receives each message accepted by DATA (dot-unstuffed lines). Without
   * it the message is accepted and discarded: this adapter is about AUTH.
   */
  readonly onMessage?: (message: SmtpMessage) => void | Promise<void>;
  /** Called with unexpected errors (for logging); the session then ends. */
  readonly onError?: (err: unknown) => void;
}

/** A message received by DATA. */
export interface SmtpMessage {
  /** Who authenticated, if anyone. */
  readonly auth: AuthOutcome | null;
  /** The MAIL FROM path (without brackets). */
  readonly from: string;
  /** The RCPT TO paths (without brackets). */
  readonly to: readonly string[];
  /** The message lines, dot-unstuffed. */
  readonly lines: readonly string[];
}

const VERB = /^[A-Za-z]{1,16}$/;
const PATH = /^<([^<>\s]*)>(?: .*)?$/;

type Status = SmtpStatus;
const S = {
  ok: { code: 250, enhanced: '2.0.0', text: 'OK' },
  bye: { code: 221, enhanced: '2.0.0', text: 'Bye' },
  tlsReady: { code: 220, enhanced: '2.0.0', text: 'Ready to start TLS' },
  tlsUnavailable: { code: 454, enhanced: '4.7.0', text: 'TLS not available' },
  unrecognized: { code: 500, enhanced: '5.5.1', text: 'Command unrecognized' },
  syntax: { code: 500, enhanced: '5.5.2', text: 'Syntax error' },
  tooLong: { code: 500, enhanced: '5.5.2', text: 'Line too long' },
  badArgs: { code: 501, enhanced: '5.5.4', text: 'Syntax error in parameters or arguments' },
  badSequence: SMTP_AUTH_STATUS.badSequence,
  authRequired: { code: 530, enhanced: '5.7.0', text: 'Authentication required' },
  tooManyErrors: { code: 421, enhanced: '4.7.0', text: 'Too many errors, closing connection' },
  tooManyAuthFailures: { code: 421, enhanced: '4.7.0', text: 'Too many authentication failures, closing connection' },
  shutdown: { code: 421, enhanced: '4.3.0', text: 'Service shutting down' },
  loginTimeout: { code: 421, enhanced: '4.4.2', text: 'Authentication took too long, closing connection' },
  tooManyCommands: { code: 421, enhanced: '4.7.0', text: 'Too many commands before authentication, closing connection' },
  noRecipients: { code: 554, enhanced: '5.5.1', text: 'No valid recipients' },
  tooBig: { code: 552, enhanced: '5.3.4', text: 'Message too big' },
} as const satisfies Record<string, Status>;

/**
 * One SMTP connection on the server side. Create it when a client connects,
 * then `await session.run()`; it resolves when the client quit or the
 * connection ended, and closes the transport.
 *
 * ```ts
 * const session = new SmtpServerSession(transport, {
 *   sasl, hostname: 'mail.example.org', connection: { secure: false },
 *   startTLS: async () => ({ secure: true, channelBindings: [...] }),
 * });
 * await session.run();
 * ```
 */
export class SmtpServerSession {
  readonly #transport: LineTransport;
  readonly #options: SmtpServerSessionOptions;
  readonly #hostname: string;
  readonly #maxLineLength: number;
  readonly #maxCommandLength: number;
  readonly #maxErrors: number;
  readonly #maxMessageSize: number;
  #connection: ServerConnection;
  #greeted = false;
  #auth: AuthOutcome | null = null;
  #from: string | null = null;
  #to: string[] = [];
  #errors = 0;
  #authFailures = 0;
  #closed = false;
  #expired = false;
  #loginCommands = 0;
  #cancelDeadline: () => void = () => {};
  readonly #limits: ReturnType<typeof loginLimits>;

  /**
   * Prepare a session; nothing is sent until {@link SmtpServerSession.run}.
   *
   * @param transport - the client's connection (any {@link LineTransport})
   * @param options - see {@link SmtpServerSessionOptions}
   */
  constructor(transport: LineTransport, options: SmtpServerSessionOptions) {
    if (!options?.sasl || typeof options.sasl.start !== 'function') {
      throw new SASLError(null, 'invalid argument', 'options.sasl must be a SASLServer');
    }
    this.#transport = transport;
    this.#options = options;
    this.#hostname = options.hostname ?? 'localhost';
    if (!/^[\x21-\x7e]{1,255}$/.test(this.#hostname)) throw new SASLError(null, 'invalid argument', 'hostname must be printable ASCII without spaces');
    this.#connection = options.connection;
    this.#maxLineLength = options.maxLineLength ?? 16_384;
    this.#maxCommandLength = options.maxCommandLength ?? 512;
    this.#maxErrors = options.maxErrors ?? 20;
    this.#maxMessageSize = options.maxMessageSize ?? 1_048_576;
    this.#limits = loginLimits(options);
  }

  /** Who authenticated on this connection, or `null`. */
  get authenticated(): AuthOutcome | null {
    return this.#auth;
  }

  /** The connection state (changes after STARTTLS). */
  get connection(): ServerConnection {
    return this.#connection;
  }

  /**
   * Serve the connection until QUIT, a transport error, too many errors, or
   * the limits before authentication ({@link LoginLimitOptions}: they apply
   * until AUTH succeeds, also when `requireAuth` is false). Never rejects;
   * closes the transport before resolving.
   */
  async run(): Promise<void> {
    this.#cancelDeadline = armLoginDeadline(this.#limits.timeoutMs, () => {
      this.#expired = true;
      this.#closed = true;
      farewell(() => this.#reply(S.loginTimeout), () => this.#transport.close());
    });
    try {
      await this.#reply({ code: 220, enhanced: '', text: `${this.#hostname} ESMTP saslkit` });
      while (!this.#closed) {
        const line = await this.#transport.readLine();
        if (this.#expired) return;
        if (!this.#auth && ++this.#loginCommands > this.#limits.maxCommands) {
          await this.#reply(S.tooManyCommands);
          break;
        }
        await this.#command(line);
        if (this.#errors >= this.#maxErrors && !this.#closed) {
          await this.#reply(S.tooManyErrors);
          break;
        }
      }
    } catch (err) {
      // Transport errors (peer gone, timeout, oversize line) just end the
      // session; anything else is reported for logging.
      if (!this.#expired && !(err instanceof SASLError && err.kind === 'transport error')) this.#options.onError?.(err);
    } finally {
      this.#cancelDeadline();
      this.#closed = true;
      // After the deadline its farewell closes the transport once the 421 is out.
      if (!this.#expired) this.#transport.close();
    }
  }

  /** End the session: `421` and close (e.g. on server shutdown). */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#reply(S.shutdown);
    } catch {
      // the connection may already be gone
    }
    this.#transport.close();
  }

  async #reply(status: Status, text?: string | readonly string[]): Promise<void> {
    const lines = text ?? status.text;
    for (const l of formatReply(status.code, lines, status.enhanced || null)) await this.#transport.writeLine(l);
  }

  async #refuse(status: Status, text?: string): Promise<void> {
    this.#errors++;
    await this.#reply(status, text);
  }

  async #command(line: string): Promise<void> {
    if (line.length > this.#maxCommandLength - 2 && !/^AUTH /i.test(line)) return this.#refuse(S.tooLong);
    if (line.length > this.#maxLineLength) return this.#refuse(SMTP_AUTH_STATUS.lineTooLong);
    const space = line.indexOf(' ');
    const verb = space < 0 ? line : line.slice(0, space);
    const args = space < 0 ? '' : line.slice(space + 1);
    if (!VERB.test(verb)) return this.#refuse(S.syntax);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(args)) return this.#refuse(S.badArgs);
    switch (verb.toUpperCase()) {
      case 'EHLO':
        return this.#ehlo(args, true);
      case 'HELO':
        return this.#ehlo(args, false);
      case 'STARTTLS':
        return this.#startTLS(args);
      case 'AUTH':
        return this.#authCommand(args);
      case 'MAIL':
        return this.#mail(args);
      case 'RCPT':
        return this.#rcpt(args);
      case 'DATA':
        return this.#data(args);
      case 'RSET':
        if (args !== '') return this.#refuse(S.badArgs);
        this.#resetTransaction();
        return this.#reply(S.ok);
      case 'NOOP':
        return this.#reply(S.ok);
      case 'QUIT':
        await this.#reply(S.bye, `${this.#hostname} closing connection`);
        this.#closed = true;
        return;
      default:
        return this.#refuse(S.unrecognized);
    }
  }

  async #ehlo(domain: string, extended: boolean): Promise<void> {
    if (!/^[\x21-\x7e]{1,255}$/.test(domain)) return this.#refuse(S.badArgs, `${extended ? 'EHLO' : 'HELO'} needs the client's domain`);
    this.#resetTransaction();
    this.#greeted = true;
    if (!extended) return this.#reply({ code: 250, enhanced: '', text: this.#hostname });
    const lines = [`${this.#hostname} Hello ${domain}`, 'ENHANCEDSTATUSCODES', '8BITMIME', `SIZE ${this.#maxMessageSize}`];
    if (this.#options.startTLS && !this.#connection.secure) lines.push('STARTTLS');
    if (!this.#auth) {
      const mechanisms = this.#options.sasl.advertise(this.#connection);
      if (mechanisms.length > 0) lines.push(`AUTH ${mechanisms.join(' ')}`);
    }
    return this.#reply({ code: 250, enhanced: '', text: '' }, lines);
  }

  async #startTLS(args: string): Promise<void> {
    if (args !== '') return this.#refuse(S.badArgs);
    if (this.#connection.secure) return this.#refuse(S.badSequence, 'TLS already active');
    const upgrade = this.#options.startTLS;
    if (!upgrade) return this.#refuse(S.tlsUnavailable);
    await this.#reply(S.tlsReady);
    // RFC 3207 §4.2: forget everything learnt before TLS.
    this.#connection = await upgrade();
    this.#greeted = false;
    this.#auth = null;
    this.#resetTransaction();
  }

  async #authCommand(args: string): Promise<void> {
    const parts = args.split(' ');
    const [mechanism, initial] = parts;
    if (!mechanism || parts.length > 2 || !isMechanismName(mechanism, true) || initial === '') return this.#refuse(S.badArgs);
    if (!this.#greeted) return this.#refuse(S.badSequence, 'Send EHLO first');
    if (this.#auth) return this.#refuse(S.badSequence, 'Already authenticated');
    if (this.#from !== null) return this.#refuse(S.badSequence, 'AUTH not permitted during a mail transaction');
    const result = await serveSmtpAuth(this.#transport, { args, sasl: this.#options.sasl, connection: this.#connection, maxLineLength: this.#maxLineLength });
    if (result.kind === 'success') {
      this.#auth = result.outcome;
      this.#cancelDeadline();
      this.#errors = 0;
      this.#options.onAuthenticated?.(result.outcome);
      return;
    }
    this.#errors++;
    // The same failed-login limit as IMAP and XMPP (SASLServerOptions.maxAuthFailures).
    if (isFailedLogin(result.failure) && ++this.#authFailures >= (this.#options.sasl.maxAuthFailures ?? DEFAULT_MAX_AUTH_FAILURES)) {
      await this.#reply(S.tooManyAuthFailures);
      this.#closed = true;
    }
  }

  async #mail(args: string): Promise<void> {
    const m = /^FROM:\s?(.*)$/i.exec(args);
    const path = m ? PATH.exec(m[1]!) : null;
    if (!path) return this.#refuse(S.badArgs, 'Syntax: MAIL FROM:<address>');
    if (!this.#greeted) return this.#refuse(S.badSequence, 'Send EHLO first');
    if (this.#from !== null) return this.#refuse(S.badSequence, 'Nested MAIL command');
    if ((this.#options.requireAuth ?? true) && !this.#auth) return this.#refuse(S.authRequired);
    this.#from = path[1]!;
    return this.#reply(S.ok);
  }

  async #rcpt(args: string): Promise<void> {
    const m = /^TO:\s?(.*)$/i.exec(args);
    const path = m ? PATH.exec(m[1]!) : null;
    if (!path || path[1] === '') return this.#refuse(S.badArgs, 'Syntax: RCPT TO:<address>');
    if (this.#from === null) return this.#refuse(S.badSequence, 'Need MAIL first');
    if (this.#to.length >= 100) return this.#refuse({ code: 452, enhanced: '4.5.3', text: 'Too many recipients' });
    this.#to.push(path[1]!);
    return this.#reply(S.ok);
  }

  async #data(args: string): Promise<void> {
    if (args !== '') return this.#refuse(S.badArgs);
    if (this.#from === null) return this.#refuse(S.badSequence, 'Need MAIL first');
    if (this.#to.length === 0) return this.#refuse(S.noRecipients);
    await this.#reply({ code: 354, enhanced: '', text: 'End data with <CR><LF>.<CR><LF>' });
    const lines: string[] = [];
    let size = 0;
    let tooBig = false;
    for (;;) {
      const line = await this.#transport.readLine();
      if (line === '.') break;
      size += line.length + 2;
      if (size > this.#maxMessageSize) tooBig = true;
      else lines.push(line.startsWith('.') ? line.slice(1) : line);
    }
    const message: SmtpMessage = { auth: this.#auth, from: this.#from, to: [...this.#to], lines };
    this.#resetTransaction();
    if (tooBig) return this.#refuse(S.tooBig);
    await this.#options.onMessage?.(message);
    return this.#reply(S.ok, 'Message accepted');
  }

  #resetTransaction(): void {
    this.#from = null;
    this.#to = [];
  }
}
