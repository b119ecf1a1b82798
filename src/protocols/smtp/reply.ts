/**
 * SMTP replies (RFC 5321 §4.2): parsing multi-line replies strictly and with
 * bounds, and formatting them on the server side.
 *
 * A reply is one or more lines sharing one three-digit code; every line but
 * the last has a `-` after the code:
 *
 * ```text
 * 250-mail.example.org Hello
 * 250-AUTH SCRAM-SHA-256 PLAIN
 * 250 STARTTLS
 * ```
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';
import { quotePeerText } from '../../core/peer-text.js';
import type { LineTransport } from '../transport.js';
import { checkInteger, isIntegerIn } from '../../core/checks.js';

/** One complete SMTP reply. */
export interface SmtpReply {
  /** The three-digit reply code, e.g. `250`. */
  readonly code: number;
  /** The text of each line, after the code and its separator. */
  readonly lines: readonly string[];
  /**
   * The enhanced status code (RFC 3463, e.g. `'5.7.8'`) that starts the first
   * line's text, when present and of the same class as {@link SmtpReply.code}.
   */
  readonly enhancedStatus: string | null;
}

/** One parsed reply line. */
export interface SmtpReplyLine {
  /** The three-digit code. */
  readonly code: number;
  /** True for a continuation line (`250-...`): more lines follow. */
  readonly more: boolean;
  /** The text after the code and its separator (may be empty). */
  readonly text: string;
}

/** Bounds of `SmtpReplyParser`. */
export interface SmtpReplyLimits {
  /** Most lines one reply may have. Default 256. */
  readonly maxLines?: number;
  /** Longest line accepted, in characters. Default 16384. */
  readonly maxLineLength?: number;
}

/** Default of {@link SmtpReplyLimits.maxLines}. */
export const DEFAULT_MAX_REPLY_LINES = 256;
/**
 * Default of {@link SmtpReplyLimits.maxLineLength}: room for a 334 challenge
 * of 12288 octets (RFC 4954 §4) once base64-encoded.
 */
export const DEFAULT_MAX_REPLY_LINE_LENGTH = 16_384;

/** A reply that breaks RFC 5321's syntax or a configured bound. */
export class SmtpProtocolError extends SASLError {
  /**
   * Create the error.
   *
   * @param text - what was wrong (never echoes secrets; at most a short excerpt)
   */
  constructor(text: string) {
    super(null, 'SMTP protocol error', text);
  }
}

const REPLY_LINE = /^([2-5][0-5][0-9])(?:([ -])(.*))?$/s;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?= |$)/;

/** A short, printable excerpt of untrusted text for error messages. */
export function excerpt(text: string, max = 40): string {
  return quotePeerText(text, max);
}

/**
 * Parse one reply line.
 *
 * @param line - the line without CR LF
 * @throws {@link SmtpProtocolError} when it is not `code [("-" / SP) text]`
 *   or holds control characters other than TAB
 */
export function parseReplyLine(line: string): SmtpReplyLine {
  if (typeof line !== 'string') throw new SmtpProtocolError('reply line is not a string');
  const m = REPLY_LINE.exec(line);
  if (!m) throw new SmtpProtocolError(`malformed reply line ${excerpt(line)}`);
  const text = m[3] ?? '';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) throw new SmtpProtocolError('reply line holds control characters');
  return { code: Number(m[1]), more: m[2] === '-', text };
}

/**
 * Find the enhanced status code (RFC 3463) at the start of a reply text.
 *
 * @param code - the reply code; the status class must match its first digit
 * @param text - the first line's text
 * @returns e.g. `'5.7.8'`, or `null`
 */
export function parseEnhancedStatus(code: number, text: string): string | null {
  const m = ENHANCED.exec(text);
  if (!m || Number(m[1]) !== Math.floor(code / 100)) return null;
  return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
}

/**
 * The human-readable text of a reply: its lines joined by a space, with the
 * enhanced status code removed.
 *
 * @param reply - the reply
 */
