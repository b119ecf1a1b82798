// The saslkit IMAP servers (startImapServer) a suite starts on loopback:
// every outcome they report, in order, and one close for all of them.
import type { AuthOutcome } from '../../src/server/index.js';
import { startImapServer, type NodeImapServerOptions, type RunningImapServer } from '../../src/node/imap/server.js';

/** The IMAP servers of one suite. */
export class ImapServers {
  /** Every successful authentication the servers reported, in order. */
  readonly outcomes: AuthOutcome[] = [];
  readonly #running: RunningImapServer[] = [];

  /**
   * Start a server with a 10 s read timeout that records its outcomes in
   * {@link outcomes}; `options` may override both.
   */
  async start(options: NodeImapServerOptions): Promise<RunningImapServer> {
    const s = await startImapServer({ readTimeoutMs: 10_000, onAuthenticated: (o) => this.outcomes.push(o), ...options });
    this.#running.push(s);
    return s;
  }

  /** Close every server started so far. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#running.map((s) => s.close()));
  }
}
