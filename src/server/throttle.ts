/**
 * Brute-force defence: a pluggable throttle for failed logins, consulted by
 * every {@link ServerExchange} (so IMAP, SMTP, XMPP and any custom protocol
 * server get it alike), and a built-in in-memory one modelled on Dovecot.
 *
 * The exchange asks the throttle three things:
 * 1. before the mechanism runs ({@link LoginThrottle.check} with
 *    `authcid: null`): may this client try at all? A refusal ends the
 *    exchange with `temporary-auth-failure` before any credential is looked
 *    at; a delay holds the exchange first (Dovecot's "auth penalty");
 * 2. after a failed login ({@link LoginThrottle.failed}, see
 *    {@link isFailedLogin}): how long to hold the failure before answering
 *    it (Dovecot's `auth_failure_delay`), or replace it with a refusal;
 * 3. after a successful proof ({@link LoginThrottle.check} with the
 *    authcid): a user whose account is being guessed can be refused even
 *    with the right password, with the same answer a wrong password gets
 *    then, so a locked-out guesser learns nothing.
 *
 * The methods may be async, so the state can live outside the process
 * (Redis, a database) and a fleet of servers can share it.
 *
 * @module
 */
import { SASLError } from '../core/errors.js';
import type { ServerConnection, ServerFailure } from './mechanism.js';
import { isIntegerIn } from '../core/checks.js';

/** One login attempt, as the throttle sees it. */
export interface LoginAttempt {
  /** The mechanism name the client asked for (upper case). */
  readonly mechanism: string;
  /** The connection, with its identity ({@link ServerConnection.peerAddress} and so on). */
  readonly connection: ServerConnection;
  /**
   * The authentication identity the client tried (after SASLprep), or
   * `null` before the mechanism ran or when the mechanism never got to it.
   */
  readonly authcid: string | null;
}

/** What the throttle decides about an attempt. */
export type ThrottleDecision =
  | {
      /** Go on at once. */
      readonly action: 'allow';
    }
  | {
      /** Go on after waiting. */
      readonly action: 'delay';
      /** Milliseconds to wait (0 to 60000; more is clamped). */
      readonly ms: number;
    }
  | {
      /** Refuse: the client gets `temporary-auth-failure`. */
      readonly action: 'refuse';
      /** Detail for logs and `onExchangeEnd` (never a secret); default a generic text. */
      readonly text?: string;
    };

/**
 * A throttle for failed logins. Implement it over shared state to throttle
 * a fleet; {@link MemoryLoginThrottle} is the built-in one. An error a
 * method throws (or a rejected promise) goes to the server's
 * `onInternalError`; `check` then refuses with `temporary-auth-failure`,
 * `failed` answers the failure undelayed.
 */
export interface LoginThrottle {
  /**
   * Before an exchange (authcid `null`) and after a successful proof
   * (authcid set): allow, delay or refuse.
   *
   * @param attempt - the attempt
   */
  check(attempt: LoginAttempt): ThrottleDecision | Promise<ThrottleDecision>;
  /**
   * Record a failed login ({@link isFailedLogin}) and decide how its
   * failure is answered: at once, after a delay, or replaced by a refusal.
   *
   * @param attempt - the attempt (authcid set when the mechanism named the user)
   */
  failed(attempt: LoginAttempt): ThrottleDecision | Promise<ThrottleDecision>;
  /**
   * Optional: a login succeeded (the throttle may forget the user's failures).
   *
   * @param attempt - the attempt, authcid set
   */
  succeeded?(attempt: LoginAttempt): void | Promise<void>;
}

/**
 * Failed logins allowed on one connection before the IMAP, SMTP and XMPP
 * servers close it, unless {@link SASLServerOptions.maxAuthFailures} says
 * otherwise: 3, as Dovecot and Prosody (RFC 6120 §6.4.5 asks for 2 to 5).
 */
export const DEFAULT_MAX_AUTH_FAILURES = 3;

/** The conditions that mean "the credentials were tried and were wrong (or not usable)". */
const FAILED_LOGIN: ReadonlySet<string> = new Set(['not-authorized', 'invalid-authzid', 'account-disabled', 'credentials-expired']);

