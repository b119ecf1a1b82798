/**
 * The client side of IMAP's SASL profile: `AUTHENTICATE` (RFC 9051 §6.2.2,
 * RFC 3501 §6.2.2) with initial responses (RFC 4959 `SASL-IR`).
 *
 * @module
 */
import { base64Encode, toBytes, toBytesOrNull } from '../../core/bytes.js';
import { decodeChallengeText } from '../challenge-text.js';
import { SASLError, SASLFailure } from '../../core/errors.js';
import { SASLInterface } from '../../core/interface.js';
import type { NextStateTuple } from '../../core/state.js';
import type { ImapCapabilities } from './capabilities.js';
import { ImapByeError, ImapClientChannel } from './channel.js';
import { imapFailureCondition } from './conditions.js';
import { checkMechanismName } from '../../core/mechanism-name.js';
import { ImapProtocolError, quoteImapText, type ImapServerResponse, type ImapTaggedResponse, type ImapUntaggedResponse } from './response.js';

/**
 * What {@link ImapSASLInterface} needs from an IMAP client connection that
 * is not saslkit's own {@link ImapClientChannel}: two methods any IMAP
 * library can provide over its own reader and writer.
 *
 * ```ts
 * const port: ImapSASLPort = {
 *   send: (line) => connection.writeLine(line),
 *   readResponse: async () => parseServerResponse(await connection.readLine()),
 *   saslIR: connection.capabilities.has('SASL-IR'),
 *   secure: connection.encrypted,
 * };
 * const mechanism = await authenticate(new ImapSASLInterface(port), offered, mechanisms);
 * ```
 *
 * Untagged responses that arrive during the exchange are handed to
 * `untagged` (a `BYE` ends the exchange with an {@link ImapByeError}); at
 * most 1000 per exchange are accepted. After success the library refreshes
 * its capabilities itself (RFC 9051 §6.2.2); the tagged OK is in
 * {@link ImapSASLInterface.lastResponse}.
 */
export interface ImapSASLPort {
  /** Write one line to the server, without the CRLF: the tagged `AUTHENTICATE` command, a base64 response, or `*`. */
  send(line: string): Promise<void>;
  /** Read the server's next response (e.g. `parseServerResponse(line)`); literals are the library's business. */
  readResponse(): Promise<ImapServerResponse>;
  /** Whether the connection is secure (TLS, RFC 9051 §11.1). Default false: mechanisms that send a password in clear then refuse to run. */
  readonly secure?: boolean;
  /** The server advertises `SASL-IR` (RFC 4959): initial responses go with the command. Default false. */
  readonly saslIR?: boolean;
  /** A fresh command tag from the library's own sequence. Default `SASL1`, `SASL2`, ... */
  nextTag?(): string;
  /** Called with each untagged response received during the exchange (e.g. `CAPABILITY`). */
  untagged?(response: ImapUntaggedResponse): void;
}

/** What the interface uses of its connection: saslkit's channel or a port. */
interface Link {
  readonly secure: boolean;
  readonly saslIR: boolean;
  readonly capabilities: ImapCapabilities | null;
  nextTag(): string;
  send(line: string): Promise<void>;
  readResponse(): Promise<ImapServerResponse>;
  noteUntagged(response: ImapUntaggedResponse, seen: number): void;
  /** Ask for the capabilities after success; null when the connection does not. */
  readonly refresh: (() => Promise<unknown>) | null;
}

const MAX_UNTAGGED = 1000;

function channelLink(channel: ImapClientChannel): Link {
  return {
    get secure() {
      return channel.transport.secure === true;
    },
    get saslIR() {
      return channel.capabilities?.saslIR ?? false;
    },
    get capabilities() {
      return channel.capabilities;
    },
    nextTag: () => channel.nextTag(),
    send: (line) => channel.transport.writeLine(line),
    readResponse: () => channel.readResponse(),
    noteUntagged: (response, seen) => channel.noteUntagged(response, seen),
    refresh: () => channel.capability(),
  };
}

