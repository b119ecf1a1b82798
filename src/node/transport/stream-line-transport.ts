/**
 * A {@link LineTransport} over a pair of Node streams (a child process's
 * stdout and stdin, a pipe, a duplex split in two), with the same read
 * timeout and line bound as {@link SocketLineTransport}.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { LineTransport } from '../../protocols/transport.js';
import { LineBuffer, TransportError, type LineBufferOptions } from './line-buffer.js';

/** Options of {@link StreamLineTransport}. */
export interface StreamLineTransportOptions extends LineBufferOptions {
  /**
   * Whether the streams are protected from eavesdroppers; reported as
   * `StreamLineTransport.secure`. Default false.
   */
  readonly secure?: boolean;
  /**
   * What ends a written line. Default `'\n'`: command-line tools read
   * Unix text on their pipes (gsasl would take a CR as part of the data).
   * Reading accepts both.
   */
  readonly lineTerminator?: '\n' | '\r\n';
}

/**
 * Lines read from `readable` and written to `writable`.
 *
 * `close()` ends `writable` gracefully, so the peer sees end of input (a
 * command-line tool then finishes), and stops reading. Any read error
 * (timeout, oversize line, end of `readable`) is sticky, as for sockets;
 * lines received before the end stay readable.
 */
export class StreamLineTransport implements LineTransport {
  readonly #readable: Readable;
  readonly #writable: Writable | null;
  readonly #lines: LineBuffer;
  readonly #terminator: string;
  #writeError: Error | null = null;
  readonly #onData = (chunk: Buffer | string): void => this.#lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  readonly #onEnd = (): void => this.#lines.fail(new TransportError('stream ended by peer'));
  readonly #onError = (err: Error): void => this.#lines.fail(new TransportError(`stream error: ${err.message}`));
  readonly #onWriteError = (err: Error): void => {
    this.#writeError ??= new TransportError(`write failed: ${err.message}`);
  };

  /** Whether the streams are secure, as given in the options (default false). */
  readonly secure: boolean;

  /**
   * Connect to a pair of streams (listeners are attached at once).
   *
   * @param readable - where lines come from
   * @param writable - where lines go, or `null` for a read-only channel (e.g. a stderr)
   * @param options - see {@link StreamLineTransportOptions}
   */
  constructor(readable: Readable, writable: Writable | null, options: StreamLineTransportOptions = {}) {
    this.#readable = readable;
    this.#writable = writable;
    this.#terminator = options.lineTerminator ?? '\n';
    this.secure = options.secure === true;
    this.#lines = new LineBuffer(options, () => this.#teardown());
    readable.on('data', this.#onData);
    readable.on('end', this.#onEnd);
    readable.on('close', this.#onEnd);
    readable.on('error', this.#onError);
    // A peer that exits makes writes fail with EPIPE: report it, never crash.
    writable?.on('error', this.#onWriteError);
  }

  /** Read the next line (without its terminator). */
  readLine(): Promise<string> {
    return this.#lines.readLine();
  }

  /**
   * Write `line` and the line terminator.
   *
   * @param line - the line; must not contain CR or LF
   */
  writeLine(line: string): Promise<void> {
    const w = this.#writable;
    if (!w) return Promise.reject(new TransportError('this transport is read-only'));
    if (this.#writeError) return Promise.reject(this.#writeError);
    if (w.writableEnded || w.destroyed) return Promise.reject(new TransportError('transport closed'));
    if (/[\r\n]/.test(line)) return Promise.reject(new TransportError('a line must not contain CR or LF'));
    return new Promise((resolve, reject) => {
      w.write(`${line}${this.#terminator}`, (err) => {
        if (err) {
          this.#onWriteError(err);
          reject(this.#writeError);
        } else {
          resolve();
        }
      });
    });
  }

  /** End the writable side (the peer sees end of input) and stop reading. */
  close(): void {
    this.#lines.fail(new TransportError('transport closed'));
  }

  /** Called once by the line buffer on its first error. */
  #teardown(): void {
    this.#readable.off('data', this.#onData);
    this.#readable.off('end', this.#onEnd);
    this.#readable.off('close', this.#onEnd);
    this.#readable.off('error', this.#onError);
    this.#readable.on('error', () => {}); // late errors must not crash the process
    this.#readable.destroy();
    const w = this.#writable;
    if (w && !w.writableEnded && !w.destroyed) w.end();
  }
}
