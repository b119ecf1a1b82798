/**
 * The server side of IMAP's SASL profile: capabilities by connection state,
 * STARTTLS, AUTHENTICATE with SASL-IR (RFC 4959), LOGIN over the PLAIN
 * mechanism with LOGINDISABLED before TLS, LOGOUT, and a clear BAD for
 * anything else. Runs over any {@link LineTransport}.
 *
 * Two levels:
 * - {@link serveAuthenticate} runs one AUTHENTICATE command: for an existing
 *   IMAP server that parses commands itself;
 * - {@link ImapServerSession} runs a whole not-authenticated state (and a
 *   minimal authenticated one): for tests, demos, and servers that hand the
 *   connection over once the user is known.
 *
 * @module
 */
import { base64Decode, base64Encode, utf8Encode } from '../../core/bytes.js';
import { SASLError } from '../../core/errors.js';
import type { AuthOutcome, ServerExchange, ServerResult } from '../../server/exchange.js';
import { failure, type ServerConnection, type ServerFailure } from '../../server/mechanism.js';
import { DEFAULT_MAX_AUTH_FAILURES, isFailedLogin } from '../../server/throttle.js';
import type { SASLServer } from '../../server/server.js';
import type { LineTransport } from '../transport.js';
import { armLoginDeadline, farewell, loginLimits, type LoginLimitOptions } from '../login-limits.js';
import { IMAP_FAILURE_FORMS } from './conditions.js';
import { isImapTag } from './response.js';

/** Options that decide the capability list; see {@link imapCapabilities}. */
export interface ImapCapabilityOptions {
  /** Base capabilities, before the SASL ones. Default `['IMAP4rev1']`. */
  readonly capabilities?: readonly string[];
  /** Advertise and accept initial responses (RFC 4959 `SASL-IR`). Default true. */
  readonly saslIR?: boolean;
  /** Accept the LOGIN command (run through the PLAIN mechanism). Default true. */
  readonly allowLogin?: boolean;
}

/**
 * The capabilities to announce before authentication on `connection`:
 * the base list, `SASL-IR`, `STARTTLS` when the connection can still be
 * upgraded, `LOGINDISABLED` when LOGIN would be refused (no TLS yet, or no
 * PLAIN), and `AUTH=` for each mechanism the SASL server offers here.
 *
 * @param sasl - the SASL server
 * @param connection - the connection state
 * @param options - base list and features
 * @param canStartTLS - whether STARTTLS is available on this connection
 */
export function imapCapabilities(sasl: SASLServer, connection: ServerConnection, options: ImapCapabilityOptions = {}, canStartTLS = false): string[] {
  const caps = [...(options.capabilities ?? ['IMAP4rev1'])];
  if (options.saslIR ?? true) caps.push('SASL-IR');
  if (canStartTLS && !connection.secure) caps.push('STARTTLS');
  if (!loginAllowed(sasl, connection, options)) caps.push('LOGINDISABLED');
  for (const m of sasl.advertise(connection)) caps.push(`AUTH=${m}`);
  return caps;
}

function loginAllowed(sasl: SASLServer, connection: ServerConnection, options: ImapCapabilityOptions): boolean {
  return (options.allowLogin ?? true) && sasl.advertise(connection).includes('PLAIN');
}

/** One AUTHENTICATE or LOGIN command succeeded. */
export interface ImapAuthSuccess {
  /** Discriminant. */
  readonly kind: 'success';
  /** Who authenticated. */
  readonly outcome: AuthOutcome;
}

/** One AUTHENTICATE or LOGIN command failed (the tagged NO/BAD was sent). */
export interface ImapAuthFailure {
  /** Discriminant. */
  readonly kind: 'failure';
  /** The failure and its condition. */
  readonly failure: ServerFailure;
}

/** How one AUTHENTICATE or LOGIN command ended. */
export type ImapAuthResult = ImapAuthSuccess | ImapAuthFailure;

/** What {@link serveAuthenticate} needs. */
export interface ImapAuthenticateRequest {
  /** The command's tag. */
  readonly tag: string;
  /** The arguments after `AUTHENTICATE `: the mechanism and, with SASL-IR, the initial response. */
  readonly args: string;
  /** The SASL server. */
  readonly sasl: SASLServer;
  /** The connection state. */
  readonly connection: ServerConnection;
  /** Accept an initial response with the command (SASL-IR). Default true. */
  readonly saslIR?: boolean;
  /**
   * The capabilities for the tagged OK's `[CAPABILITY ...]` code (the
   * post-login list, RFC 9051 §6.2.2). Default: no code.
   */
  readonly capabilitiesAfter?: readonly string[];
}