/**
 * Whether a failure is a failed login (wrong password, proof or token, or
 * an authzid the user may not use, or a disabled or expired account), as
 * opposed to a malformed message, an abort or a server-side problem. Failed
 * logins are what the throttle counts and what the per-connection limit
 * (`DEFAULT_MAX_AUTH_FAILURES`) counts on every protocol.
 *
 * @param result - an exchange's failure
 */
export function isFailedLogin(result: ServerFailure): boolean {
  return FAILED_LOGIN.has(result.condition);
}

/** Options of {@link MemoryLoginThrottle}. */
export interface MemoryLoginThrottleOptions {
  /**
   * Delay before a failed login is answered, in ms; it doubles with each
   * further failure from the same address (or for the same user) within
   * `windowMs`, up to `maxDelayMs`. Default 250 (Dovecot's
   * `auth_failure_delay` is 2 s). 0 turns the delays off.
   */
  readonly failureDelayMs?: number;
  /** The longest delay, in ms. Default 2000. */
  readonly maxDelayMs?: number;
  /**
   * Failures from one address within `windowMs` after which its new
   * exchanges are refused (`temporary-auth-failure`) until the window has
   * passed since its last failure. Default 100; `null`: never refuse.
   */
  readonly maxFailuresPerAddress?: number | null;
  /**
   * Failures for one user name within `windowMs` after which the user's
   * logins are refused, right password or not, until the window has passed.
   * Default `null` (never), because anyone who knows a name could lock its
   * owner out; set it where that trade is right.
   */
  readonly maxFailuresPerUser?: number | null;
  /**
   * How long a failure is remembered, in ms, counted from an address's (or
   * user's) last failure. Default 900000 (15 minutes).
   */
  readonly windowMs?: number;
  /** Most addresses (and, separately, users) remembered; the least recently failed are forgotten first. Default 10000. */
  readonly maxEntries?: number;
  /** The clock, in ms; for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** How much a {@link MemoryLoginThrottle} remembers. */
export interface ThrottleSize {
  /** Addresses (IPv4, IPv6 /64) with failures in their window. */
  readonly addresses: number;
  /** User names with failures in their window. */
  readonly users: number;
}

interface Entry {
  failures: number;
  last: number;
}

function nonNegative(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new SASLError(null, 'invalid argument', `${what} must be a non-negative number`);
  return v;
}

function limit(value: number | null | undefined, fallback: number | null, what: string): number | null {
  const v = value === undefined ? fallback : value;
  if (v !== null && !isIntegerIn(v)) throw new SASLError(null, 'invalid argument', `${what} must be a positive integer or null`);
  return v;
}

/**
 * The key an address is counted under: IPv4 as is (IPv4-mapped IPv6 unmapped),
 * IPv6 by its /64 prefix, since one client usually holds a whole /64.
 *
 * @param address - the peer address
 */
function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * The key a user name is counted under: the name, cut at 256 characters so
 * that the table's memory stays bounded whatever names a guesser sends (names
 * that long are junk; merging them costs nothing).
 *
 * @param authcid - the name the client tried
 */
function userKey(authcid: string): string {
  return authcid.length > 256 ? authcid.slice(0, 256) : authcid;
}

/** A bounded map from key to failure count that forgets entries after a window. */
class FailureTable {
  readonly #entries = new Map<string, Entry>();
  constructor(
    readonly windowMs: number,
    readonly maxEntries: number,
  ) {}

  failures(key: string, now: number): number {
    const e = this.#entries.get(key);
    if (!e) return 0;
    if (now - e.last >= this.windowMs) {
      this.#entries.delete(key);
      return 0;
    }
    return e.failures;
  }

