/**
 * A {@link LineTransport} over a Node `net.Socket` or `tls.TLSSocket`, with a
 * read timeout, a line-length bound and STARTTLS upgrades (client and server).
 *
 * @module
 */
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import type { LineTransport } from '../../protocols/transport.js';
import { LineBuffer, TransportError } from './line-buffer.js';
import { listenTo, upgradeToTLS, type StartTLSOptions } from '../tls/upgrade.js';

export { TransportError } from './line-buffer.js';

/** Options of {@link SocketLineTransport}. */
export interface SocketLineTransportOptions {
  /** Milliseconds a read may wait for a line (one deadline per read). Default 30000. */
  readonly readTimeoutMs?: number;
  /**
   * Milliseconds a write may wait for the peer to take the data (one
   * deadline per write): a peer that stops reading is dropped after it.
   * Default 30000.
   */
  readonly writeTimeoutMs?: number;
  /** Longest line accepted, in bytes. Default 65536. */
  readonly maxLineLength?: number;
  /**
   * Most bytes of received, unread input held; past it the socket stops
   * reading until the lines are consumed (back-pressure). Default: twice
   * `maxLineLength`, at least 65536. See `LineBufferOptions`.
   */
  readonly maxBufferedBytes?: number;
  /**
   * What ends a written line. Default `'\r\n'`, as IMAP (RFC 9051 §2.2),
   * SMTP (RFC 5321 §2.3.8) and most line protocols require. Use `'\n'` for
   * a peer that speaks LF-only text (and would keep a CR as data). Reading
   * accepts both.
   */
  readonly lineTerminator?: '\n' | '\r\n';
}

/**
 * Lines over a Node socket. Reads are buffered; a line is complete at LF
 * (a preceding CR is dropped). Every read and every write has a timeout,
 * lines have a size bound, reading pauses while too much input waits unread
 * (back-pressure), and on any error the socket is destroyed.
 */
export class SocketLineTransport implements LineTransport {
  #socket: Socket;
  readonly #lines: LineBuffer;
  readonly #writeTimeoutMs: number;
  readonly #terminator: string;
  #detach: () => void = () => {};
  readonly #onData = (chunk: Buffer): void => this.#lines.push(chunk);
  readonly #onEnd = (): void => this.#lines.fail(new TransportError('connection closed by peer'));
  readonly #onError = (err: Error): void => this.#lines.fail(new TransportError(`socket error: ${err.message}`));

  /**
   * Take over a connected socket (listeners are attached at once).
   *
   * @param socket - a connected socket (plain or TLS)
   * @param options - see {@link SocketLineTransportOptions}
   */
  constructor(socket: Socket, options: SocketLineTransportOptions = {}) {
    this.#socket = socket;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 30_000;
    if (!(this.#writeTimeoutMs > 0)) throw new TransportError('writeTimeoutMs must be positive');
    this.#terminator = options.lineTerminator ?? '\r\n';
    this.#lines = new LineBuffer(
      options,
      () => this.#teardown(),
      (paused) => (paused ? this.#socket.pause() : this.#socket.resume()),
    );
    this.#attach();
  }

  /** The underlying socket (a `tls.TLSSocket` after {@link SocketLineTransport.startTLS}). */
  get socket(): Socket {
    return this.#socket;
  }

  /** True when the socket is a TLS socket. */
  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  /** Read the next line (without CR LF). */
  readLine(): Promise<string> {
    return this.#lines.readLine();
  }

  /** Write `line` and the line terminator (CR LF unless {@link SocketLineTransportOptions.lineTerminator} says LF). */
  writeLine(line: string): Promise<void> {
    if (this.#lines.error) return Promise.reject(this.#lines.error);
    if (/[\r\n]/.test(line)) return Promise.reject(new TransportError('a line must not contain CR or LF'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new TransportError(`write timed out after ${this.#writeTimeoutMs} ms`);
        this.#lines.fail(err);
        reject(err);
      }, this.#writeTimeoutMs);
      this.#socket.write(`${line}${this.#terminator}`, (err) => {
        clearTimeout(timer);
        if (err) reject(new TransportError(`write failed: ${err.message}`));
        else resolve();
      });
    });
  }

  /**
   * Upgrade the connection to TLS in place (STARTTLS). Refuses when the peer
   * already sent data after the STARTTLS command: such bytes were sent in
   * plaintext and must not be mixed into the secure session (the STARTTLS
   * command-injection attack, CVE-2011-0411).
   *
   * @param options - `tls.connect` options for a client (default), or
   *   `{ isServer: true, ...tls.TLSSocketOptions }` for a server
   * @returns the TLS socket once the handshake is complete
   */
  async startTLS(options: StartTLSOptions): Promise<tls.TLSSocket> {
    if (this.#lines.pendingBytes > 0) {
      const injected = new TransportError('data received before the TLS handshake (possible STARTTLS injection)');
      this.#lines.fail(injected);
      throw this.#lines.error ?? injected;
    }
    this.#detach();
    const plain = this.#socket;
    let secure: tls.TLSSocket;
    try {
      secure = await upgradeToTLS(plain, options, this.#lines.readTimeoutMs);
    } catch (err) {
      plain.destroy();
      this.#lines.fail(new TransportError(err instanceof Error ? err.message : 'TLS handshake failed'));
      throw this.#lines.error!;
    }
    this.#socket = secure;
    this.#attach();
    return secure;
  }

  /** Close the connection. */
  close(): void {
    this.#lines.fail(new TransportError('transport closed'));
  }

  #attach(): void {
    this.#detach = listenTo(this.#socket, { data: this.#onData, end: this.#onEnd, error: this.#onError });
  }

  /** Called once by the line buffer on its first error. */
  #teardown(): void {
    this.#detach();
    this.#socket.on('error', () => {}); // late errors after destroy must not crash the process
    this.#socket.destroy();
  }
}
