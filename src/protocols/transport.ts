/**
 * The small transport abstraction the line-based protocol adapters (IMAP,
 * SMTP, the gsasl base64-line format) run over, so a user's own connection
 * (a Node socket, a WebSocket, a test pipe) can plug in.
 *
 * @module
 */
import type { SASLInterface } from '../core/interface.js';

/**
 * A bidirectional stream of text lines (CRLF-terminated on the wire).
 * Implementations bound line length and time out reads, rejecting with a
 * {@link SASLError}-family error.
 */
export interface LineTransport {
  /** Read the next line, without its line terminator. */
  readLine(): Promise<string>;
  /** Write `line` followed by CRLF. */
  writeLine(line: string): Promise<void>;
  /** Close the connection; further reads reject. */
  close(): void;
  /**
   * Whether the connection is protected from eavesdroppers (TLS). Absent
   * means not known to be secure. The client adapters report it as their
   * {@link SASLInterface.secure}, which PLAIN and LOGIN check before
   * sending a password.
   */
  readonly secure?: boolean;
}
