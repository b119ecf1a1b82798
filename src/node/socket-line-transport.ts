/**
 * A {@link LineTransport} over a Node `net.Socket` or `tls.TLSSocket`, with a
 * read timeout, a line-length bound and STARTTLS upgrades (client and server).
 *
 * @module
 */
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { SASLError } from '../core/errors.js';
import type { LineTransport } from '../protocols/transport.js';

/** Options of {@link SocketLineTransport}. */
export interface SocketLineTransportOptions {
  /** Milliseconds a read may wait for a line. Default 30000. */
  readonly readTimeoutMs?: number;
  /** Longest line accepted, in bytes. Default 65536. */
  readonly maxLineLength?: number;
}

/** Raised for transport problems: timeout, closed connection, oversize line. */
export class TransportError extends SASLError {
  /**
   * @param text - what went wrong
   */
  constructor(text: string) {
    super(null, 'transport error', text);
  }
}

/**
 * Lines over a Node socket. Reads are buffered; a line is complete at LF
 * (a preceding CR is dropped). Every read has a timeout and a size bound,
 * and on any error the socket is destroyed.
 */
export class SocketLineTransport implements LineTransport {
  #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiter: { resolve: (line: string) => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  #error: Error | null = null;
  readonly #readTimeoutMs: number;
  readonly #maxLineLength: number;
  readonly #onData = (chunk: Buffer): void => this.#receive(chunk);
  readonly #onEnd = (): void => this.#fail(new TransportError('connection closed by peer'));
  readonly #onError = (err: Error): void => this.#fail(new TransportError(`socket error: ${err.message}`));

  /**
   * @param socket - a connected socket (plain or TLS)
   * @param options - see {@link SocketLineTransportOptions}
   */
  constructor(socket: Socket, options: SocketLineTransportOptions = {}) {
    this.#socket = socket;
    this.#readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.#maxLineLength = options.maxLineLength ?? 65_536;
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
    if (this.#waiter) return Promise.reject(new TransportError('concurrent reads are not supported'));
    const line = this.#takeLine();
    if (line !== null) return Promise.resolve(line);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new TransportError(`read timed out after ${this.#readTimeoutMs} ms`)), this.#readTimeoutMs);
      this.#waiter = { resolve, reject, timer };
    });
  }

  /** Write `line` and CR LF. */
  writeLine(line: string): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (/[\r\n]/.test(line)) return Promise.reject(new TransportError('a line must not contain CR or LF'));
    return new Promise((resolve, reject) => {
      this.#socket.write(`${line}\r\n`, (err) => (err ? reject(new TransportError(`write failed: ${err.message}`)) : resolve()));
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
  async startTLS(options: (tls.ConnectionOptions & { isServer?: false }) | (tls.TLSSocketOptions & { isServer: true })): Promise<tls.TLSSocket> {
    if (this.#buffer.length > 0) {
      this.#fail(new TransportError('data received before the TLS handshake (possible STARTTLS injection)'));
      throw this.#error!;
    }
    this.#detach();
    const plain = this.#socket;
    let secure: tls.TLSSocket;
    try {
      secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
        let s: tls.TLSSocket;
        const onError = (err: Error): void => reject(new TransportError(`TLS handshake failed: ${err.message}`));
        const timer = setTimeout(() => reject(new TransportError('TLS handshake timed out')), this.#readTimeoutMs);
        if (options.isServer) {
          s = new tls.TLSSocket(plain, { ...options, isServer: true });
          s.once('secure', () => {
            clearTimeout(timer);
            resolve(s);
          });
        } else {
          const { isServer: _ignored, ...clientOptions } = options;
          s = tls.connect({ ...clientOptions, socket: plain }, () => {
            clearTimeout(timer);
            resolve(s);
          });
        }
        s.once('error', onError);
      });
    } catch (err) {
      plain.destroy();
      this.#error = err instanceof Error ? err : new TransportError(String(err));
      throw this.#error;
    }
    this.#socket = secure;
    this.#attach();
    return secure;
  }

  /** Close the connection. */
  close(): void {
    this.#fail(new TransportError('transport closed'));
  }

  #attach(): void {
    this.#socket.on('data', this.#onData);
    this.#socket.on('end', this.#onEnd);
    this.#socket.on('close', this.#onEnd);
    this.#socket.on('error', this.#onError);
  }

  #detach(): void {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (this.#buffer.indexOf(10) < 0 && this.#buffer.length > this.#maxLineLength) {
      this.#fail(new TransportError(`line longer than ${this.#maxLineLength} bytes`));
      return;
    }
    if (this.#waiter) {
      const line = this.#takeLine();
      if (line !== null) {
        const w = this.#waiter;
        this.#waiter = null;
        clearTimeout(w.timer);
        w.resolve(line);
      }
    }
  }

  #takeLine(): string | null {
    const lf = this.#buffer.indexOf(10);
    if (lf < 0) return null;
    if (lf > this.#maxLineLength) {
      this.#fail(new TransportError(`line longer than ${this.#maxLineLength} bytes`));
      return null;
    }
    const end = lf > 0 && this.#buffer[lf - 1] === 13 ? lf - 1 : lf;
    const line = this.#buffer.subarray(0, end).toString('utf8');
    this.#buffer = this.#buffer.subarray(lf + 1);
    return line;
  }

  #fail(err: Error): void {
    if (!this.#error) this.#error = err;
    this.#detach();
    this.#socket.on('error', () => {}); // late errors after destroy must not crash the process
    this.#socket.destroy();
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      clearTimeout(w.timer);
      w.reject(this.#error);
    }
  }
}
