/**
 * Reading the base64 data a server puts in a challenge, liberally where that
 * is harmless (RFC 1122 §1.2.2's robustness principle): the client decodes
 * what real servers send; saslkit's own servers send the strict form.
 *
 * @module
 */
import { base64Decode } from '../core/bytes.js';

/**
 * Decode the text of a line-based challenge, SMTP's `334 <text>` (RFC 4954
 * §4) or IMAP's `+ <text>` (RFC 9051 §7.5 / RFC 3501 §7.5): the first
 * space-separated word is the base64 data, and words after it are ignored.
 * Some servers append human text (`334 VXNlcm5hbWU6 some trailing words`),
 * which cannot be base64 data, as base64 holds no space. Surrounding spaces
 * and tabs are ignored; no text at all is an empty challenge. The word itself
 * is decoded strictly (RFC 4648 §4, padding included).
 *
 * @param text - the text after `334 ` or `+ `
 * @param what - what it is, for the error message
 * @returns the challenge data
 * @throws {@link SASLFailure} with condition `incorrect-encoding` when the
 *   first word is not base64
 */
export function decodeChallengeText(text: string, what: string): Uint8Array {
  const word = /^[ \t]*([^ \t]*)/.exec(text)![1]!;
  return base64Decode(word, what);
}

/**
 * Decode base64 character data that may be broken by XML whitespace (space,
 * tab, CR, LF: XML 1.0 §2.3 `S`), as a server that wraps or indents its
 * `<challenge/>` or `<success/>` text sends it. RFC 4648 §3.1/§3.3 let the
 * referring protocol decide; RFC 6120 §6.4.2 asks the sender for plain
 * base64, so saslkit's XMPP server stays strict with what clients send,
 * while its client accepts the whitespace, which cannot change the data.
 *
 * @param text - the character data
 * @param what - what it is, for the error message
 * @returns the data
 * @throws {@link SASLFailure} with condition `incorrect-encoding` when the
 *   rest is not base64
 */
export function decodeSpacedBase64(text: string, what: string): Uint8Array {
  return base64Decode(text.replace(/[ \t\r\n]+/g, ''), what);
}
