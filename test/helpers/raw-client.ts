// A raw loopback client for connection-layer tests: collects what the server
// sends, waits (bounded) for a pattern or for the close, and never crashes
// on resets.
import * as net from 'node:net';

export interface RawClient {
  readonly socket: net.Socket;
  /** Everything received so far, as text. */
  text(): string;
  /** Resolves once the text matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves true once the socket closed, false after `timeoutMs`. */
  closed(timeoutMs: number): Promise<boolean>;
  write(data: string | Buffer): void;
  destroy(): void;
}

export async function rawClient(port: number, options: { allowHalfOpen?: boolean; read?: boolean } = {}): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: options.allowHalfOpen ?? false });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const parts: Buffer[] = [];
  let isClosed = false;
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((l) => l());
  if (options.read ?? true) {
    socket.on('data', (d: Buffer) => {
      parts.push(d);
      notify();
    });
  } else {
    socket.pause();
  }
  socket.on('close', () => {
    isClosed = true;
    notify();
  });
  const text = (): string => Buffer.concat(parts).toString('utf8');
  const until = <T>(check: () => T | undefined, timeoutMs: number, onTimeout: () => T | Error): Promise<T> =>
    new Promise((resolve, reject) => {
      const tryIt = (): boolean => {
        const v = check();
        if (v === undefined) return false;
        cleanup();
        resolve(v);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const v = onTimeout();
        if (v instanceof Error) reject(v);
        else resolve(v);
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      const listener = (): void => void tryIt();
      listeners.add(listener);
      tryIt();
    });
  return {
    socket,
    text,
    waitFor: (pattern, timeoutMs = 10_000) =>
      until(
        () => (pattern.test(text()) ? text() : isClosed ? undefined : undefined),
        timeoutMs,
        () => new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(text().slice(-300))}`),
      ),
    closed: (timeoutMs) => until(() => (isClosed ? true : undefined), timeoutMs, () => false),
    write: (data) => {
      if (socket.writable) socket.write(data);
    },
    destroy: () => socket.destroy(),
  };
}

/** Poll `check` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
