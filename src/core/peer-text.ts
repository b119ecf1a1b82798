/**
 * Text a peer sent, made fit for an error message or a log line. A hostile
 * peer must not be able to forge log lines (CR/LF), hide text (bidi and other
 * format characters) or fill logs (megabytes), so every error that quotes the
 * peer goes through one of these two functions.
 *
 * @module
 */

/** Control, format, surrogate, private-use and unassigned characters, and line/paragraph separators. */
const UNSAFE = /[\p{C}\p{Zl}\p{Zp}]/gu;
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;

function cut(text: string, max: number): [string, boolean] {
  return text.length > max ? [text.slice(0, max), true] : [text, false];
}

/**
 * Peer text for a human-readable message, keeping printable Unicode (a
 * server's localised failure text stays readable): unsafe characters become
 * `?` and the text is cut to `max` characters (then `...` is appended).
 *
 * @param text - text received from the peer
 * @param max - the most characters kept
 */
export function peerText(text: string, max = 200): string {
  const [head, truncated] = cut(String(text), max);
  // Replace after cutting: the cut may split a surrogate pair, and the lone
  // half is then replaced too.
  return head.replace(UNSAFE, '?') + (truncated ? '...' : '');
}

/**
 * Quote peer text for a diagnostic: printable ASCII only (anything else
 * becomes `?`), cut to `max` characters, in double quotes.
 *
 * @param text - text received from the peer
 * @param max - the most characters kept
 */
export function quotePeerText(text: string, max = 80): string {
  const [head, truncated] = cut(String(text), max);
  return JSON.stringify(head.replace(NOT_PRINTABLE_ASCII, '?') + (truncated ? '...' : ''));
}
