/**
 * SCRAM's four messages (RFC 5802 §7), each with a parser and a printer, as
 * GNU SASL keeps them (tokens, parser, printer) apart from the exchange:
 *
 * ```
 * client-first-message = gs2-header client-first-message-bare
 * client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
 * server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
 * client-final-message = client-final-message-without-proof "," proof
 * client-final-message-without-proof = channel-binding "," nonce ["," extensions]
 * server-final-message = (server-error / verifier) ["," extensions]
 * ```
 *
 * Parsers are strict and bounded ({@link SCRAM_MAX_MESSAGE_LENGTH}) and throw
 * a `malformed-request` {@link SASLFailure} saying what is wrong. They check
 * the grammar only; whether a nonce extends the client's, or an iteration
 * count is acceptable, is the exchange's business (mechanisms/scram.ts,
 * mechanisms/scram-server.ts). The texts kept for AuthMessage (`bare`,
 * `text`, `withoutProof`) are the bytes as sent.
 *
 * @module
 */
import { base64Encode } from '../core/bytes.js';
import { SASLFailure } from '../core/errors.js';
import { escapeSaslname, parseGs2Header, printGs2Header, unescapeSaslname, type Gs2Fields, type Gs2Header } from '../core/gs2.js';
import {
  checkExtensions,
  checkNonce,
  decodeBase64Field,
  decodeMessage,
  expectAttribute,
  malformed,
  parseAttributes,
  parsePositiveInteger,
  readMessage,
} from './attributes.js';

/** The server-error-values of RFC 5802 §7, sent as `e=<value>` in server-final-message. */
export type ScramServerError =
  | 'invalid-encoding'
  | 'extensions-not-supported'
  | 'invalid-proof'
  | 'channel-bindings-dont-match'
  | 'server-does-support-channel-binding'
  | 'channel-binding-not-supported'
  | 'unsupported-channel-binding-type'
  | 'unknown-user'
  | 'invalid-username-encoding'
  | 'no-resources'
  | 'other-error';

// ---------------------------------------------------------------------------
// client-first-message

/** A client-first-message. */
export interface ClientFirstMessage {
  /** The GS2 header, parsed, with its text (for `c=`). */
  readonly gs2: Gs2Header;
  /** The `n=` saslname after unescaping, before SASLprep. */
  readonly username: string;
  /** The client nonce (`r=`). */
  readonly nonce: string;
  /** client-first-message-bare, part of AuthMessage. */
  readonly bare: string;
}

/**
 * Parse a client-first-message.
 *
 * @param bytes - the message
 * @throws {@link SASLFailure} `malformed-request`, also for a mandatory extension (`m=`)
 */
export function parseClientFirst(bytes: Uint8Array): ClientFirstMessage {
  const gs2 = parseGs2Header(decodeMessage(bytes, 'client-first-message'), 'client-first-message');
  const attrs = parseAttributes(gs2.rest, 'client-first-message');
  if (attrs[0]?.name === 'm') throw new SASLFailure('malformed-request', 'SCRAM: mandatory extension (m=) not supported');
  const username = unescapeSaslname(expectAttribute(attrs, 0, 'n', 'client-first-message'), 'username');
  const nonce = checkNonce(expectAttribute(attrs, 1, 'r', 'client-first-message'), 'client nonce');
  return { gs2, username, nonce, bare: gs2.rest };
}

/** A printed client-first-message and the parts AuthMessage and `c=` need. */
export interface PrintedClientFirst {
  /** The GS2 header. */
  readonly gs2Header: string;
  /** client-first-message-bare. */
  readonly bare: string;
  /** The whole message. */
  readonly message: string;
}

/**
 * Print a client-first-message.
 *
 * @param gs2 - the GS2 header's fields
 * @param username - the prepared (SASLprep) username
 * @param nonce - the client nonce (printable, checked by the caller)
 */
export function printClientFirst(gs2: Gs2Fields, username: string, nonce: string): PrintedClientFirst {
  const gs2Header = printGs2Header(gs2);
  const bare = `n=${escapeSaslname(username)},r=${nonce}`;
  return { gs2Header, bare, message: gs2Header + bare };
}

// ---------------------------------------------------------------------------
// server-first-message

/** A server-first-message. */
export interface ServerFirstMessage {
  /** The combined nonce (`r=`): client nonce + server nonce. */
  readonly nonce: string;
  /** The salt (`s=`), decoded, non-empty. */
  readonly salt: Uint8Array;
  /** The iteration count (`i=`), a positive integer. */
  readonly iterations: number;
  /** The message as received, part of AuthMessage. */
  readonly text: string;
}

/**
 * Parse a server-first-message.
 *
 * @param bytes - the message
 * @throws {@link SASLFailure} `malformed-request`; with condition `null` for
 *   a mandatory extension (`m=`), which is well-formed but unsupported
 */
