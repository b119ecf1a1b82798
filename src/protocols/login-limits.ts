/**
 * Limits on the unauthenticated part of a session, shared by the IMAP, SMTP
 * and XMPP server sessions: a total deadline (however busy the client keeps
 * the connection) and a bound on the commands it may send before it
 * authenticated. Modelled on Dovecot, which drops a client that has not
 * logged in after 3 minutes even while it sends NOOPs (Prosody: 5 minutes).
 *
 * @module
 */
import { SASLError } from '../core/errors.js';
import { isIntegerIn } from '../core/checks.js';

/** Limits on a session before authentication. */
export interface LoginLimitOptions {
  /**
   * Milliseconds an unauthenticated session may last in total, from the
   * greeting on, whatever the client sends meanwhile; then the server says
   * so and closes. `Infinity` disables it. Default 180000 (Dovecot's
   * pre-login timeout).
   */
  readonly loginTimeoutMs?: number;
  /**
   * Most commands (IMAP command lines, SMTP command lines, XMPP top-level
   * elements) accepted before authentication; the next one closes the
   * connection. `Infinity` disables it. Default 50.
   */
  readonly maxLoginCommands?: number;
}

/** Default of {@link LoginLimitOptions.loginTimeoutMs}: 180000 ms. */
export const DEFAULT_LOGIN_TIMEOUT_MS = 180_000;

/** Default of {@link LoginLimitOptions.maxLoginCommands}: 50. */
export const DEFAULT_MAX_LOGIN_COMMANDS = 50;

/** Milliseconds a farewell may take to send before the connection is closed anyway. */
const FAREWELL_GRACE_MS = 1000;

/**
 * Check and resolve the limits.
 *
 * @param options - see {@link LoginLimitOptions}
 * @returns the deadline in milliseconds and the command bound
 * @throws {@link SASLError} (`invalid argument`) unless each is a positive
 *   integer or `Infinity`
 */
export function loginLimits(options: LoginLimitOptions): { readonly timeoutMs: number; readonly maxCommands: number } {
  const timeoutMs = options.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const maxCommands = options.maxLoginCommands ?? DEFAULT_MAX_LOGIN_COMMANDS;
  const ok = (n: number): boolean => n === Infinity || isIntegerIn(n);
  if (!ok(timeoutMs)) throw new SASLError(null, 'invalid argument', 'loginTimeoutMs must be a positive integer or Infinity');
  if (!ok(maxCommands)) throw new SASLError(null, 'invalid argument', 'maxLoginCommands must be a positive integer or Infinity');
  return { timeoutMs, maxCommands };
}

/**
 * Arm the total pre-authentication deadline.
 *
 * @param timeoutMs - from {@link loginLimits}
 * @param expire - called once when the deadline passes
 * @returns a function that cancels the deadline (on authentication or end)
 */
export function armLoginDeadline(timeoutMs: number, expire: () => void): () => void {
  if (timeoutMs === Infinity) return () => {};
  const timer = setTimeout(expire, timeoutMs);
  return () => clearTimeout(timer);
}

/**
 * Send a last word and close, without waiting for ever on a peer that does
 * not read: the close happens after the write or after a second, whichever
 * comes first.
 *
 * @param say - sends the farewell
 * @param close - closes the connection
 */
export function farewell(say: () => Promise<unknown>, close: () => void): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FAREWELL_GRACE_MS);
  });
  void Promise.race([say().catch(() => undefined), grace]).then(() => {
    clearTimeout(timer);
    close();
  });
}
