/**
 * `saslkit client -v`: the whole dialogue on standard error, one line per
 * protocol line or XML chunk, `C: ` for what the client sent and `S: ` for
 * what the server sent, as `gsasl --verbose` and `swaks` print it, with every
 * secret redacted. SASL payloads are decoded from base64 and shown as
 * `<decoded: "...">` with, per mechanism: PLAIN's password, LOGIN's second
 * response, CRAM-MD5's digest, SCRAM's client proof `p=` and server
 * signature `v=`, and OAUTHBEARER's / XOAUTH2's `auth=` token replaced by
 * `<redacted>`; a client payload of any other mechanism, or one that is not
 * base64, is not shown at all.
 *
 * The taps sit on `net.Socket` (which `tls.TLSSocket` extends): its `write`
 * and its `'data'` events, so the plaintext is seen before and after TLS.
 * The command has one connection, so the taps are process-wide while on.
 *
 * @module
 */
import * as net from 'node:net';
import type { Protocol } from './client-connection.js';
import { parseScramMechanismName } from '../core/mechanism-name.js';

const REDACTED = '<redacted>';

/** Decoded text, printable, with control characters escaped (JSON style). */
function shown(text: string): string {
  return `<decoded: ${JSON.stringify(text)}>`;
}

function decodeBase64(b64: string): string | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return null;
  return Buffer.from(b64, 'base64').toString('utf8');
}

/**
 * A client payload, redacted for its mechanism.
 *
 * @param mechanism - upper-case name
 * @param step - 0 for the initial response or first response, then 1, 2...
 * @param b64 - the payload as sent
 */
export function redactClientPayload(mechanism: string, step: number, b64: string): string {
  if (b64 === '' || b64 === '=' || b64 === '*') return b64;
  const text = decodeBase64(b64);
  if (text === null) return `<${b64.length} characters, not base64, not shown>`;
  if (mechanism === 'PLAIN') {
    const parts = text.split('\0');
    return parts.length === 3 ? shown(`${parts[0]}\0${parts[1]}\0${REDACTED}`) : `<${text.length} bytes, not shown>`;
  }
  if (mechanism === 'LOGIN') return step === 0 ? shown(text) : REDACTED;
  if (mechanism === 'CRAM-MD5') return shown(text.replace(/ [^ ]*$/, ` ${REDACTED}`));
  // The proof is client-final's last attribute; client-first's GS2 header "p=<cb-name>" is not secret.
  if (parseScramMechanismName(mechanism)) return shown(text.replace(/,p=[^,]*$/, `,p=${REDACTED}`));
  if (mechanism === 'OAUTHBEARER' || mechanism === 'XOAUTH2') return shown(text.replace(/auth=[^\x01]*/g, `auth=${REDACTED}`));
  if (mechanism === 'EXTERNAL' || mechanism === 'ANONYMOUS') return shown(text);
  return `<${text.length} bytes, not shown>`;
}

/**
 * A server payload (challenge or success data), with SCRAM's server signature redacted.
 *
 * @param b64 - the payload as sent
 */
export function redactServerPayload(b64: string): string {
  if (b64 === '' || b64 === '=') return b64;
  const text = decodeBase64(b64);
  if (text === null) return b64;
  return shown(text.replace(/(^|,)v=[^,]*/, `$1v=${REDACTED}`));
}

/** Follows one connection's dialogue and prints it redacted. */
export class DialogueLog {
  readonly #protocol: Protocol;
  readonly #write: (line: string) => void;
  #mechanism: string | null = null;
  #step = 0;
  readonly #partial = { C: '', S: '' };

  /**
   * @param protocol - how to read the dialogue
   * @param write - takes one finished line (with its newline)
   */
  constructor(protocol: Protocol, write: (line: string) => void) {
    this.#protocol = protocol;
    this.#write = write;
  }

