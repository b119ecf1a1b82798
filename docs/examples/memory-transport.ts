/**
 * An in-memory LineTransport pair for testing an adapter against an
 * in-process server: what one end writes, the other end reads. Reads time
 * out, so a test whose peer stops talking fails instead of hanging.
 */
// #region memory
import { SASLError, type LineTransport } from '../../src/index.js';

class MemoryEnd implements LineTransport {
  readonly #queue: string[] = [];
  #waiter: ((line: string | Error) => void) | null = null;
  #closed = false;
  peer: MemoryEnd | null = null;

  constructor(
    readonly readTimeoutMs: number,
    readonly secure: boolean,
  ) {}

  deliver(line: string): void {
    if (this.#waiter) {
      const wake = this.#waiter;
      this.#waiter = null;
      wake(line);
    } else {
      this.#queue.push(line);
    }
  }

  readLine(): Promise<string> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed) return Promise.reject(new SASLError(null, 'transport error', 'closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        reject(new SASLError(null, 'transport error', 'read timed out'));
      }, this.readTimeoutMs);
      this.#waiter = (line) => {
        clearTimeout(timer);
        if (line instanceof Error) reject(line);
        else resolve(line);
      };
    });
  }

  async writeLine(line: string): Promise<void> {
    if (this.#closed || !this.peer) throw new SASLError(null, 'transport error', 'closed');
    this.peer.deliver(line);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter?.(new SASLError(null, 'transport error', 'closed'));
    this.#waiter = null;
    this.peer?.close();
  }
}

/**
 * Two connected in-memory line transports: `[client, server]`. `secure` is
 * what they report as {@link LineTransport.secure}: nothing leaves the
 * process, but a test can say either, e.g. to stand for TLS.
 */
export function memoryLinePair(readTimeoutMs = 5_000, secure = false): [LineTransport, LineTransport] {
  const a = new MemoryEnd(readTimeoutMs, secure);
  const b = new MemoryEnd(readTimeoutMs, secure);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
// #endregion memory