  add(key: string, now: number): number {
    const n = this.failures(key, now) + 1;
    this.#entries.delete(key); // re-insert: the map's order is least recently failed first
    this.#entries.set(key, { failures: n, last: now });
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    return n;
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * The built-in throttle, in memory, modelled on Dovecot: every failed login
 * is answered after a delay (`failureDelayMs`, 250 ms by default) that
 * doubles with each further failure from the same address or for the same
 * user, up to `maxDelayMs` (2 s); an address with `maxFailuresPerAddress`
 * failures (100) is refused until `windowMs` (15 minutes) passed since its
 * last failure; a per-user refusal is available but off by default.
 * Addresses are counted per IPv4 address and per IPv6 /64; a connection
 * without {@link ServerConnection.peerAddress} is counted only per user.
 * Memory is bounded (`maxEntries` per table, user names counted by their
 * first 256 characters) and entries expire.
 *
 * It is the default of {@link SASLServerOptions.throttle}; one instance
 * serves one process. For a fleet, implement {@link LoginThrottle} over
 * shared state.
 */
export class MemoryLoginThrottle implements LoginThrottle {
  readonly #failureDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxPerAddress: number | null;
  readonly #maxPerUser: number | null;
  readonly #now: () => number;
  readonly #addresses: FailureTable;
  readonly #users: FailureTable;

  /**
   * @param options - see {@link MemoryLoginThrottleOptions}
   * @throws {@link SASLError} for a negative delay or window, or a limit that is not a positive integer
   */
  constructor(options: MemoryLoginThrottleOptions = {}) {
    this.#failureDelayMs = nonNegative(options.failureDelayMs, 250, 'failureDelayMs');
    this.#maxDelayMs = nonNegative(options.maxDelayMs, 2000, 'maxDelayMs');
    this.#maxPerAddress = limit(options.maxFailuresPerAddress, 100, 'maxFailuresPerAddress');
    this.#maxPerUser = limit(options.maxFailuresPerUser, null, 'maxFailuresPerUser');
    const windowMs = nonNegative(options.windowMs, 900_000, 'windowMs');
    const maxEntries = limit(options.maxEntries, 10_000, 'maxEntries') ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#addresses = new FailureTable(windowMs, maxEntries);
    this.#users = new FailureTable(windowMs, maxEntries);
  }

  /** How many addresses and users are remembered now (for metrics and tests). */
  get size(): ThrottleSize {
    return { addresses: this.#addresses.size, users: this.#users.size };
  }

  /**
   * Refuse an address (or, with `authcid`, a user) over its limit; else allow.
   *
   * @param attempt - the attempt
   */
  check(attempt: LoginAttempt): ThrottleDecision {
    return this.#refusal(attempt, this.#now()) ?? { action: 'allow' };
  }

  /**
   * Count the failure for the address and the user and answer it after the
   * escalating delay; refuse (uncounted) when a limit was already reached.
   *
   * @param attempt - the attempt
   */
  failed(attempt: LoginAttempt): ThrottleDecision {
    const now = this.#now();
    // Over a limit already (a locked user's wrong password): the same
    // refusal as its right password gets from check().
    const refusal = this.#refusal(attempt, now);
    if (refusal) return refusal;
    const address = attempt.connection.peerAddress;
    const byAddress = address ? this.#addresses.add(addressKey(address), now) : 0;
    const byUser = attempt.authcid !== null ? this.#users.add(userKey(attempt.authcid), now) : 0;
    const n = Math.max(byAddress, byUser, 1);
    const ms = Math.min(this.#maxDelayMs, this.#failureDelayMs * 2 ** Math.min(n - 1, 30));
    return ms > 0 ? { action: 'delay', ms } : { action: 'allow' };
  }

  /**
   * Forget the user's failures (not the address's: one good account must
   * not reset a guesser's penalty).
   *
   * @param attempt - the attempt
   */
  succeeded(attempt: LoginAttempt): void {
    if (attempt.authcid !== null) this.#users.forget(userKey(attempt.authcid));
  }

  #refusal(attempt: LoginAttempt, now: number): ThrottleDecision | null {
    const address = attempt.connection.peerAddress;
    if (address && this.#maxPerAddress !== null && this.#addresses.failures(addressKey(address), now) >= this.#maxPerAddress) {
      return { action: 'refuse', text: 'too many failed logins from this address; try again later' };
    }
    if (attempt.authcid !== null && this.#maxPerUser !== null && this.#users.failures(userKey(attempt.authcid), now) >= this.#maxPerUser) {
      return { action: 'refuse', text: 'too many failed logins for this user; try again later' };
    }
    return null;
  }
}
