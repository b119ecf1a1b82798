/**
 * The client end of an IMAP connection, just enough for authentication:
 * tags, commands, reading responses up to the tagged completion, and
 * tracking the server's capabilities from every place it announces them.
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';
import type { LineTransport } from '../transport.js';
import { ImapCapabilities } from './capabilities.js';
import {
  ImapProtocolError,
  parseServerResponse,
  quoteImapText,
  type ImapResponseCode,
  type ImapServerResponse,
  type ImapTaggedResponse,
  type ImapUntaggedResponse,
} from './response.js';

/** Options of {@link ImapClientChannel}. */
export interface ImapClientChannelOptions {
  /** Tag prefix; tags are the prefix and a counter (`A1`, `A2`, ...). Default `'A'`. */
  readonly tagPrefix?: string;
  /**
   * The most untagged responses accepted while waiting for one command's
   * completion, so a hostile server cannot keep a client reading forever.
   * Default 1000.
   */
  readonly maxUntaggedPerCommand?: number;
  /** Called with each untagged response, e.g. to log it. */
  readonly onUntagged?: (response: ImapUntaggedResponse) => void;
}

/** The server greeting (RFC 9051 §7.1.1, §7.1.4, §7.1.5). */
export interface ImapGreeting {
  /** `OK` (log in next), `PREAUTH` (already authenticated) or `BYE` (refused). */
  readonly status: 'OK' | 'PREAUTH' | 'BYE';
  /** The response code, e.g. `[CAPABILITY ...]`. */
  readonly code: ImapResponseCode | null;
  /** The greeting text. */
  readonly text: string;
}

/** A completed command: its tagged response and the untagged responses before it. */
export interface ImapCommandResult {
  /** The tagged completion. */
  readonly tagged: ImapTaggedResponse;
  /** Untagged responses received while the command ran. */
  readonly untagged: readonly ImapUntaggedResponse[];
}

/** The server said `BYE`: it is closing the connection. */
export class ImapByeError extends SASLError {
  /**
   * Create the error.
   *
   * @param text - the server's BYE text (quoted, bounded)
   */
  constructor(text: string) {
    super(null, 'IMAP connection closed by server', text);
  }
}

/**
 * Client side of an IMAP connection over a {@link LineTransport}. One command
 * at a time; not a full IMAP client (no literals, no mailbox state): the
 * authentication phase and what surrounds it.
 */
export class ImapClientChannel {
  /** The transport; exposed so a caller can upgrade it (STARTTLS) or close it. */
  readonly transport: LineTransport;
  readonly #prefix: string;
  readonly #maxUntagged: number;
  readonly #onUntagged: ((response: ImapUntaggedResponse) => void) | null;
  #counter = 0;
  #capabilities: ImapCapabilities | null = null;