function portLink(port: ImapSASLPort): Link {
  let counter = 0;
  return {
    get secure() {
      return port.secure === true;
    },
    get saslIR() {
      return port.saslIR === true;
    },
    capabilities: null,
    nextTag: () => (port.nextTag ? port.nextTag() : `SASL${++counter}`),
    send: (line) => port.send(line),
    readResponse: () => port.readResponse(),
    noteUntagged: (response, seen) => {
      port.untagged?.(response);
      if (response.name === 'BYE') throw new ImapByeError(quoteImapText(response.text));
      if (seen + 1 > MAX_UNTAGGED) throw new ImapProtocolError(`more than ${MAX_UNTAGGED} untagged responses to one command`);
    },
    refresh: null,
  };
}

/** Options of {@link ImapSASLInterface}. */
export interface ImapSASLInterfaceOptions {
  /**
   * After a successful AUTHENTICATE, make sure the capabilities are fresh
   * (they change after login, RFC 9051 §6.2.2): taken from a
   * `[CAPABILITY ...]` code in the tagged OK or an untagged CAPABILITY if the
   * server sent one, else asked for with a `CAPABILITY` command. Default true.
   */
  readonly refreshCapabilities?: boolean;
  /**
   * Send initial responses with the command even if the server does not
   * advertise `SASL-IR`. Default false: follow the capability.
   */
  readonly forceInitialResponse?: boolean;
}


/**
 * A {@link SASLInterface} over an IMAP connection: how `authenticate()` and
 * the mechanisms reach an IMAP server.
 *
 * The wire form, step by step:
 * - `initiate(mech, ir)` sends `tag AUTHENTICATE mech [ir]`: the initial
 *   response in base64 (`=` when it is empty) if the server has `SASL-IR`;
 *   otherwise the command goes alone, the interface waits for the server's
 *   empty continuation `+ ` and sends the initial response then;
 * - each `+ <base64>` continuation is a challenge; `respond()` sends one base64
 *   line (an empty line for an empty response);
 * - `abort()` sends `*`; the server answers with a tagged BAD;
 * - the tagged `OK` is success (IMAP carries no additional data with success:
 *   a server sends it as a last `+` challenge, answered with an empty line);
 *   `NO`/`BAD` become a {@link SASLFailure} whose condition comes from the
 *   response code (see `imapFailureCondition`).
 *
 * After success, {@link ImapSASLInterface.lastResponse} holds the tagged OK
 * and the channel's capabilities are current.
 */
export class ImapSASLInterface extends SASLInterface {
  readonly #channel: Link;
  readonly #refresh: boolean;
  readonly #forceIR: boolean;
  #tag: string | null = null;
  #capabilitySeen = false;
  #last: ImapTaggedResponse | null = null;

  /**
   * Run SASL exchanges over `channel`.
   *
   * @param channel - the IMAP connection, after the greeting (and STARTTLS):
   *   saslkit's {@link ImapClientChannel} (its known capabilities decide
   *   whether `SASL-IR` is used, and are refreshed after success), or any
   *   IMAP library's connection as an {@link ImapSASLPort}
   * @param options - see {@link ImapSASLInterfaceOptions}
   */
  constructor(channel: ImapClientChannel | ImapSASLPort, options: ImapSASLInterfaceOptions = {}) {
    super();
    this.#channel = channel instanceof ImapClientChannel ? channelLink(channel) : portLink(channel);
    this.#refresh = options.refreshCapabilities ?? true;
    this.#forceIR = options.forceInitialResponse ?? false;
  }

  /** Whether the connection is secure: the channel transport's `secure` flag (true after STARTTLS over Node sockets), or the port's. */
  override get secure(): boolean {
    return this.#channel.secure;
  }

  /** The tagged response that ended the last exchange, or `null`. */
  get lastResponse(): ImapTaggedResponse | null {
    return this.#last;
  }

  /** The server's current capabilities (refreshed after success); `null` over an {@link ImapSASLPort}. */
  get capabilities(): ImapCapabilities | null {
    return this.#channel.capabilities;
  }

