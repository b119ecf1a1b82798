/**
 * IMAP's SASL profile, server side (RFC 9051 §6.2.2, RFC 4959): the
 * capabilities a connection announces before authentication and
 * {@link serveAuthenticate}, which runs one AUTHENTICATE command over any
 * {@link LineTransport} — the part an existing IMAP server embeds, apart
 * from the demo session in `./server.ts`.
 *
 * @module
 */
import { base64Decode, base64Encode } from '../../core/bytes.js';
import type { AuthOutcome, ServerExchange, ServerResult } from '../../server/exchange.js';
import { failure, type ServerConnection, type ServerFailure } from '../../server/mechanism.js';
import type { SASLServer } from '../../server/server.js';
import type { LineTransport } from '../transport.js';
import { IMAP_FAILURE_FORMS } from './conditions.js';
import { isMechanismName } from '../../core/mechanism-name.js';

/** Options that decide the capability list; see {@link imapCapabilities}. */
export interface ImapCapabilityOptions {
  /** Base capabilities, before the SASL ones. Default `['IMAP4rev1']`. */
  readonly capabilities?: readonly string[];
  /** Advertise and accept initial responses (RFC 4959 `SASL-IR`). Default true. */
  readonly saslIR?: boolean;
  /** Accept the LOGIN command (run through the PLAIN mechanism). Default true. */
  readonly allowLogin?: boolean;
}

/**
 * The capabilities to announce before authentication on `connection`:
 * the base list, `SASL-IR`, `STARTTLS` when the connection can still be
 * upgraded, `LOGINDISABLED` when LOGIN would be refused (no TLS yet, or no
 * PLAIN), and `AUTH=` for each mechanism the SASL server offers here.
 *
 * @param sasl - the SASL server
 * @param connection - the connection state
 * @param options - base list and features
 * @param canStartTLS - whether STARTTLS is available on this connection
 */
export function imapCapabilities(sasl: SASLServer, connection: ServerConnection, options: ImapCapabilityOptions = {}, canStartTLS = false): string[] {
  const caps = [...(options.capabilities ?? ['IMAP4rev1'])];
  if (options.saslIR ?? true) caps.push('SASL-IR');
  if (canStartTLS && !connection.secure) caps.push('STARTTLS');
  if (!loginAllowed(sasl, connection, options)) caps.push('LOGINDISABLED');
  for (const m of sasl.advertise(connection)) caps.push(`AUTH=${m}`);
  return caps;
}

/** @internal whether the LOGIN command may run on `connection` (the session's LOGIN uses it) */
export function loginAllowed(sasl: SASLServer, connection: ServerConnection, options: ImapCapabilityOptions): boolean {
  return (options.allowLogin ?? true) && sasl.advertise(connection).includes('PLAIN');
}

/** One AUTHENTICATE or LOGIN command succeeded. */
export interface ImapAuthSuccess {
  /** Discriminant. */
  readonly kind: 'success';
  /** Who authenticated. */
  readonly outcome: AuthOutcome;
}

/** One AUTHENTICATE or LOGIN command failed (the tagged NO/BAD was sent). */
export interface ImapAuthFailure {
  /** Discriminant. */
  readonly kind: 'failure';
  /** The failure and its condition. */
  readonly failure: ServerFailure;
}

/** How one AUTHENTICATE or LOGIN command ended. */
export type ImapAuthResult = ImapAuthSuccess | ImapAuthFailure;

/** What {@link serveAuthenticate} needs. */
export interface ImapAuthenticateRequest {
  /** The command's tag. */
  readonly tag: string;
  /** The arguments after `AUTHENTICATE `: the mechanism and, with SASL-IR, the initial response. */
  readonly args: string;
  /** The SASL server. */
  readonly sasl: SASLServer;
  /** The connection state. */
  readonly connection: ServerConnection;
  /** Accept an initial response with the command (SASL-IR). Default true. */
  readonly saslIR?: boolean;
  /**
   * The capabilities for the tagged OK's `[CAPABILITY ...]` code (the
   * post-login list, RFC 9051 §6.2.2). Default: no code.
   */
  readonly capabilitiesAfter?: readonly string[];
}