  /**
   * Bytes seen in one direction.
   *
   * @param who - `C` (client to server) or `S`
   * @param chunk - the bytes
   */
  data(who: 'C' | 'S', chunk: string): void {
    if (this.#protocol === 'xmpp') {
      const text = chunk.trim();
      if (text.length > 0) this.#write(`${who}: ${who === 'C' ? this.#xmppClient(text) : this.#xmppServer(text)}\n`);
      return;
    }
    let buffer = this.#partial[who] + chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      this.#write(`${who}: ${who === 'C' ? this.#lineClient(line) : this.#lineServer(line)}\n`);
    }
    // A line longer than this is shown in pieces (a client line never holds a secret outside SASL).
    if (buffer.length > 16384) buffer = buffer.slice(-16384);
    this.#partial[who] = buffer;
  }

  /**
   * A note of the tool's own (TLS started), as `*` lines.
   *
   * @param text - the note
   */
  note(text: string): void {
    this.#write(`*  ${text}\n`);
  }

  #begin(mechanism: string): void {
    this.#mechanism = mechanism.toUpperCase();
    this.#step = 0;
  }

  #lineClient(line: string): string {
    const command =
      this.#protocol === 'imap' ? /^(\S+ AUTHENTICATE) (\S+)(?: (\S+))?$/i.exec(line) : /^(AUTH) (\S+)(?: (\S+))?$/i.exec(line);
    if (command) {
      this.#begin(command[2]!);
      if (command[3] === undefined) return line;
      return `${command[1]} ${command[2]} ${redactClientPayload(this.#mechanism!, this.#step++, command[3])}`;
    }
    if (this.#mechanism !== null) return redactClientPayload(this.#mechanism, this.#step++, line.trim());
    if (this.#protocol === 'imap' && /^\S+ LOGIN /i.test(line)) return `${line.split(' ')[0]} LOGIN ${REDACTED}`;
    return line;
  }

  #lineServer(line: string): string {
    if (this.#mechanism === null) return line;
    const challenge = this.#protocol === 'imap' ? /^\+ ?(.*)$/.exec(line) : /^334 ?(.*)$/.exec(line);
    if (challenge) {
      // SMTP LOGIN's prompts ("VXNlcm5hbWU6") are base64 too; decoding them is harmless.
      return `${this.#protocol === 'imap' ? '+' : '334'} ${redactServerPayload(challenge[1]!.trim())}`;
    }
    if (this.#protocol === 'imap' ? /^[^\s*+]\S* /.test(line) : /^\d{3} /.test(line)) this.#mechanism = null;
    return line;
  }

  #xmppClient(text: string): string {
    return text
      .replace(/<auth\b([^>]*)>([^<]*)<\/auth>/g, (_all, attrs: string, b64: string) => {
        this.#begin(/mechanism=['"]([^'"]+)['"]/.exec(attrs)?.[1] ?? '?');
        return `<auth${attrs}>${redactClientPayload(this.#mechanism!, this.#step++, b64.trim())}</auth>`;
      })
      .replace(/<auth\b([^>]*)\/>/g, (all, attrs: string) => {
        this.#begin(/mechanism=['"]([^'"]+)['"]/.exec(attrs)?.[1] ?? '?');
        return all;
      })
      .replace(/<response\b([^>]*)>([^<]*)<\/response>/g, (_all, attrs: string, b64: string) => {
        return `<response${attrs}>${redactClientPayload(this.#mechanism ?? '?', this.#step++, b64.trim())}</response>`;
      });
  }

  #xmppServer(text: string): string {
    return text.replace(/<(challenge|success)\b([^>]*)>([^<]*)<\/\1>/g, (_all, name: string, attrs: string, b64: string) => {
      return `<${name}${attrs}>${redactServerPayload(b64.trim())}</${name}>`;
    });
  }
}

/**
 * Print the dialogue of every socket of this process through `log` until
 * the returned function is called.
 *
 * @param log - the dialogue log
 * @returns a function that removes the taps
 */
export function tapSockets(log: DialogueLog): () => void {
  const proto = net.Socket.prototype as unknown as {
    write: (...args: unknown[]) => boolean;
    emit: (event: string | symbol, ...args: unknown[]) => boolean;
  };
  const { write, emit } = proto;
  const secured = new WeakSet<object>();
  const seen = (socket: net.Socket): void => {
    const encrypted = (socket as { encrypted?: boolean }).encrypted === true;
    if (encrypted && !secured.has(socket)) {
      secured.add(socket);
      const version = (socket as unknown as { getProtocol?: () => string | null }).getProtocol?.();
      log.note(`TLS established${version ? ` (${version})` : ''}`);
    }
  };
  // Only network sockets: standard input, output and error may be sockets too (pipes), and
  // standard input may carry the password. The guard stops the log's own writes looping.
  let busy = false;
  const tapped = (socket: net.Socket): boolean =>
    !busy && socket !== (process.stdin as unknown) && socket !== (process.stdout as unknown) && socket !== (process.stderr as unknown) && typeof socket.remotePort === 'number';
  const text = (chunk: unknown): string | null =>
    typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : null;
  proto.write = function (this: net.Socket, ...args: unknown[]): boolean {
    const t = tapped(this) ? text(args[0]) : null;
    if (t !== null) {
      busy = true;
      try {
        seen(this);
        log.data('C', t);
      } finally {
        busy = false;
      }
    }
    return write.apply(this, args);
  };
  proto.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data' && tapped(this)) {
      const t = text(args[0]);
      if (t !== null) {
        busy = true;
        try {
          seen(this);
          log.data('S', t);
        } finally {
          busy = false;
        }
      }
    }
    return emit.call(this, event, ...args);
  };
  return () => {
    proto.write = write;
    proto.emit = emit;
  };
}
