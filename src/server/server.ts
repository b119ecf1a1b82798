/**
 * The SASL server: which mechanisms to offer on a connection, and starting
 * exchanges.
 *
 * @module
 */
import { SASLError } from '../core/errors.js';
import { randomBytes } from '../crypto/random.js';
import { defaultAuthorizer, type Authorizer } from './authorization.js';
import { MemoryCredentialStore, type CredentialStore } from './credentials/store.js';
import { ServerExchange, type ExchangeEnd, type ExchangeOptions, type ExchangeSetup } from './exchange.js';
import { failure, type ServerConnection, type ServerMechanism } from './mechanism.js';
import { DEFAULT_MAX_AUTH_FAILURES, MemoryLoginThrottle, type LoginThrottle } from './throttle.js';
import { isMechanismName } from '../core/mechanism-name.js';
import { checkInteger } from '../core/checks.js';

/** Configuration of a {@link SASLServer}. */
export interface SASLServerOptions {
  /** The mechanisms this server runs, e.g. `[new SCRAMServer('SHA-256'), new PLAINServer()]`. */
  readonly mechanisms: readonly ServerMechanism[];
  /** Where user credentials come from; default an empty {@link MemoryCredentialStore}. */
  readonly credentials?: CredentialStore;
  /** Authorization check and claims hook; default {@link defaultAuthorizer}. */
  readonly authorize?: Authorizer;
  /**
   * Offer and accept plaintext-password mechanisms (PLAIN) on connections
   * that are not secure. Default false: they give `encryption-required`.
   */
  readonly allowInsecurePlaintext?: boolean;
  /**
   * The server secret (at least 16 bytes) from which unknown users' fake
   * SCRAM salts are derived. Keep it stable across restarts and identical
   * across a cluster, or an attacker who sees an unknown name's salt change
   * learns the name is unknown. Default: random per {@link SASLServer}.
   */
  readonly secret?: Uint8Array;
  /** The largest client message accepted, in bytes. Default 16384. */
  readonly maxMessageSize?: number;
  /** The most client messages one exchange may take (initial response included). Default 10. */
  readonly maxSteps?: number;
  /**
   * Called with any unexpected error (e.g. from the credential store); the
   * client then gets `temporary-auth-failure`. Use it for logging.
   */
  readonly onInternalError?: (err: unknown) => void;
  /**
   * Called once when an exchange ends, with its success or failure (the
   * client's abort included): for audit logs and metrics. It sees the
   * outcome or the condition, never a password or key. An error it throws
   * goes to {@link SASLServerOptions.onInternalError} and does not change
   * the result.
   */
  readonly onExchangeEnd?: (end: ExchangeEnd) => void;
  /**
   * The brute-force defence every exchange consults (see {@link LoginThrottle}):
   * before it starts, after a failed login, and after a successful proof.
   * Default: a {@link MemoryLoginThrottle} with its defaults (failed logins
   * answered after 250 ms, doubling per further failure from the address or
   * for the user up to 2 s; an address refused after 100 failures in 15
   * minutes). `null` turns throttling off (tests; or a front end that
   * throttles already). Pass `new MemoryLoginThrottle({ failureDelayMs: 0 })`
   * to keep the refusals without the delays.
   */
  readonly throttle?: LoginThrottle | null;
  /**
   * Failed logins ({@link isFailedLogin}) allowed on one connection before
   * the protocol server closes it: IMAP (`* BYE`), SMTP (`421`) and XMPP
   * (`policy-violation`) all read it from here. Default
   * `DEFAULT_MAX_AUTH_FAILURES` (3).
   */
  readonly maxAuthFailures?: number;
}

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  return checkInteger(v, what);
}

function checkConnection(connection: ServerConnection): readonly unknown[] {
  if (typeof connection !== 'object' || connection === null || typeof connection.secure !== 'boolean') {
    throw new SASLError(null, 'invalid argument', 'connection must be an object with a boolean `secure`');
  }
  const cb = connection.channelBindings ?? [];
  if (!Array.isArray(cb) || cb.some((p) => typeof p?.cbName !== 'string' || typeof p.extractCbData !== 'function')) {
    throw new SASLError(null, 'invalid argument', 'connection.channelBindings must be an array of ChannelBindingProvider');
  }
  return cb;
}