const MECHANISM = /^[A-Za-z0-9_-]{1,20}$/;


function taggedFailure(tag: string, f: ServerFailure): string {
  const form = IMAP_FAILURE_FORMS[f.condition];
  return `${tag} ${form.status} ${form.code ? `[${form.code}] ` : ''}${form.text}`;
}

function taggedOk(tag: string, text: string, capabilities: readonly string[] | undefined): string {
  return `${tag} OK ${capabilities ? `[CAPABILITY ${capabilities.join(' ')}] ` : ''}${text}`;
}

/**
 * Run one AUTHENTICATE command (RFC 9051 §6.2.2) to its tagged response:
 * challenges as `+ <base64>` continuations, the client's `*` as a
 * cancellation (`BAD`), additional data with success as a last challenge
 * (IMAP cannot carry it in the OK), failures as `NO`/`BAD` with RFC 5530
 * codes (`IMAP_FAILURE_FORMS`).
 *
 * Never throws for anything the client sends; a transport error (client gone,
 * read timeout) rejects, after aborting the exchange.
 *
 * @param transport - the client connection
 * @param request - tag, arguments and context
 * @returns success with the outcome, or the failure
 */
export async function serveAuthenticate(transport: LineTransport, request: ImapAuthenticateRequest): Promise<ImapAuthResult> {
  const { tag, sasl, connection } = request;
  const parts = request.args.split(' ');
  const [mechanism, ir] = parts;
  const refuse = async (f: ServerFailure, line: string): Promise<ImapAuthResult> => {
    await transport.writeLine(line);
    return { kind: 'failure', failure: f };
  };
  if (parts.length > 2 || !mechanism || !MECHANISM.test(mechanism)) {
    return refuse(failure('malformed-request', 'bad AUTHENTICATE arguments'), `${tag} BAD Invalid AUTHENTICATE arguments`);
  }
  let initial: Uint8Array | null = null;
  if (ir !== undefined) {
    if (!(request.saslIR ?? true)) return refuse(failure('malformed-request', 'initial response without SASL-IR'), `${tag} BAD Initial response not supported`);
    try {
      initial = ir === '=' ? new Uint8Array(0) : base64Decode(ir, 'initial response');
    } catch {
      return refuse(failure('incorrect-encoding', 'initial response is not base64'), `${tag} BAD Invalid base64 in initial response`);
    }
    if (initial.length === 0 && ir !== '=') {
      return refuse(failure('malformed-request', 'empty initial response'), `${tag} BAD Invalid initial response`);
    }
  }
  const exchange: ServerExchange = sasl.start(mechanism, connection, { successData: 'challenge' });
  try {
    let result: ServerResult = await exchange.step(initial);
    while (result.kind === 'challenge') {
      await transport.writeLine(`+ ${base64Encode(result.data)}`);
      const line = await transport.readLine();
      if (line === '*') {
        const f = exchange.abort();
        return refuse(f, taggedFailure(tag, f));
      }
      let response: Uint8Array;
      try {
        response = base64Decode(line, 'client response');
      } catch {
        exchange.abort();
        return refuse(failure('incorrect-encoding', 'client response is not base64'), `${tag} BAD Invalid base64 in client response`);
      }
      result = await exchange.step(response);
    }
    if (result.kind === 'failure') return refuse(result, taggedFailure(tag, result));
    await transport.writeLine(taggedOk(tag, 'Authentication successful', request.capabilitiesAfter));
    return { kind: 'success', outcome: result.outcome };
  } catch (err) {
    if (!exchange.done) exchange.abort();
    throw err;
  }
}