export function parseServerFirst(bytes: Uint8Array): ServerFirstMessage {
  const { text, attrs } = readMessage(bytes, 'server-first-message');
  if (attrs[0]?.name === 'm') throw new SASLFailure(null, 'SCRAM: the server requires an unsupported mandatory extension (m=)');
  const nonce = checkNonce(expectAttribute(attrs, 0, 'r', 'server-first-message'), 'nonce');
  const salt = decodeBase64Field(expectAttribute(attrs, 1, 's', 'server-first-message'), 'salt');
  if (salt.length === 0) malformed('salt is empty');
  const iterations = parsePositiveInteger(expectAttribute(attrs, 2, 'i', 'server-first-message'), 'iteration count');
  checkExtensions(attrs, 3, 'server-first-message');
  return { nonce, salt, iterations, text };
}

/**
 * Print a server-first-message.
 *
 * @param nonce - the combined nonce
 * @param salt - the salt
 * @param iterations - the iteration count
 */
export function printServerFirst(nonce: string, salt: Uint8Array, iterations: number): string {
  return `r=${nonce},s=${base64Encode(salt)},i=${iterations}`;
}

// ---------------------------------------------------------------------------
// client-final-message

/** A client-final-message. */
export interface ClientFinalMessage {
  /** `c=`, decoded: the GS2 header followed by the channel-binding data. */
  readonly channelBinding: Uint8Array;
  /** The combined nonce (`r=`), unchecked: the exchange compares it. */
  readonly nonce: string;
  /** The proof (`p=`), decoded. */
  readonly proof: Uint8Array;
  /** client-final-message-without-proof, part of AuthMessage. */
  readonly withoutProof: string;
}

/**
 * Parse a client-final-message.
 *
 * @param bytes - the message
 * @throws {@link SASLFailure} `malformed-request`
 */
export function parseClientFinal(bytes: Uint8Array): ClientFinalMessage {
  const { text, attrs } = readMessage(bytes, 'client-final-message');
  const channelBinding = decodeBase64Field(expectAttribute(attrs, 0, 'c', 'client-final-message'), 'channel binding');
  const nonce = expectAttribute(attrs, 1, 'r', 'client-final-message');
  const last = attrs[attrs.length - 1]!;
  if (attrs.length < 3 || last.name !== 'p') malformed("client-final-message must end with the proof 'p='");
  const proof = decodeBase64Field(last.value, 'proof');
  return { channelBinding, nonce, proof, withoutProof: text.slice(0, text.length - last.value.length - 3) };
}

/**
 * Print client-final-message-without-proof.
 *
 * @param channelBinding - the GS2 header followed by the channel-binding data
 * @param nonce - the combined nonce
 */
export function printClientFinalWithoutProof(channelBinding: Uint8Array, nonce: string): string {
  return `c=${base64Encode(channelBinding)},r=${nonce}`;
}

/**
 * Print a client-final-message.
 *
 * @param withoutProof - from {@link printClientFinalWithoutProof}
 * @param proof - the ClientProof
 */
export function printClientFinal(withoutProof: string, proof: Uint8Array): string {
  return `${withoutProof},p=${base64Encode(proof)}`;
}

// ---------------------------------------------------------------------------
// server-final-message

/** A server-final-message: the server's signature, or its error. */
export type ServerFinalMessage =
  | { /** The ServerSignature (`v=`), decoded. */ readonly verifier: Uint8Array; readonly error?: undefined }
  | {
      /**
       * The server-error-value (`e=`); a value that is not a short token is
       * read as `'other-error'`, so a hostile server cannot put arbitrary
       * text (newlines, megabytes) into the caller's logs.
       */
      readonly error: string;
      readonly verifier?: undefined;
    };

/**
 * Parse a server-final-message.
 *
 * @param bytes - the message
 * @throws {@link SASLFailure} `malformed-request`
 */
export function parseServerFinal(bytes: Uint8Array): ServerFinalMessage {
  const { attrs } = readMessage(bytes, 'server-final-message');
  const first = attrs[0]!;
  if (first.name === 'e') return { error: /^[a-z0-9-]{1,64}$/.test(first.value) ? first.value : 'other-error' };
  const verifier = decodeBase64Field(expectAttribute(attrs, 0, 'v', 'server-final-message'), 'server signature');
  checkExtensions(attrs, 1, 'server-final-message');
  return { verifier };
}

/**
 * Print a server-final-message.
 *
 * @param message - the ServerSignature, or a server-error-value
 */
export function printServerFinal(message: { readonly verifier: Uint8Array } | { readonly error: ScramServerError }): string {
  return 'error' in message ? `e=${message.error}` : `v=${base64Encode(message.verifier)}`;
}