/**
 * A SASL server (RFC 4422): configured once with mechanisms, a credential
 * store and policy; used by a protocol adapter per connection.
 *
 * ```ts
 * const names = server.advertise(connection);         // offer these
 * const exchange = server.start(chosen, connection);  // client picked one
 * let result = await exchange.step(initialResponse);  // null = none sent
 * while (result.kind === 'challenge') result = await exchange.step(await nextResponse(result.data));
 * ```
 */
export class SASLServer {
  readonly #mechanisms: readonly ServerMechanism[];
  readonly #credentials: CredentialStore;
  readonly #authorize: Authorizer;
  readonly #allowInsecurePlaintext: boolean;
  readonly #secret: Uint8Array;
  readonly #maxMessageSize: number;
  readonly #maxSteps: number;
  readonly #onInternalError: ((err: unknown) => void) | null;
  readonly #onExchangeEnd: ((end: ExchangeEnd) => void) | null;
  readonly #throttle: LoginThrottle | null;
  readonly #maxAuthFailures: number;
  /**
   * The mechanisms offered by `secure` and whether the connection has
   * channel-binding providers (index `secure * 2 + hasBindings`), computed
   * once each; {@link #available} then asks only `availableOn`.
   */
  readonly #availableCache: Array<Available | undefined> = [];