  /**
   * Wrap a connected transport; nothing is read or sent yet.
   *
   * @param transport - a connected line transport
   * @param options - see {@link ImapClientChannelOptions}
   */
  constructor(transport: LineTransport, options: ImapClientChannelOptions = {}) {
    this.transport = transport;
    this.#prefix = options.tagPrefix ?? 'A';
    if (!/^[A-Za-z]{1,8}$/.test(this.#prefix)) throw new SASLError(null, 'invalid argument', 'tagPrefix must be 1 to 8 ASCII letters');
    this.#maxUntagged = options.maxUntaggedPerCommand ?? 1000;
    this.#onUntagged = options.onUntagged ?? null;
  }

  /** The capabilities last announced by the server, or `null` if none yet. */
  get capabilities(): ImapCapabilities | null {
    return this.#capabilities;
  }

  /**
   * Forget the known capabilities (after STARTTLS, RFC 9051 §6.2.1: the
   * client must discard them).
   */
  forgetCapabilities(): void {
    this.#capabilities = null;
  }

  /** A fresh tag. */
  nextTag(): string {
    this.#counter++;
    return `${this.#prefix}${this.#counter}`;
  }

  /**
   * Read the greeting; remembers a `[CAPABILITY ...]` code in it.
   *
   * @throws {@link ImapByeError} when the server refuses the connection
   */
  async readGreeting(): Promise<ImapGreeting> {
    const response = await this.readResponse();
    if (response.kind !== 'untagged' || !['OK', 'PREAUTH', 'BYE'].includes(response.name)) {
      throw new ImapProtocolError('the server did not send an IMAP greeting');
    }
    this.#noteCode(response.code);
    if (response.name === 'BYE') throw new ImapByeError(quoteImapText(response.text));
    return { status: response.name as 'OK' | 'PREAUTH', code: response.code, text: response.text };
  }

  /**
   * Send a command line (`<tag> <command>`).
   *
   * @param tag - from {@link nextTag}
   * @param command - the command and arguments, without the tag
   */
  async send(tag: string, command: string): Promise<void> {
    await this.transport.writeLine(`${tag} ${command}`);
  }

  /**
   * Read one response line, noting capabilities announced in it.
   *
   * @throws {@link ImapProtocolError} for a line that is not an IMAP response
   */
  async readResponse(): Promise<ImapServerResponse> {
    const response = parseServerResponse(await this.transport.readLine());
    if (response.kind === 'untagged') {
      if (response.name === 'CAPABILITY') this.#capabilities = ImapCapabilities.parse(response.text);
      else this.#noteCode(response.code);
    } else if (response.kind === 'tagged') {
      this.#noteCode(response.code);
    }
    return response;
  }

  /**
   * Read responses until the tagged completion of `tag`; untagged ones are
   * collected (bounded), a continuation request is a protocol error.
   *
   * @param tag - the command's tag
   * @throws {@link ImapByeError} when the server says BYE,
   *   {@link ImapProtocolError} for anything unexpected
   */
  async readCompletion(tag: string): Promise<ImapCommandResult> {
    const untagged: ImapUntaggedResponse[] = [];
    for (;;) {
      const response = await this.readResponse();
      if (response.kind === 'tagged') {
        if (response.tag !== tag) throw new ImapProtocolError(`unexpected tag ${quoteImapText(response.tag)} (waiting for ${tag})`);
        return { tagged: response, untagged };
      }
      if (response.kind === 'continuation') throw new ImapProtocolError('unexpected continuation request');
      this.noteUntagged(response, untagged.length);
      untagged.push(response);
    }
  }

  /**
   * Account for an untagged response received during a command: report it,
   * enforce the bound, and stop on `BYE`.
   *
   * @param response - the untagged response
   * @param seen - how many this command has received before it
   */
  noteUntagged(response: ImapUntaggedResponse, seen: number): void {
    this.#onUntagged?.(response);
    if (response.name === 'BYE') throw new ImapByeError(quoteImapText(response.text));
    if (seen + 1 > this.#maxUntagged) throw new ImapProtocolError(`more than ${this.#maxUntagged} untagged responses to one command`);
  }

  /**
   * Run a command to completion.
   *
   * @param command - the command without its tag, e.g. `'CAPABILITY'`
   */
  async command(command: string): Promise<ImapCommandResult> {
    const tag = this.nextTag();
    await this.send(tag, command);
    return this.readCompletion(tag);
  }

  /**
   * Ask for the capabilities (`CAPABILITY`).
   *
   * @throws {@link ImapProtocolError} when the server does not answer with them
   */
  async capability(): Promise<ImapCapabilities> {
    this.#capabilities = null;
    const { tagged } = await this.command('CAPABILITY');
    if (tagged.status !== 'OK') throw new ImapProtocolError(`CAPABILITY failed: ${tagged.status} ${quoteImapText(tagged.text)}`);
    if (!this.#capabilities) throw new ImapProtocolError('the server answered CAPABILITY without capabilities');
    return this.#capabilities;
  }

  #noteCode(code: ImapResponseCode | null): void {
    if (code?.name === 'CAPABILITY') this.#capabilities = ImapCapabilities.parse(code.args ?? '');
  }
}