  /**
   * Send `AUTHENTICATE`.
   *
   * @param mechanism - the mechanism name (upper case, RFC 4422 §3.1)
   * @param payload - the initial response; `null`/absent for none
   */
  async initiate(mechanism: string, payload?: Uint8Array | null): Promise<NextStateTuple> {
    if (this.#tag !== null) throw new SASLError(null, 'invalid state', 'an AUTHENTICATE exchange is already running');
    checkMechanismName(mechanism);
    const initial = toBytesOrNull(payload, 'initial response');
    const withIR = initial !== null && (this.#forceIR || this.#channel.saslIR);
    const tag = this.#channel.nextTag();
    this.#tag = tag;
    this.#capabilitySeen = false;
    let command = `AUTHENTICATE ${mechanism}`;
    if (withIR) command += ` ${initial.length === 0 ? '=' : base64Encode(initial)}`;
    await this.#channel.send(`${tag} ${command}`);
    // Without SASL-IR the first continuation only says "go ahead": text in it
    // that is not base64 (`+ Ready`) is read as the empty challenge it stands for.
    const reply = await this.#read(initial !== null && !withIR);
    if (initial === null || withIR || reply[0] !== 'challenge') return reply;
    // No SASL-IR: the server must first send an empty challenge, answered with
    // the initial response (RFC 4422 §4, 3.).
    if (reply[1]!.length !== 0) {
      await this.abort();
      throw new SASLFailure(null, 'IMAP: the server sent a non-empty first challenge to a mechanism that has an initial response');
    }
    await this.#channel.send(base64Encode(initial));
    return this.#read();
  }

  /**
   * Answer the last challenge with one base64 line.
   *
   * @param payload - the response (may be empty)
   */
  async respond(payload: Uint8Array): Promise<NextStateTuple> {
    const data = toBytes(payload, 'response');
    if (this.#tag === null) throw new SASLError(null, 'invalid state', 'no AUTHENTICATE exchange is running');
    await this.#channel.send(base64Encode(data));
    return this.#read();
  }

  /** Cancel with `*` and wait for the server's tagged answer. */
  async abort(): Promise<NextStateTuple> {
    const tag = this.#tag;
    if (tag === null) throw new SASLError(null, 'invalid state', 'no AUTHENTICATE exchange is running');
    await this.#channel.send('*');
    // Continuations may still be in flight; the tagged response ends it.
    for (let i = 0; i < 100; i++) {
      const response = await this.#channel.readResponse();
      if (response.kind === 'continuation') continue;
      if (response.kind === 'untagged') {
        this.#channel.noteUntagged(response, i);
        continue;
      }
      this.#finish(response);
      if (response.tag !== tag) throw new ImapProtocolError(`unexpected tag ${quoteImapText(response.tag)}`);
      if (response.status === 'OK') throw new ImapProtocolError('the server reported success after the client cancelled AUTHENTICATE');
      return ['failure', null];
    }
    throw new ImapProtocolError('no tagged response to a cancelled AUTHENTICATE');
  }

  /**
   * Read until a continuation (challenge) or this command's tagged response.
   *
   * @param goAhead - the continuation can only mean "send your initial
   *   response": text that is not base64 is read as an empty challenge
   */
  async #read(goAhead = false): Promise<NextStateTuple> {
    const tag = this.#tag!;
    for (let seen = 0; ; seen++) {
      let response;
      try {
        response = await this.#channel.readResponse();
      } catch (err) {
        this.#tag = null;
        throw err;
      }
      if (response.kind === 'untagged') {
        if (response.name === 'CAPABILITY') this.#capabilitySeen = true;
        try {
          this.#channel.noteUntagged(response, seen);
        } catch (err) {
          this.#tag = null;
          throw err;
        }
        continue;
      }
      if (response.kind === 'continuation') {
        let data: Uint8Array;
        try {
          data = decodeChallengeText(response.text, 'IMAP challenge');
        } catch {
          if (goAhead) return ['challenge', new Uint8Array(0)];
          await this.abort();
          throw new SASLFailure(null, `IMAP: the server's challenge is not base64: ${quoteImapText(response.text)}`);
        }
        return ['challenge', data];
      }
      this.#finish(response);
      if (response.tag !== tag) throw new ImapProtocolError(`unexpected tag ${quoteImapText(response.tag)} (waiting for ${tag})`);
      if (response.status === 'OK') {
        if (response.code?.name === 'CAPABILITY') this.#capabilitySeen = true;
        if (this.#refresh && !this.#capabilitySeen && this.#channel.refresh) await this.#channel.refresh();
        return ['success', null];
      }
      const condition = imapFailureCondition(response.status, response.code, response.text);
      throw new SASLFailure(condition, `IMAP ${response.status}${response.code ? ` [${response.code.name}]` : ''} ${quoteImapText(response.text)}`);
    }
  }

  #finish(response: ImapTaggedResponse): void {
    this.#tag = null;
    this.#last = response;
  }
}