/** @internal the tagged NO/BAD line of a failure (RFC 5530 codes) */
export function taggedFailure(tag: string, f: ServerFailure): string {
  const form = IMAP_FAILURE_FORMS[f.condition];
  return `${tag} ${form.status} ${form.code ? `[${form.code}] ` : ''}${form.text}`;
}

/** @internal the tagged OK line, with the capabilities when they changed */
export function taggedOk(tag: string, text: string, capabilities: readonly string[] | undefined): string {
  return `${tag} OK ${capabilities ? `[CAPABILITY ${capabilities.join(' ')}] ` : ''}${text}`;
}

/**
 * Run one AUTHENTICATE command (RFC 9051 §6.2.2) to its tagged response:
 * challenges as `+ <base64>` continuations, the client's `*` as a
 * cancellation (`BAD`), additional data with success as a last challenge
 * (IMAP cannot carry it in the OK), failures as `NO`/`BAD` with RFC 5530
 * codes (`IMAP_FAILURE_FORMS`).
 *
 * Never throws for anything the client sends; a transport error (client gone,
 * read timeout) rejects, after aborting the exchange.
 *
 * @param transport - the client connection
 * @param request - tag, arguments and context
 * @returns success with the outcome, or the failure
 */
export async function serveAuthenticate(transport: LineTransport, request: ImapAuthenticateRequest): Promise<ImapAuthResult> {
  const { tag, sasl, connection } = request;
  const parts = request.args.split(' ');
  const [mechanism, ir] = parts;
  const refuse = async (f: ServerFailure, line: string): Promise<ImapAuthResult> => {
    await transport.writeLine(line);
    return { kind: 'failure', failure: f };
  };
  if (parts.length > 2 || !mechanism || !isMechanismName(mechanism, true)) {
    return refuse(failure('malformed-request', 'bad AUTHENTICATE arguments'), `${tag} BAD Invalid AUTHENTICATE arguments`);
  }
  let initial: Uint8Array | null = null;
  if (ir !== undefined) {
    if (!(request.saslIR ?? true)) return refuse(failure('malformed-request', 'initial response without SASL-IR'), `${tag} BAD Initial response not supported`);
    try {
      initial = ir === '=' ? new Uint8Array(0) : base64Decode(ir, 'initial response');
    } catch {
      return refuse(failure('incorrect-encoding', 'initial response is not base64'), `${tag} BAD Invalid base64 in initial response`);
    }
    if (initial.length === 0 && ir !== '=') {
      return refuse(failure('malformed-request', 'empty initial response'), `${tag} BAD Invalid initial response`);
    }
  }
  const exchange: ServerExchange = sasl.start(mechanism, connection, { successData: 'challenge' });
  try {
    let result: ServerResult = await exchange.step(initial);
    while (result.kind === 'challenge') {
      await transport.writeLine(`+ ${base64Encode(result.data)}`);
      const line = await transport.readLine();
      if (line === '*') {
        const f = exchange.abort();
        return refuse(f, taggedFailure(tag, f));
      }
      let response: Uint8Array;
      try {
        response = base64Decode(line, 'client response');
      } catch {
        exchange.abort();
        return refuse(failure('incorrect-encoding', 'client response is not base64'), `${tag} BAD Invalid base64 in client response`);
      }
      result = await exchange.step(response);
    }
    if (result.kind === 'failure') return refuse(result, taggedFailure(tag, result));
    await transport.writeLine(taggedOk(tag, 'Authentication successful', request.capabilitiesAfter));
    return { kind: 'success', outcome: result.outcome };
  } catch (err) {
    if (!exchange.done) exchange.abort();
    throw err;
  }
}