  /**
   * Configure the server.
   *
   * @param options - see {@link SASLServerOptions}
   * @throws {@link SASLError} for invalid options (e.g. two mechanisms with one name)
   */
  constructor(options: SASLServerOptions) {
    const mechanisms = options?.mechanisms;
    if (!Array.isArray(mechanisms) || mechanisms.length === 0) {
      throw new SASLError(null, 'invalid argument', 'mechanisms must be a non-empty array of server mechanisms');
    }
    const names = new Set<string>();
    for (const m of mechanisms as readonly ServerMechanism[]) {
      if (!isMechanismName(m?.name) || typeof m.start !== 'function') {
        throw new SASLError(null, 'invalid argument', `not a server mechanism: ${String(m?.name)}`);
      }
      if (m.first !== undefined && m.first !== 'client' && m.first !== 'server') {
        throw new SASLError(null, 'invalid argument', `${m.name}: first must be 'client' or 'server'`);
      }
      if (names.has(m.name)) throw new SASLError(null, 'invalid argument', `mechanism ${m.name} configured twice`);
      names.add(m.name);
    }
    // Strongest first; ties keep the configured order (sort is stable).
    this.#mechanisms = [...mechanisms].sort((a, b) => b.strength - a.strength);
    this.#credentials = options.credentials ?? new MemoryCredentialStore();
    this.#authorize = options.authorize ?? defaultAuthorizer;
    this.#allowInsecurePlaintext = options.allowInsecurePlaintext === true;
    this.#secret = options.secret ?? randomBytes(32);
    if (!(this.#secret instanceof Uint8Array) || this.#secret.length < 16) {
      throw new SASLError(null, 'invalid argument', 'secret must be a Uint8Array of at least 16 bytes');
    }
    this.#maxMessageSize = positiveInteger(options.maxMessageSize, 16384, 'maxMessageSize');
    this.#maxSteps = positiveInteger(options.maxSteps, 10, 'maxSteps');
    this.#onInternalError = options.onInternalError ?? null;
    this.#onExchangeEnd = options.onExchangeEnd ?? null;
    const throttle = options.throttle === undefined ? new MemoryLoginThrottle() : options.throttle;
    if (throttle !== null && (typeof throttle?.check !== 'function' || typeof throttle.failed !== 'function')) {
      throw new SASLError(null, 'invalid argument', 'throttle must be a LoginThrottle (check and failed methods) or null');
    }
    this.#throttle = throttle;
    this.#maxAuthFailures = positiveInteger(options.maxAuthFailures, DEFAULT_MAX_AUTH_FAILURES, 'maxAuthFailures');
  }

  /**
   * Failed logins allowed on one connection before the protocol server
   * closes it ({@link SASLServerOptions.maxAuthFailures}).
   */
  get maxAuthFailures(): number {
    return this.#maxAuthFailures;
  }

  /** The configured mechanisms, strongest first. */
  get mechanisms(): readonly ServerMechanism[] {
    return this.#mechanisms;
  }

  /**
   * The mechanism names to offer on `connection`, strongest first: no
   * plaintext-password mechanism unless the connection is secure (or
   * {@link SASLServerOptions.allowInsecurePlaintext}), no `-PLUS` mechanism
   * unless the connection has channel-binding providers.
   *
   * @param connection - the connection
   */
  advertise(connection: ServerConnection): string[] {
    return [...this.#available(connection).names];
  }

  /**
   * Start an exchange for the mechanism the client chose. Then call
   * {@link ServerExchange.step} with its initial response (`null` for none).
   * A mechanism not offered on this connection gives an exchange whose first
   * step fails: `encryption-required` for PLAIN on an insecure connection,
   * else `invalid-mechanism`.
   *
   * @param mechanism - the mechanism name the client sent (ASCII case-insensitive)
   * @param connection - the connection
   * @param options - per-protocol options, see {@link ExchangeOptions}
   */
  start(mechanism: string, connection: ServerConnection, options: ExchangeOptions = {}): ServerExchange {
    const available = this.#available(connection);
    // Names are registered in upper case; some protocols (IMAP) send them in any case.
    const name = typeof mechanism === 'string' ? (LOWER_ASCII.test(mechanism) ? mechanism.replace(LOWER_ASCII_ALL, (c) => c.toUpperCase()) : mechanism) : '';
    const chosen = available.mechanisms.find((m) => m.name === name);
    if (!chosen) {
      const configured = this.#mechanisms.find((m) => m.name === name);
      const refusal =
        configured?.plaintext && !connection.secure
          ? failure('encryption-required', `${name} needs an encrypted connection`)
          : failure('invalid-mechanism', `mechanism not available: ${name.slice(0, 20)}`);
      return this.#exchange(name, connection, options, { ok: false, refusal });
    }
    let session: ExchangeSetup['session'];
    try {
      session = {
        ok: true,
        session: chosen.start({
          connection,
          credentials: this.#credentials,
          advertised: available.names,
          secret: this.#secret,
        }),
        first: chosen.first === 'server' ? 'server' : 'client',
        initialResponse: chosen.initialResponse === true,
      };
    } catch (err) {
      // A broken mechanism must not take the adapter down with it.
      this.#onInternalError?.(err);
      session = { ok: false, refusal: failure('temporary-auth-failure', 'internal error') };
    }
    return this.#exchange(name, connection, options, session);
  }

  #exchange(mechanism: string, connection: ServerConnection, options: ExchangeOptions, session: ExchangeSetup['session']): ServerExchange {
    return new ServerExchange({
      mechanism,
      session,
      connection,
      authorize: this.#authorize,
      maxMessageSize: this.#maxMessageSize,
      maxSteps: this.#maxSteps,
      onInternalError: this.#onInternalError,
      onEnd: this.#onExchangeEnd,
      throttle: this.#throttle,
      options,
    });
  }

  #available(connection: ServerConnection): Available {
    const hasBindings = checkConnection(connection).length > 0;
    const secure = connection.secure;
    const key = (secure ? 2 : 0) + (hasBindings ? 1 : 0);
    const base = (this.#availableCache[key] ??= availableOf(
      this.#mechanisms.filter((m) => (!m.plaintext || secure || this.#allowInsecurePlaintext) && (!m.channelBinding || hasBindings)),
    ));
    // The per-connection condition, asked every time; the shared answer when every mechanism passes.
    let kept: ServerMechanism[] | null = null;
    for (let i = 0; i < base.mechanisms.length; i++) {
      const m = base.mechanisms[i]!;
      const ok = typeof m.availableOn !== 'function' || m.availableOn(connection) === true;
      if (!ok && kept === null) kept = base.mechanisms.slice(0, i);
      else if (ok && kept !== null) kept.push(m);
    }
    return kept === null ? base : availableOf(kept);
  }
}

/** The mechanisms offered on a connection, strongest first, and their names. */
interface Available {
  readonly mechanisms: readonly ServerMechanism[];
  readonly names: readonly string[];
}

function availableOf(mechanisms: ServerMechanism[]): Available {
  return Object.freeze({ mechanisms: Object.freeze(mechanisms), names: Object.freeze(mechanisms.map((m) => m.name)) });
}

const LOWER_ASCII = /[a-z]/;
const LOWER_ASCII_ALL = /[a-z]/g;
