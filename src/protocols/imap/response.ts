/**
 * Reading IMAP server responses (RFC 9051 §7, RFC 3501 §7): tagged status
 * responses, untagged data, continuation requests, and response codes.
 * Only what a SASL client needs is parsed; the rest is kept as text.
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';
import { quotePeerText } from '../../core/peer-text.js';

/** The server broke the IMAP protocol (a line we cannot parse, an unknown tag). */
export class ImapProtocolError extends SASLError {
  /**
   * Create the error.
   *
   * @param text - what was wrong (bounded, never a secret)
   */
  constructor(text: string) {
    super(null, 'IMAP protocol error', text);
  }
}

/** A response code: `[NAME args]` (RFC 9051 §7.1), the name in upper case. */
export interface ImapResponseCode {
  /** The code's atom, upper-cased, e.g. `'AUTHENTICATIONFAILED'`, `'CAPABILITY'`. */
  readonly name: string;
  /** The rest inside the brackets, or `null` when there is none. */
  readonly args: string | null;
}

/** A status the server answers a command with. */
export type ImapStatus = 'OK' | 'NO' | 'BAD';

/** A tagged status response: `tag OK|NO|BAD [code] text`. */
export interface ImapTaggedResponse {
  /** Discriminant. */
  readonly kind: 'tagged';
  /** The tag of the command this completes. */
  readonly tag: string;
  /** The status. */
  readonly status: ImapStatus;
  /** The response code, if any. */
  readonly code: ImapResponseCode | null;
  /** The human-readable text. */
  readonly text: string;
}

/** An untagged response: `* ...`. */
export interface ImapUntaggedResponse {
  /** Discriminant. */
  readonly kind: 'untagged';
  /**
   * The first word in upper case: a status (`OK`, `NO`, `BAD`, `BYE`,
   * `PREAUTH`), a data name (`CAPABILITY`, `FLAGS`), or a number (`3` of `* 3 EXISTS`).
   */
  readonly name: string;
  /** The response code of a status response, else `null`. */
  readonly code: ImapResponseCode | null;
  /** Everything after the name (and after the code, for a status response). */
  readonly text: string;
}

/** A continuation request: `+ text` (for AUTHENTICATE, base64 data). */
export interface ImapContinuation {
  /** Discriminant. */
  readonly kind: 'continuation';
  /** The text after `+ ` (empty for a bare `+`). */
  readonly text: string;
}

/** Any line an IMAP server sends. */
export type ImapServerResponse = ImapTaggedResponse | ImapUntaggedResponse | ImapContinuation;

const STATUS_NAMES: ReadonlySet<string> = new Set(['OK', 'NO', 'BAD', 'BYE', 'PREAUTH']);
/** tag = 1*<any ASTRING-CHAR except "+"> (RFC 9051 §9). */
const TAG = /^[\x21-\x7e]+$/;
const TAG_EXCLUDED = /[(){%*"\\+]/;

/**
 * Quote text the server sent for an error message: printable ASCII, bounded.
 *
 * @param text - text received from the peer
 */
export function quoteImapText(text: string): string {
  return quotePeerText(text, 100);
}

/** Check a tag: 1*<ASTRING-CHAR except "+">. */
export function isImapTag(tag: string): boolean {
  return TAG.test(tag) && !TAG_EXCLUDED.test(tag);
}

/** A status text split into its response code and the human-readable rest. */
export interface ImapCodeAndText {
  /** The response code, or `null` when the text has none. */
  readonly code: ImapResponseCode | null;
  /** The text after the code. */
  readonly text: string;
}

/**
 * Split an optional response code off the start of `text`.
 *
 * @param text - the text after a status word
 * @returns the code (or `null`) and the remaining human-readable text
 */
export function parseResponseCode(text: string): ImapCodeAndText {
  if (!text.startsWith('[')) return { code: null, text };
  const close = text.indexOf(']');
  if (close < 0) throw new ImapProtocolError(`unterminated response code in ${quoteImapText(text)}`);
  const inner = text.slice(1, close);
  const space = inner.indexOf(' ');
  const name = (space < 0 ? inner : inner.slice(0, space)).toUpperCase();
  if (!/^[A-Z0-9.\-_]+$/.test(name)) throw new ImapProtocolError(`bad response code ${quoteImapText(inner)}`);
  const args = space < 0 ? null : inner.slice(space + 1);
  return { code: { name, args }, text: text.slice(close + 1).replace(/^ /, '') };
}

/**
 * Parse one server line (without CRLF).
 *
 * @param line - the line
 * @returns the parsed response
 * @throws {@link ImapProtocolError} when the line is not an IMAP response
 */
export function parseServerResponse(line: string): ImapServerResponse {
  if (line === '+' || line.startsWith('+ ')) return { kind: 'continuation', text: line.slice(2) };
  const space = line.indexOf(' ');
  if (space <= 0) throw new ImapProtocolError(`not an IMAP response: ${quoteImapText(line)}`);
  const first = line.slice(0, space);
  const rest = line.slice(space + 1);
  const nameEnd = rest.indexOf(' ');
  const word = (nameEnd < 0 ? rest : rest.slice(0, nameEnd)).toUpperCase();
  const after = nameEnd < 0 ? '' : rest.slice(nameEnd + 1);
  if (first === '*') {
    if (word.length === 0) throw new ImapProtocolError(`empty untagged response: ${quoteImapText(line)}`);
    if (STATUS_NAMES.has(word)) {
      const { code, text } = parseResponseCode(after);
      return { kind: 'untagged', name: word, code, text };
    }
    return { kind: 'untagged', name: word, code: null, text: after };
  }
  if (!isImapTag(first)) throw new ImapProtocolError(`bad tag in ${quoteImapText(line)}`);
  if (word !== 'OK' && word !== 'NO' && word !== 'BAD') {
    throw new ImapProtocolError(`tagged response without OK/NO/BAD: ${quoteImapText(line)}`);
  }
  const { code, text } = parseResponseCode(after);
  return { kind: 'tagged', tag: first, status: word, code, text };
}
