/**
 * The read side shared by the Node line transports: bytes in, bounded lines
 * out, one reader at a time, every read with a timeout.
 *
 * @module
 */
import { SASLError } from '../core/errors.js';

/** Raised for transport problems: timeout, closed connection, oversize line. */
export class TransportError extends SASLError {
  /**
   * Create a transport error (condition `null`: it is raised locally).
   *
   * @param text - what went wrong
   */
  constructor(text: string) {
    super(null, 'transport error', text);
  }
}

/** Bounds of a {@link LineBuffer}. */
export interface LineBufferOptions {
  /** Milliseconds a read may wait for a line. Default 30000. */
  readonly readTimeoutMs?: number;
  /** Longest line accepted, in bytes. Default 65536. */
  readonly maxLineLength?: number;
}

interface Waiter {
  readonly resolve: (line: string) => void;
  readonly reject: (err: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Collects incoming bytes and hands out complete lines. A line ends at LF; a
 * CR just before it is dropped. Lines already received stay readable after
 * the stream ended, so a peer's last words before closing are not lost.
 *
 * Any error (timeout, oversize line, end of stream, {@link LineBuffer.fail})
 * is sticky: it is reported to the pending reader and to every later read
 * once the buffered lines are used up, and `onFail` is told once so the
 * owner can tear the connection down.
 */
export class LineBuffer {
  #buffer: Buffer = Buffer.alloc(0);
  #waiter: Waiter | null = null;
  #error: Error | null = null;
  readonly #readTimeoutMs: number;
  readonly #maxLineLength: number;
  readonly #onFail: (err: Error) => void;

  /**
   * Make an empty buffer.
   *
   * @param options - see {@link LineBufferOptions}
   * @param onFail - called once, with the first error
   */
  constructor(options: LineBufferOptions, onFail: (err: Error) => void) {
    this.#readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.#maxLineLength = options.maxLineLength ?? 65_536;
    if (!(this.#readTimeoutMs > 0) || !(this.#maxLineLength > 0)) {
      throw new SASLError(null, 'invalid argument', 'readTimeoutMs and maxLineLength must be positive');
    }
    this.#onFail = onFail;
  }

  /** The read timeout in milliseconds. */
  get readTimeoutMs(): number {
    return this.#readTimeoutMs;
  }

  /** Bytes received but not yet returned as a line. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /** The sticky error, or `null` while the buffer is healthy. */
  get error(): Error | null {
    return this.#error;
  }

  /** Read the next line (without CR LF); rejects with the sticky error once no line is left. */
  readLine(): Promise<string> {
    if (this.#waiter) return Promise.reject(new TransportError('concurrent reads are not supported'));
    const line = this.#takeLine();
    if (line !== null) return Promise.resolve(line);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new TransportError(`read timed out after ${this.#readTimeoutMs} ms`)), this.#readTimeoutMs);
      this.#waiter = { resolve, reject, timer };
    });
  }

  /**
   * Add received bytes.
   *
   * @param chunk - the bytes, as they came
   */
  push(chunk: Uint8Array): void {
    if (this.#error) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#buffer = this.#buffer.length === 0 ? bytes : Buffer.concat([this.#buffer, bytes]);
    if (this.#buffer.indexOf(10) < 0 && this.#buffer.length > this.#maxLineLength) {
      this.fail(new TransportError(`line longer than ${this.#maxLineLength} bytes`));
      return;
    }
    const w = this.#waiter;
    if (w) {
      const line = this.#takeLine();
      if (line !== null) {
        this.#waiter = null;
        clearTimeout(w.timer);
        w.resolve(line);
      }
    }
  }

  /**
   * Record an error (the first one wins), reject the pending read and tell
   * the owner. Buffered complete lines remain readable.
   *
   * @param err - what went wrong
   */
  fail(err: Error): void {
    const first = this.#error === null;
    if (first) this.#error = err;
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      clearTimeout(w.timer);
      w.reject(this.#error!);
    }
    if (first) this.#onFail(this.#error!);
  }

  #takeLine(): string | null {
    const lf = this.#buffer.indexOf(10);
    if (lf < 0) return null;
    if (lf > this.#maxLineLength) {
      this.fail(new TransportError(`line longer than ${this.#maxLineLength} bytes`));
      return null;
    }
    const end = lf > 0 && this.#buffer[lf - 1] === 13 ? lf - 1 : lf;
    const line = this.#buffer.subarray(0, end).toString('utf8');
    this.#buffer = this.#buffer.subarray(lf + 1);
    return line;
  }
}
