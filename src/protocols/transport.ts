/**
 * The small transport abstraction the line-based protocol adapters (IMAP,
 * SMTP, the gsasl base64-line format) run over, so a user's own connection
 * (a Node socket, a WebSocket, a test pipe) can plug in.
 *
 * @module
 */

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
}
