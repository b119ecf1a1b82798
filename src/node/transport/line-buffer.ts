/**
 * The read side shared by the Node line transports: bytes in, bounded lines
 * out, one reader at a time, every read with a timeout.
 *
 * @module
 */
import { SASLError } from '../../core/errors.js';

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
  /** Milliseconds a read may wait for a line (one deadline per read, not re-armed by partial data). Default 30000. */
  readonly readTimeoutMs?: number;
  /** Longest line accepted, in bytes (CR LF excluded). Default 65536. */
  readonly maxLineLength?: number;
  /**
   * Most bytes held received but unread (complete lines and the partial
   * one), in bytes. At this mark the owner is asked to stop reading
   * (back-pressure); it is asked to read again once half of it was
   * consumed. Must exceed `maxLineLength`. Default: twice `maxLineLength`,
   * at least 65536.
   */
  readonly maxBufferedBytes?: number;
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
 * Buffering is linear in the input: each byte is scanned once and copied at
 * most once, whatever the segment sizes. The total held is bounded by
 * `maxBufferedBytes` (plus one incoming chunk): past it the owner is told to
 * pause reading through `onPressure(true)`, and `onPressure(false)` once the
 * reader caught up.
 *
 * Any error (timeout, oversize line, end of stream, {@link LineBuffer.fail})
 * is sticky: it is reported to the pending reader and to every later read
 * once the buffered lines are used up, and `onFail` is told once so the
 * owner can tear the connection down.
 */
export class LineBuffer {
  /** Complete lines not yet read, from index `#head` on. */
  #lines: string[] = [];
  #head = 0;
  /** Bytes of the partial line (no LF yet), in order. */
  #partial: Buffer[] = [];
  #partialLength = 0;
  /** Bytes of each unread complete line, line end included, and their sum. */
  #lineBytes: number[] = [];
  #queued = 0;
  #paused = false;
  #waiter: Waiter | null = null;
  #error: Error | null = null;
  readonly #readTimeoutMs: number;
  readonly #maxLineLength: number;
  readonly #maxBuffered: number;
  readonly #onFail: (err: Error) => void;
  readonly #onPressure: (paused: boolean) => void;

  /**
   * Make an empty buffer.
   *
   * @param options - see `LineBufferOptions`
   * @param onFail - called once, with the first error
   * @param onPressure - called with `true` when reading should pause (the
   *   buffer is full) and `false` when it may resume
   * @throws {@link SASLError} (`invalid argument`) for a non-positive bound,
   *   or `maxBufferedBytes` not above `maxLineLength`
   */
  constructor(options: LineBufferOptions, onFail: (err: Error) => void, onPressure: (paused: boolean) => void = () => {}) {
    this.#readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.#maxLineLength = options.maxLineLength ?? 65_536;
    if (!(this.#readTimeoutMs > 0) || !(this.#maxLineLength > 0)) {
      throw new SASLError(null, 'invalid argument', 'readTimeoutMs and maxLineLength must be positive');
    }
    this.#maxBuffered = options.maxBufferedBytes ?? Math.max(2 * this.#maxLineLength, 65_536);
    if (!(this.#maxBuffered > this.#maxLineLength)) {
      throw new SASLError(null, 'invalid argument', 'maxBufferedBytes must exceed maxLineLength');
    }
    this.#onFail = onFail;
    this.#onPressure = onPressure;
  }

  /** The read timeout in milliseconds. */
  get readTimeoutMs(): number {
    return this.#readTimeoutMs;
  }

  /** Bytes received but not yet returned as a line. */
  get pendingBytes(): number {
    return this.#queued + this.#partialLength;
  }

  /** True while the owner has been asked to stop reading. */
  get paused(): boolean {
    return this.#paused;
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
    let start = 0;
    for (;;) {
      const lf = bytes.indexOf(10, start);
      if (lf < 0) break;
      if (this.#partialLength + lf - start > this.#maxLineLength) {
        this.fail(new TransportError(`line longer than ${this.#maxLineLength} bytes`));
        return;
      }
      const tail = bytes.subarray(start, lf);
      const whole = this.#partial.length === 0 ? tail : Buffer.concat([...this.#partial, tail]);
      const end = whole.length > 0 && whole[whole.length - 1] === 13 ? whole.length - 1 : whole.length;
      this.#lines.push(whole.subarray(0, end).toString('utf8'));
      this.#lineBytes.push(whole.length + 1);
      this.#queued += whole.length + 1;
      this.#partial = [];
      this.#partialLength = 0;
      start = lf + 1;
    }
    if (start < bytes.length) {
      // Copy the remainder: the chunk may be a slice of a larger pooled buffer.
      const rest = Buffer.from(bytes.subarray(start));
      this.#partial.push(rest);
      this.#partialLength += rest.length;
      if (this.#partialLength > this.#maxLineLength) {
        this.fail(new TransportError(`line longer than ${this.#maxLineLength} bytes`));
        return;
      }
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
    if (!this.#paused && this.pendingBytes >= this.#maxBuffered) {
      this.#paused = true;
      this.#onPressure(true);
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
    if (this.#head >= this.#lines.length) return null;
    const line = this.#lines[this.#head]!;
    this.#queued -= this.#lineBytes[this.#head]!;
    this.#head++;
    if (this.#head === this.#lines.length) {
      this.#lines = [];
      this.#lineBytes = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#lineBytes = this.#lineBytes.slice(this.#head);
      this.#head = 0;
    }
    if (this.#paused && this.pendingBytes <= this.#maxBuffered / 2 && this.#error === null) {
      this.#paused = false;
      this.#onPressure(false);
    }
    return line;
  }
}