export function replyText(reply: SmtpReply): string {
  const lines = [...reply.lines];
  if (reply.enhancedStatus && lines.length > 0) lines[0] = lines[0]!.replace(ENHANCED, '').trimStart();
  return lines.join(' ').trim();
}

/**
 * Assembles replies line by line, enforcing code consistency and the bounds.
 * Feed lines with {@link SmtpReplyParser.push}; it returns the reply once
 * its last line arrived.
 */
export class SmtpReplyParser {
  readonly #maxLines: number;
  readonly #maxLineLength: number;
  #code: number | null = null;
  #lines: string[] = [];

  /**
   * Create a parser with the given bounds.
   *
   * @param limits - see {@link SmtpReplyLimits}
   */
  constructor(limits: SmtpReplyLimits = {}) {
    this.#maxLines = positive(limits.maxLines, DEFAULT_MAX_REPLY_LINES, 'maxLines');
    this.#maxLineLength = positive(limits.maxLineLength, DEFAULT_MAX_REPLY_LINE_LENGTH, 'maxLineLength');
  }

  /**
   * Add one line.
   *
   * @param line - the line without CR LF
   * @returns the complete reply after its last line, else `null`
   * @throws {@link SmtpProtocolError} on a malformed line, a code that differs
   *   from the reply's first line, or a bound exceeded
   */
  push(line: string): SmtpReply | null {
    if (typeof line === 'string' && line.length > this.#maxLineLength) {
      throw new SmtpProtocolError(`reply line longer than ${this.#maxLineLength} characters`);
    }
    const parsed = parseReplyLine(line);
    if (this.#code !== null && parsed.code !== this.#code) {
      throw new SmtpProtocolError(`reply code changed from ${this.#code} to ${parsed.code} within one reply`);
    }
    if (this.#lines.length >= this.#maxLines) {
      throw new SmtpProtocolError(`reply has more than ${this.#maxLines} lines`);
    }
    this.#code = parsed.code;
    this.#lines.push(parsed.text);
    if (parsed.more) return null;
    const reply: SmtpReply = {
      code: parsed.code,
      lines: this.#lines,
      enhancedStatus: parseEnhancedStatus(parsed.code, this.#lines[0] ?? ''),
    };
    this.#code = null;
    this.#lines = [];
    return reply;
  }
}

/**
 * Read one complete reply from `transport`.
 *
 * @param transport - the connection
 * @param limits - see {@link SmtpReplyLimits}
 * @throws {@link SmtpProtocolError} on a malformed reply; the transport's
 *   own errors (timeout, closed connection) pass through
 */
export async function readReply(transport: LineTransport, limits: SmtpReplyLimits = {}): Promise<SmtpReply> {
  const parser = new SmtpReplyParser(limits);
  for (;;) {
    const reply = parser.push(await transport.readLine());
    if (reply) return reply;
  }
}

/**
 * Format a reply as wire lines (without CR LF), as a server sends it.
 *
 * @param code - the three-digit code
 * @param lines - the text of each line (at least one; may be empty strings)
 * @param enhancedStatus - an RFC 3463 code to put before each line's text
 * @throws {@link SASLError} on a code out of range or a line holding CR/LF
 */
export function formatReply(code: number, lines: readonly string[] | string, enhancedStatus?: string | null): string[] {
  if (!isIntegerIn(code, 200, 559)) {
    throw new SASLError(null, 'invalid argument', `not an SMTP reply code: ${String(code)}`);
  }
  const texts = typeof lines === 'string' ? [lines] : lines.length === 0 ? [''] : lines;
  return texts.map((t, i) => {
    if (/[\r\n]/.test(t)) throw new SASLError(null, 'invalid argument', 'reply text must not contain CR or LF');
    const text = enhancedStatus ? (t ? `${enhancedStatus} ${t}` : enhancedStatus) : t;
    const sep = i < texts.length - 1 ? '-' : ' ';
    return text || sep === '-' ? `${code}${sep}${text}` : `${code} `;
  });
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  return checkInteger(value, what);
}