/** Read an IMAP astring (atom or quoted string) at `pos`; literals are not supported. */
function readAstring(text: string, pos: number): { value: string; end: number } | null {
  if (text[pos] === '"') {
    let value = '';
    for (let i = pos + 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === '"') return { value, end: i + 1 };
      if (c === '\\') {
        const next = text[i + 1];
        if (next !== '"' && next !== '\\') return null;
        value += next;
        i++;
      } else if (c === '\0') {
        return null;
      } else {
        value += c;
      }
    }
    return null;
  }
  let end = pos;
  while (end < text.length && /[^\x00-\x20(){%*"\\\x7f]/.test(text[end]!)) end++;
  return end > pos ? { value: text.slice(pos, end), end } : null;
}

/** Parse `LOGIN userid password`. */
function parseLoginArgs(args: string): { user: string; password: string } | null {
  const user = readAstring(args, 0);
  if (!user || args[user.end] !== ' ') return null;
  const password = readAstring(args, user.end + 1);
  if (!password || password.end !== args.length) return null;
  return { user: user.value, password: password.value };
}

/** Options of {@link ImapServerSession}. */
export interface ImapServerSessionOptions extends ImapCapabilityOptions, LoginLimitOptions {
  /** The SASL server that runs the mechanisms. */
  readonly sasl: SASLServer;
  /** The connection as it starts: secure (implicit TLS) or not, and its channel bindings. */
  readonly connection: ServerConnection;
  /**
   * Perform the TLS handshake after `tag OK Begin TLS negotiation now` was
   * sent, and return the new connection state. Absent: no STARTTLS.
   */
  readonly startTLS?: () => Promise<ServerConnection>;
  /** Capabilities after authentication. Default: the base list. */
  readonly authenticatedCapabilities?: readonly string[];
  /** Greeting text. Default `'saslkit IMAP ready'`. */
  readonly greeting?: string;
  /** After this many BAD responses the connection is closed with BYE. Default 10. */
  readonly maxErrors?: number;
  /**
   * After this many failed logins ({@link isFailedLogin}) the connection is
   * closed with `* BYE`. Default: the SASL server's
   * {@link SASLServerOptions.maxAuthFailures} (3), which SMTP and XMPP use too;
   * set it there rather than here.
   */
  readonly maxAuthFailures?: number;
  /** Most commands accepted on one connection. Default 1000. */
  readonly maxCommands?: number;
  /** Called after each successful authentication. */
  readonly onAuthenticated?: (outcome: AuthOutcome) => void;
  /** Called with unexpected errors (for logging); the session then ends. */
  readonly onError?: (err: unknown) => void;
}

/** The client logged out. */
export interface ImapSessionLogout {
  /** Discriminant. */
  readonly kind: 'logout';
  /** Who had authenticated, or `null`. */
  readonly auth: AuthOutcome | null;
}

/** The connection ended otherwise: error limit, timeout, client gone, shutdown. */
export interface ImapSessionClosed {
  /** Discriminant. */
  readonly kind: 'closed';
  /** Who had authenticated, or `null`. */
  readonly auth: AuthOutcome | null;
  /** Why, for logs. */
  readonly reason: string;
}

/** How an {@link ImapServerSession} ended. */
export type ImapSessionEnd = ImapSessionLogout | ImapSessionClosed;

/**
 * One IMAP connection, from the greeting to LOGOUT, for authentication:
 * CAPABILITY, NOOP, STARTTLS, AUTHENTICATE, LOGIN and LOGOUT; once
 * authenticated, CAPABILITY, NOOP and LOGOUT (anything else gets BAD: this
 * adapter is about authentication; a real server takes over from
 * {@link ImapServerSessionOptions.onAuthenticated} or uses
 * {@link serveAuthenticate} in its own command loop).
 */
export class ImapServerSession {
  readonly #transport: LineTransport;
  readonly #options: ImapServerSessionOptions;
  #connection: ServerConnection;
  #auth: AuthOutcome | null = null;
  #errors = 0;
  #authFailures = 0;
  #closing = false;
  #expired = false;
  #loginCommands = 0;
  #cancelDeadline: () => void = () => {};
  readonly #limits: ReturnType<typeof loginLimits>;

  /**
   * Serve the client on `transport` (nothing is sent until {@link run}).
   *
   * @param transport - the client's connection
   * @param options - see {@link ImapServerSessionOptions}
   */
  constructor(transport: LineTransport, options: ImapServerSessionOptions) {
    if (typeof options?.sasl?.advertise !== 'function') throw new SASLError(null, 'invalid argument', 'options.sasl must be a SASLServer');
    this.#transport = transport;
    this.#options = options;
    this.#connection = options.connection;
    this.#limits = loginLimits(options);
  }

  /** The current connection state (changes after STARTTLS). */
  get connection(): ServerConnection {
    return this.#connection;
  }

  /** Who authenticated, or `null`. */
  get auth(): AuthOutcome | null {
    return this.#auth;
  }

  /** The capabilities to announce now. */
  get capabilities(): string[] {
    if (this.#auth) return [...(this.#options.authenticatedCapabilities ?? this.#options.capabilities ?? ['IMAP4rev1'])];
    return imapCapabilities(this.#options.sasl, this.#connection, this.#options, this.#options.startTLS !== undefined);
  }

  /**
   * Greet the client and serve commands until LOGOUT, an error limit, the
   * login deadline or command bound ({@link LoginLimitOptions}), or the
   * connection ends. Never throws; the transport is closed at the end.
   */
  async run(): Promise<ImapSessionEnd> {
    const maxCommands = this.#options.maxCommands ?? 1000;
    this.#cancelDeadline = armLoginDeadline(this.#limits.timeoutMs, () => {
      this.#expired = true;
      farewell(() => this.#transport.writeLine('* BYE Authentication took too long'), () => this.#transport.close());
    });
    try {
      await this.#transport.writeLine(`* OK [CAPABILITY ${this.capabilities.join(' ')}] ${this.#options.greeting ?? 'saslkit IMAP ready'}`);
      for (let n = 0; n < maxCommands && !this.#closing; n++) {
        const line = await this.#transport.readLine();
        if (this.#expired) break;
        if (!this.#auth && ++this.#loginCommands > this.#limits.maxCommands) {
          await this.#transport.writeLine('* BYE Too many commands before authentication');
          return this.#close('too many commands before authentication');
        }
        const end = await this.#command(line);
        if (end) return end;
      }
      // The deadline's farewell closes the transport once the BYE is out.
      if (this.#expired) return { kind: 'closed', auth: this.#auth, reason: 'login timed out' };
      if (this.#closing) return this.#close('shut down');
      await this.#transport.writeLine('* BYE Too many commands');
      return this.#close('too many commands');
    } catch (err) {
      if (this.#expired) return { kind: 'closed', auth: this.#auth, reason: 'login timed out' };
      if (!(err instanceof SASLError)) this.#options.onError?.(err);
      return this.#close(err instanceof Error ? err.message : String(err));
    } finally {
      this.#cancelDeadline();
    }
  }

  /** End the session with `* BYE` and close (e.g. on server shutdown). */
  async shutdown(): Promise<void> {
    this.#closing = true;
    await this.#transport.writeLine('* BYE Server shutting down').catch(() => undefined);
    this.#transport.close();
  }

  #close(reason: string): ImapSessionEnd {
    this.#transport.close();
    return { kind: 'closed', auth: this.#auth, reason };
  }

  async #bad(line: string): Promise<ImapSessionEnd | null> {
    await this.#transport.writeLine(line);
    return this.#countError();
  }

  async #countError(): Promise<ImapSessionEnd | null> {
    this.#errors++;
    if (this.#errors >= (this.#options.maxErrors ?? 10)) {
      await this.#transport.writeLine('* BYE Too many invalid commands');
      return this.#close('too many invalid commands');
    }
    return null;
  }

  async #command(line: string): Promise<ImapSessionEnd | null> {
    const space = line.indexOf(' ');
    const tag = space < 0 ? line : line.slice(0, space);
    if (line.length === 0 || !isImapTag(tag)) return this.#bad('* BAD Invalid tag');
    if (space < 0) return this.#bad(`${tag} BAD Missing command`);
    const rest = line.slice(space + 1);
    const cmdEnd = rest.indexOf(' ');
    const name = (cmdEnd < 0 ? rest : rest.slice(0, cmdEnd)).toUpperCase();
    const args = cmdEnd < 0 ? null : rest.slice(cmdEnd + 1);
    const noArgs = async (run: () => Promise<ImapSessionEnd | null>): Promise<ImapSessionEnd | null> =>
      args === null ? run() : this.#bad(`${tag} BAD ${name} takes no arguments`);
    switch (name) {
      case 'CAPABILITY':
        return noArgs(async () => {
          await this.#transport.writeLine(`* CAPABILITY ${this.capabilities.join(' ')}`);
          await this.#transport.writeLine(`${tag} OK CAPABILITY completed`);
          return null;
        });
      case 'NOOP':
        return noArgs(async () => {
          await this.#transport.writeLine(`${tag} OK NOOP completed`);
          return null;
        });
      case 'LOGOUT':
        return noArgs(async () => {
          await this.#transport.writeLine('* BYE Logging out');
          await this.#transport.writeLine(`${tag} OK LOGOUT completed`);
          this.#transport.close();
          return { kind: 'logout', auth: this.#auth };
        });
      case 'STARTTLS':
        return noArgs(() => this.#startTLS(tag));
      case 'AUTHENTICATE':
      case 'LOGIN':
        if (this.#auth) return this.#bad(`${tag} BAD Already authenticated`);
        if (args === null) return this.#bad(`${tag} BAD Missing arguments`);
        return name === 'LOGIN' ? this.#login(tag, args) : this.#authenticate(tag, args);
      default:
        if (!/^[A-Z][A-Z0-9-]{0,31}$/.test(name)) return this.#bad(`${tag} BAD Invalid command`);
        return this.#bad(this.#auth ? `${tag} BAD Command not supported by this server` : `${tag} BAD Command unknown or not allowed before authentication`);
    }
  }

  async #startTLS(tag: string): Promise<ImapSessionEnd | null> {
    if (this.#auth || this.#connection.secure) return this.#bad(`${tag} BAD TLS is already active or not allowed now`);
    if (!this.#options.startTLS) return this.#bad(`${tag} BAD STARTTLS not supported`);
    await this.#transport.writeLine(`${tag} OK Begin TLS negotiation now`);
    this.#connection = await this.#options.startTLS();
    return null;
  }

  async #authenticate(tag: string, args: string): Promise<ImapSessionEnd | null> {
    const result = await serveAuthenticate(this.#transport, {
      tag,
      args,
      sasl: this.#options.sasl,
      connection: this.#connection,
      saslIR: this.#options.saslIR ?? true,
      capabilitiesAfter: this.#options.authenticatedCapabilities ?? this.#options.capabilities ?? ['IMAP4rev1'],
    });
    return this.#ended(result);
  }

  async #login(tag: string, args: string): Promise<ImapSessionEnd | null> {
    if (!loginAllowed(this.#options.sasl, this.#connection, this.#options)) {
      const text = this.#connection.secure ? 'LOGIN is not available' : 'LOGIN is disabled before STARTTLS';
      return this.#ended({ kind: 'failure', failure: failure('encryption-required', text) }, `${tag} NO [PRIVACYREQUIRED] ${text}`);
    }
    const parsed = parseLoginArgs(args);
    if (!parsed) return this.#bad(`${tag} BAD Invalid LOGIN arguments (atoms or quoted strings; literals are not supported)`);
    // LOGIN is PLAIN without an authzid (RFC 4616 message: NUL authcid NUL password).
    const exchange = this.#options.sasl.start('PLAIN', this.#connection);
    const message = utf8Encode(`\0${parsed.user}\0${parsed.password}`);
    let result = await exchange.step(message);
    if (result.kind === 'challenge') result = exchange.abort();
    if (result.kind === 'failure') return this.#ended({ kind: 'failure', failure: result }, taggedFailure(tag, result));
    const caps = this.#options.authenticatedCapabilities ?? this.#options.capabilities ?? ['IMAP4rev1'];
    await this.#transport.writeLine(taggedOk(tag, 'LOGIN completed', caps));
    return this.#ended({ kind: 'success', outcome: result.outcome });
  }

  async #ended(result: ImapAuthResult, line?: string): Promise<ImapSessionEnd | null> {
    if (line) await this.#transport.writeLine(line);
    if (result.kind === 'success') {
      this.#auth = result.outcome;
      this.#cancelDeadline();
      this.#options.onAuthenticated?.(result.outcome);
      return null;
    }
    const condition = result.failure.condition;
    if (isFailedLogin(result.failure)) {
      this.#authFailures++;
      if (this.#authFailures >= (this.#options.maxAuthFailures ?? this.#options.sasl.maxAuthFailures ?? DEFAULT_MAX_AUTH_FAILURES)) {
        await this.#transport.writeLine('* BYE Too many authentication failures');
        return this.#close('too many authentication failures');
      }
    } else if (IMAP_FAILURE_FORMS[condition].status === 'BAD' && condition !== 'aborted') {
      return this.#countError();
    }
    return null;
  }
}
