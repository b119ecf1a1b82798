/**
 * What the client command adds to an error: a hint saying what to do (a
 * TLS port spoken to with STARTTLS or the other way round, an unknown CA, a
 * name mismatch, nothing listening), and the JSON object `--json` prints on
 * failure. Hints travel on the error as a `hint` property, which `main.ts`
 * prints on a line of its own.
 *
 * @module
 */
import { AuthenticationFailure, SASLError } from '../core/errors.js';
import { EXIT, UsageError } from './args.js';
import { decisiveError, isClientRefusal, isServerRefusal } from './attempts.js';

/** The user interrupted a prompt (Ctrl-C): exit status 130, as a shell reports SIGINT. */
export class Interrupted extends Error {
  /** @param message - what was interrupted */
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'Interrupted';
  }
}

/** Exit status 130 for {@link Interrupted} (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** What the connection was asked to do, for the hint. */
export interface HintContext {
  /** `--tls` (implicit), `--starttls` or `--plain`. */
  readonly security: 'implicit' | 'starttls' | 'none';
  /** The port connected to. */
  readonly port: number;
  /** The protocol. */
  readonly protocol: string;
}

const IMPLICIT_PORTS: Readonly<Record<string, number>> = { imap: 993, smtp: 465, xmpp: 5223 };
const STARTTLS_PORTS: Readonly<Record<string, string>> = { imap: '143', smtp: '25 or 587', xmpp: '5222' };

/** Every message in the error and its causes, for matching (never printed). */
function messagesOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof SASLError) parts.push(e.kind, e.text ?? '', e.message);
    else if (e instanceof Error) parts.push(e.message, String((e as { code?: unknown }).code ?? ''));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join('\n');
}

/**
 * A hint for an error of the client command, or `null` when there is
 * nothing useful to add.
 *
 * @param err - what the command threw
 * @param context - how it connected
 */
export function hintFor(err: unknown, context: HintContext): string | null {
  if (err instanceof AuthenticationFailure || err instanceof UsageError) return null;
  const text = messagesOf(err);
  if (/wrong version number|WRONG_VERSION_NUMBER|packet length too long|unknown protocol/i.test(text)) {
    return context.security === 'implicit'
      ? `the server did not answer TLS on port ${context.port}: it probably expects STARTTLS there; use --starttls (or ${context.protocol}:// instead of ${context.protocol}s://), or its TLS port (${IMPLICIT_PORTS[context.protocol] ?? 'see its docs'})`
      : 'the TLS handshake failed: the server may speak TLS from the first byte on this port; try --tls';
  }
  if (/self[- ]signed certificate|unable to get local issuer certificate|unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT|certificate has expired/i.test(text)) {
    return "the server's certificate is not signed by a CA this client trusts: give that CA with --ca FILE (PEM), or, against a test server only, --insecure";
  }
  if (/does not match certificate|ERR_TLS_CERT_ALTNAME_INVALID/i.test(text)) {
    return "the server's certificate names another host: connect by that name, or give it with --servername NAME";
  }
  if (/ECONNREFUSED/i.test(text)) {
    return `nothing accepts connections on port ${context.port}; the usual ports are ${STARTTLS_PORTS[context.protocol] ?? '?'} (STARTTLS) and ${IMPLICIT_PORTS[context.protocol] ?? '?'} (TLS)`;
  }
  if (/timed? ?out|ETIMEDOUT/i.test(text) && context.security === 'starttls') {
    return 'no answer in time: if this is a TLS port (993, 465, 5223), use --tls';
  }
  if (context.protocol === 'xmpp' && /host-unknown/.test(text)) {
    return 'the server does not serve this XMPP domain (by default the host): give its domain with --domain NAME';
  }
  if (context.security === 'starttls' && /connection closed by peer|ECONNRESET|socket hang up|closed the connection/i.test(text)) {
    return `the server closed the connection before answering: if this is a TLS port (${IMPLICIT_PORTS[context.protocol] ?? 'see its docs'}), use --tls${context.protocol === 'xmpp' ? ' (or xmpps://)' : ''}`;
  }
  if (/STARTTLS/i.test(text) && /not (offered|supported|advertised)/i.test(text)) {
    return 'the server offers no STARTTLS here: use its TLS port with --tls, or (tests only) --plain';
  }
  return null;
}

/**
 * The exit status for an error, the same whatever the mechanism: 1 when the
 * server refused the credentials or the authorization, 4 when the client
 * refused the server's part of the exchange, 2 for a usage error, 130 for
 * Ctrl-C at a prompt, 3 for everything else (connection, TLS, protocol, no
 * mechanism in common). With several attempts, the decisive one decides
 * (see {@link decisiveError}).
 *
 * @param err - what the command threw
 */
export function exitStatusFor(err: unknown): number {
  if (err instanceof Interrupted) return EXIT_INTERRUPTED;
  if (err instanceof UsageError) return EXIT.usage;
  const { error } = decisiveError(err);
  if (isServerRefusal(error)) return EXIT.authenticationFailed;
  if (isClientRefusal(error)) return EXIT.clientRefused;
  return EXIT.failure;
}

/**
 * A message with OpenSSL's raw error lines cut to their reason:
 * `40B8...:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:../ssl3_record.c:354:\n` becomes `wrong version number`; no
 * trailing newline.
 *
 * @param text - a message
 */
export function trimOpenSSL(text: string): string {
  return text.replace(/(?:[0-9A-F]{8,}:)?error:[0-9A-F]{8}:[^:\n]*:[^:\n]*:([^:\n]+)[^\n]*\n?/g, '$1').trimEnd();
}

/**
 * The JSON object `--json` prints when the command fails: never a secret
 * (saslkit's errors carry none, and no option value is echoed).
 *
 * @param err - what the command threw
 * @param hint - see {@link hintFor}
 */
export function failureJson(err: unknown, hint: string | null): Record<string, unknown> {
  const base = { ok: false, exitStatus: exitStatusFor(err) };
  err = decisiveError(err).error;
  if (err instanceof SASLError) {
    return { ...base, error: err.kind, condition: err.opaqueError, message: trimOpenSSL(err.text ?? err.message), hint };
  }
  return { ...base, error: err instanceof Error ? err.name : 'Error', condition: null, message: trimOpenSSL(err instanceof Error ? err.message : String(err)), hint };
}
