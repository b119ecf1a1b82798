// Loopback ports for the real peers the interop suites start (Dovecot,
// Prosody): a free port to configure, and a bounded wait until the peer
// listens on it (failing early if the peer exits).
import type { ChildProcess } from 'node:child_process';
import * as net from 'node:net';

/** A free loopback port (released just before the peer binds it). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Options of {@link waitForPort}. */
export interface WaitForPortOptions {
  /** The peer's name, for errors. */
  readonly name: string;
  /** How long to wait. Default 15000 ms. */
  readonly timeoutMs?: number;
  /** Extra detail for a failure (e.g. the tail of the peer's log). */
  readonly diagnostics?: () => string;
}

/** Wait until `port` on 127.0.0.1 accepts a connection; reject if `child` exits or time runs out. */
export async function waitForPort(port: number, child: ChildProcess, options: WaitForPortOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const detail = (): string => (options.diagnostics ? `: ${options.diagnostics()}` : '');
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}${detail()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${options.name} did not listen on ${port} within ${options.timeoutMs ?? 15_000} ms${detail()}`);
}
