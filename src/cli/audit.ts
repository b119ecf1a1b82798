/**
 * The audit log of `saslkit server`: one JSON object per line, for
 * operators and fail2ban. Every line starts with `"time"` (ISO 8601, UTC)
 * and `"event"`; connection events carry the peer's address and port and a
 * session id that ties a connection's lines together.
 *
 * | event | when | fields besides time, event, session, peer, port, protocol |
 * | --- | --- | --- |
 * | `connect` | a connection was accepted | `local`, `localPort` (the address and port it arrived on) |
 * | `auth-success` | an exchange succeeded | `mechanism`, `user` (authcid), `authzid`, `channelBinding` |
 * | `auth-failure` | a failed login: the credentials or authorization were refused (`isFailedLogin`) | `mechanism`, `user` (the name tried, when the mechanism carried one), `condition` |
 * | `auth-aborted` | the client aborted an exchange | as `auth-failure` (`condition` is `aborted`) |
 * | `auth-error` | any other failed exchange (unsupported mechanism, malformed message, ...) | as `auth-failure` |
 * | `close` | the connection closed | `durationMs` |
 *
 * The attempted user comes from the credential store's lookups made during
 * the exchange (the session is followed with `AsyncLocalStorage`, entered in
 * the Node server's `onConnection` hook), so no mechanism needs to report
 * it; it is the prepared name the client sent, never a password, token or
 * proof.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { isFailedLogin, type CredentialStore, type ExchangeEnd } from '../server/index.js';

/** The longest user name written to the log (longer names are cut, marked with `…`). */
const MAX_USER = 256;

/** One connection as the audit log follows it. */
interface AuditSession {
  readonly id: string;
  readonly peer: string;
  readonly port: number;
  /** The last user name the credential store was asked about in this session. */
  user: string | null;
}

/** Writes the audit lines of one server. */
export class AuditLog {
  readonly #write: (line: string) => void;
  readonly #protocol: string;
  readonly #sessions = new AsyncLocalStorage<AuditSession>();
  /** Connections logged as open and not yet closed. */
  #open = 0;
  #onDrained: (() => void) | null = null;

  /**
   * @param write - takes one line (with its newline)
   * @param protocol - `imap`, `smtp` or `xmpp`, on every connection line
   */
  constructor(write: (line: string) => void, protocol: string) {
    this.#write = write;
    this.#protocol = protocol;
  }

  /**
   * Write one event line: `time` and `event` first, then `fields`.
   *
   * @param event - the event name
   * @param fields - the rest (JSON values)
   */
  emit(event: string, fields: Record<string, unknown> = {}): void {
    this.#write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
  }

  /**
   * The Node server's `onConnection` hook: logs `connect` now and `close`
   * later, and makes this connection the session its exchanges report to.
   *
   * @param socket - the accepted socket
   */
  readonly onConnection = (socket: Socket): void => {
    const session: AuditSession = {
      id: randomBytes(6).toString('hex'),
      peer: socket.remoteAddress ?? 'unknown',
      port: socket.remotePort ?? 0,
      user: null,
    };
    const started = Date.now();
    this.#sessions.enterWith(session);
    // Address and port in separate fields, as for the peer: "::1" and 37109, never "::1:37109".
    this.emit('connect', { ...this.#connectionFields(session), local: socket.localAddress ?? 'unknown', localPort: socket.localPort ?? 0 });
    this.#open++;
    socket.once('close', () => {
      this.emit('close', { ...this.#connectionFields(session), durationMs: Date.now() - started });
      if (--this.#open === 0) this.#onDrained?.();
    });
  };

  /**
   * Resolves once every connection logged as open has logged its `close`
   * (or after `ms`), so that `stopped` is the last line.
   *
   * @param ms - the longest wait, in ms
   */
  drained(ms: number): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.#onDrained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * The `SASLServer` `onExchangeEnd` hook: `auth-success`, `auth-failure`, `auth-aborted` or `auth-error`.
   *
   * @param end - the exchange's end
   */
  readonly onExchangeEnd = (end: ExchangeEnd): void => {
    const session = this.#sessions.getStore();
    const base = { ...(session ? this.#connectionFields(session) : { protocol: this.#protocol }), mechanism: end.mechanism.slice(0, 40) };
    if (end.result.kind === 'success') {
      const { outcome } = end.result;
      this.emit('auth-success', { ...base, user: outcome.authcid, authzid: outcome.authzid, channelBinding: outcome.channelBinding });
    } else {
      // Only a failed login (refused credentials or authorization) is an auth-failure, the
      // event fail2ban counts; a client's abort or an unsupported mechanism is not one.
      const event = isFailedLogin(end.result) ? 'auth-failure' : end.result.condition === 'aborted' ? 'auth-aborted' : 'auth-error';
      this.emit(event, { ...base, user: session?.user ?? null, condition: end.result.condition });
    }
    if (session) session.user = null;
  };

  /**
   * A credential store that notes, for the current session, which user name
   * was looked up (the attempted user of a failure line).
   *
   * @param store - the real store
   */
  watch(store: CredentialStore): CredentialStore {
    const note = (username: string): void => {
      const session = this.#sessions.getStore();
      if (session) session.user = username.length > MAX_USER ? `${username.slice(0, MAX_USER)}…` : username;
    };
    const watched: CredentialStore = {
      scramCredentials: (username) => {
        note(username);
        return store.scramCredentials(username);
      },
    };
    const verify = store.verifyPassword?.bind(store);
    return verify
      ? {
          ...watched,
          verifyPassword: (username, password) => {
            note(username);
            return verify(username, password);
          },
        }
      : watched;
  }

  #connectionFields(session: AuditSession): Record<string, unknown> {
    return { session: session.id, peer: session.peer, port: session.port, protocol: this.#protocol };
  }
}
