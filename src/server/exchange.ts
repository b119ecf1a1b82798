/**
 * One server-side SASL exchange: bounds, authorization and the outcome
 * around a {@link ServerMechanismSession}.
 *
 * @module
 */
import { isSASLCondition } from '../core/conditions.js';
import { SASLError } from '../core/errors.js';
import { sameIdentity, type AuthorizationGrant, type Authorizer, type AuthzidOf } from './authorization.js';
import {
  challenge,
  failure,
  type MechanismDone,
  type MechanismStep,
  type MechanismSuccess,
  type ServerChallenge,
  type ServerConnection,
  type ServerFailure,
  type ServerMechanismSession,
} from './mechanism.js';
import { isFailedLogin, type LoginAttempt, type LoginThrottle, type ThrottleDecision } from './throttle.js';

/** The longest delay a throttle may impose on one step, in ms. */
const MAX_THROTTLE_DELAY_MS = 60_000;

const isPromiseLike = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Who the client is, once an exchange succeeded. */
export interface AuthOutcome {
  /** The mechanism used, e.g. `'SCRAM-SHA-256-PLUS'`. */
  readonly mechanism: string;
  /** The authentication identity (after SASLprep); `null` for ANONYMOUS. */
  readonly authcid: string | null;
  /**
   * The identity the session acts as: the authzid the client asked for and
   * was authorized to use, or the authcid when it asked for none; `null` for ANONYMOUS.
   */
  readonly authzid: string | null;
  /** The channel-binding type the exchange was bound to (`'tls-exporter'`, ...), or `null`. */
  readonly channelBinding: string | null;
  /**
   * Facts from the mechanism and the {@link Authorizer}. ANONYMOUS puts the
   * client's trace token in `traceToken`.
   */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The exchange succeeded. */
export interface ServerSuccess {
  /** Discriminant. */
  readonly kind: 'success';
  /**
   * Additional data to send with the success (SCRAM's server-final `v=`),
   * or `null`. A protocol that cannot carry data with success should start
   * the exchange with `successData: 'challenge'` instead.
   */
  readonly data: Uint8Array | null;
  /** Who the client is. */
  readonly outcome: AuthOutcome;
}

/**
 * What {@link ServerExchange.step} answers: send a challenge and wait for the
 * response, or end the exchange with success or failure.
 */
export type ServerResult = ServerChallenge | ServerSuccess | ServerFailure;

/** Options of one exchange, chosen by the protocol adapter. */
export interface ExchangeOptions {
  /**
   * How additional data with success reaches the client:
   * `'inline'` (default) puts it in {@link ServerSuccess.data}, for protocols
   * that carry it (XMPP `<success>`, SMTP/IMAP with RFC 4422 semantics in
   * newer drafts); `'challenge'` sends it as a final challenge, expects an
   * empty response, then succeeds with no data (IMAP RFC 4959, SMTP RFC 4954).
   */
  readonly successData?: 'inline' | 'challenge';
  /**
   * The user name an authzid denotes in this protocol ({@link AuthzidOf}).
   * Default: the authzid itself, right for IMAP and SMTP; the XMPP adapter
   * passes `xmppAuthzidOf(domain)`, as an XMPP authzid is a bare JID. The
   * authzid names the client when that name equals the authcid after
   * SASLprep (`sameIdentity`); the outcome's `authzid` is then the
   * authcid.
   */
  readonly authzidOf?: AuthzidOf;
}

/**
 * How an exchange ended, as {@link SASLServerOptions.onExchangeEnd} reports
 * it: the mechanism the client asked for, the connection, and the final
 * success or failure.
 */
export interface ExchangeEnd {
  /** The mechanism name the client asked for (upper case). */
  readonly mechanism: string;
  /** The connection the exchange ran on. */
  readonly connection: ServerConnection;
  /** The success (with the outcome) or the failure (with the condition). */
  readonly result: ServerSuccess | ServerFailure;
}

/** @internal what {@link SASLServer} hands to a new exchange */
export interface ExchangeSetup {
  readonly mechanism: string;
  /** The mechanism's session, or the failure the first step must give (mechanism not available). */
  readonly session:
    | { readonly ok: true; readonly session: ServerMechanismSession; readonly first: 'client' | 'server'; readonly initialResponse: boolean }
    | { readonly ok: false; readonly refusal: ServerFailure };
  readonly connection: ServerConnection;
  readonly authorize: Authorizer;
  readonly maxMessageSize: number;
  readonly maxSteps: number;
  readonly onInternalError: ((err: unknown) => void) | null;
  /** Told once, when the exchange ends. */
  readonly onEnd?: ((end: ExchangeEnd) => void) | null;
  /** The brute-force defence, or `null` for none. */
  readonly throttle?: LoginThrottle | null;
  readonly options: ExchangeOptions;
}

type Phase = 'open' | 'busy' | 'final-challenge' | 'done';

/**
 * One exchange, created by {@link SASLServer.start}. Call {@link step} with
 * the client's initial response (`null` for none), then with each response to
 * a challenge, until the result is a success or a failure.
 *
 * The exchange never throws for anything the client sends: every bad message
 * ends in a {@link ServerFailure} with a condition. It throws a
 * {@link SASLError} only for misuse by the caller: a step after the end, two
 * steps at once, or a response that is not a `Uint8Array`.
 */
export class ServerExchange {
  /** The mechanism name the client asked for. */
  readonly mechanism: string;
  readonly #setup: ExchangeSetup;
  #phase: Phase = 'open';
  #steps = 0;
  #pendingSuccess: ServerSuccess | null = null;
  #result: ServerResult | null = null;

  /** @internal use {@link SASLServer.start} */
  constructor(setup: ExchangeSetup) {
    this.mechanism = setup.mechanism;
    this.#setup = setup;
  }

  /** True once the exchange ended (success, failure or abort). */
  get done(): boolean {
    return this.#phase === 'done';
  }

  /** The last result, or `null` before the first step. */
  get result(): ServerResult | null {
    return this.#result;
  }

  /**
   * Feed the client's next message.
   *
   * @param response - the initial response on the first call (`null` when the
   *   client sent none, which differs from an empty one), then each response
   * @returns the next challenge, or the end of the exchange
   * @throws {@link SASLError} on misuse (see the class comment), never for client input
   */
  async step(response: Uint8Array | null): Promise<ServerResult> {
    if (this.#phase === 'done') throw new SASLError(null, 'invalid state', 'the exchange is already finished');
    if (this.#phase === 'busy') throw new SASLError(null, 'invalid state', 'a step is already in progress');
    const first = this.#steps === 0;
    if (response !== null && !(response instanceof Uint8Array)) {
      throw new SASLError(null, 'invalid argument', 'response must be a Uint8Array (or null for no initial response)');
    }
    if (response === null && !first) {
      throw new SASLError(null, 'invalid argument', 'only the initial response may be absent (null)');
    }
    this.#steps++;
    const { maxMessageSize, maxSteps } = this.#setup;
    if (response !== null && response.length > maxMessageSize) {
      return this.#end(failure('malformed-request', `client message longer than ${maxMessageSize} bytes`));
    }
    if (this.#steps > maxSteps) {
      return this.#end(failure('malformed-request', `more than ${maxSteps} client messages`));
    }
    if (this.#phase === 'final-challenge') {
      const success = this.#pendingSuccess!;
      if (response!.length !== 0) return this.#end(failure('malformed-request', 'expected an empty response to the final challenge'));
      return this.#end({ ...success, data: null });
    }
    const setup = this.#setup.session;
    if (!setup.ok) return this.#end(setup.refusal);

    this.#phase = 'busy';
    if (first && this.#setup.throttle) {
      // May this client try at all? (Before any credential is looked at.)
      let refusal = this.#consult(null, 'check');
      if (isPromiseLike(refusal)) {
        refusal = await refusal;
        if (this.#aborted()) return this.#result!;
      }
      if (refusal) return this.#end(refusal);
    }
    let step: MechanismStep;
    try {
      step = await (first ? this.#open(setup, response) : setup.session.next(response!));
    } catch (err) {
      step = this.#failureOf(err);
    }
    if (this.#aborted()) return this.#result!;
    this.#phase = 'open';
    switch (step.kind) {
      case 'challenge':
        return this.#emit(step);
      case 'failure':
        return this.#fail(step);
      case 'success':
      case 'done':
        return this.#finish(step);
    }
  }

  /**
   * Abort the exchange (the client cancelled it, or the connection closed).
   *
   * @returns the failure with condition `aborted`
   */
  abort(): ServerFailure {
    const result = failure('aborted', 'the exchange was aborted');
    if (this.#phase !== 'done') this.#end(result);
    return result;
  }

  /**
   * The first message of the exchange, where the framework owns the
   * lifecycle (RFC 4422 §5): a client-first mechanism without an initial
   * response gets the empty challenge here, never a `null`; a server-first
   * one opens with its own challenge, and an initial response goes to it
   * only when its descriptor allows one.
   */
  #open(
    setup: { readonly session: ServerMechanismSession; readonly first: 'client' | 'server'; readonly initialResponse: boolean },
    response: Uint8Array | null,
  ): MechanismStep | Promise<MechanismStep> {
    const { session } = setup;
    if (setup.first === 'client') return response === null ? challenge(new Uint8Array(0)) : session.next(response);
    if (response !== null && setup.initialResponse && response.length === 0) response = null;
    if (response !== null) {
      if (setup.initialResponse) return session.next(response);
      return failure('malformed-request', `${this.mechanism}: the server speaks first; no initial response allowed`);
    }
    if (typeof session.begin !== 'function') throw new Error(`${this.mechanism}: a server-first mechanism without begin()`);
    return session.begin();
  }

  /** Does `authzid` name `authcid` in this protocol? An {@link AuthzidOf} that throws says no. */
  #isSelf(authzid: string, authcid: string): boolean {
    const authzidOf = this.#setup.options.authzidOf;
    if (authzidOf === undefined) return sameIdentity(authzid, authcid);
    let name: string | null;
    try {
      name = authzidOf(authzid);
    } catch {
      return false;
    }
    return typeof name === 'string' && sameIdentity(name, authcid);
  }

  /**
   * Authorize, consult the throttle, and succeed. Synchronous while the
   * authorizer and the throttle answer synchronously (the defaults do); a
   * promise from either is awaited, and an abort while waiting wins. (Private
   * methods rather than closures: this runs once per login.)
   */
  #finish(done: MechanismSuccess | MechanismDone): ServerResult | Promise<ServerResult> {
    const { identity } = done;
    const claims = { ...(identity.claims ?? {}) };
    this.#phase = 'busy';
    const authzidIsSelf = identity.authzid === null || (identity.authcid !== null && this.#isSelf(identity.authzid, identity.authcid));
    let decision: ReturnType<Authorizer>;
    try {
      decision = this.#setup.authorize({
        mechanism: this.mechanism,
        authcid: identity.authcid,
        authzid: identity.authzid,
        channelBinding: identity.channelBinding,
        claims,
        connection: this.#setup.connection,
        authzidIsSelf,
      });
    } catch (err) {
      return this.#refused(err);
    }
    if (isPromiseLike(decision)) {
      return Promise.resolve(decision).then(
        (d) => (this.#aborted() ? this.#result! : this.#authorized(done, claims, authzidIsSelf, d)),
        (err: unknown) => this.#refused(err),
      );
    }
    return this.#authorized(done, claims, authzidIsSelf, decision);
  }

  /** The authorizer threw or rejected: end with its failure (unless aborted meanwhile). */
  #refused(err: unknown): ServerResult {
    const f = this.#failureOf(err);
    return this.#aborted() ? this.#result! : this.#end(f);
  }

  /** {@link #finish} once the authorizer decided: the throttle, then the success. */
  #authorized(
    done: MechanismSuccess | MechanismDone,
    claims: Record<string, unknown>,
    authzidIsSelf: boolean,
    decision: Awaited<ReturnType<Authorizer>>,
  ): ServerResult | Promise<ServerResult> {
    const { identity } = done;
    this.#phase = 'open';
    if (decision === false || (decision !== true && (typeof decision !== 'object' || decision === null))) {
      return this.#fail({ ...failure('invalid-authzid', 'not authorized to act as the requested identity'), ...(identity.authcid === null ? {} : { authcid: identity.authcid }) });
    }
    const authcid = identity.authcid;
    if (authcid === null || !this.#setup.throttle) return this.#succeed(done, claims, authzidIsSelf, decision);
    // A user locked out by the throttle is refused even with the right
    // password, with the answer its wrong passwords get.
    this.#phase = 'busy';
    const refusal = this.#consult(authcid, 'check');
    if (isPromiseLike(refusal)) {
      return refusal.then((r) => (this.#aborted() ? this.#result! : this.#checked(done, claims, authzidIsSelf, decision, authcid, r)));
    }
    return this.#checked(done, claims, authzidIsSelf, decision, authcid, refusal);
  }

  /** {@link #authorized} once the throttle's check answered: tell it of the success, then succeed. */
  #checked(
    done: MechanismSuccess | MechanismDone,
    claims: Record<string, unknown>,
    authzidIsSelf: boolean,
    decision: true | AuthorizationGrant,
    authcid: string,
    refusal: ServerFailure | null,
  ): ServerResult | Promise<ServerResult> {
    this.#phase = 'open';
    if (refusal) return this.#end(refusal);
    let told: void | Promise<void> = undefined;
    try {
      told = this.#setup.throttle!.succeeded?.(this.#attempt(authcid));
    } catch (err) {
      this.#setup.onInternalError?.(err);
    }
    if (!isPromiseLike(told)) return this.#succeed(done, claims, authzidIsSelf, decision);
    this.#phase = 'busy';
    return Promise.resolve(told).then(
      () => (this.#aborted() ? this.#result! : this.#succeed(done, claims, authzidIsSelf, decision)),
      (err: unknown) => {
        this.#setup.onInternalError?.(err);
        return this.#aborted() ? this.#result! : this.#succeed(done, claims, authzidIsSelf, decision);
      },
    );
  }

  #succeed(done: MechanismSuccess | MechanismDone, claims: Record<string, unknown>, authzidIsSelf: boolean, decision: true | AuthorizationGrant): ServerResult {
    const { identity } = done;
    this.#phase = 'open';
    const success: ServerSuccess = {
      kind: 'success',
      data: done.data,
      outcome: Object.freeze({
        mechanism: this.mechanism,
        authcid: identity.authcid,
        authzid: authzidIsSelf ? identity.authcid : identity.authzid,
        channelBinding: identity.channelBinding,
        claims: Object.freeze({ ...claims, ...(decision === true ? {} : (decision.claims ?? {})) }),
      }),
    };
    if (done.data !== null && this.#setup.options.successData === 'challenge') {
      this.#pendingSuccess = success;
      this.#phase = 'final-challenge';
      return this.#emit(challenge(done.data));
    }
    return this.#end(success);
  }

  #attempt(authcid: string | null): LoginAttempt {
    return { mechanism: this.mechanism, connection: this.#setup.connection, authcid };
  }

  /**
   * Ask the throttle; wait out a delay. Returns the refusal to answer
   * instead, or `null` to go on; synchronously when the throttle answered
   * synchronously without a delay. A throttle that throws refuses on `check`
   * (as a credential store that is down does) and lets `failed` go undelayed.
   */
  #consult(authcid: string | null, what: 'check' | 'failed'): ServerFailure | null | Promise<ServerFailure | null> {
    const throttle = this.#setup.throttle;
    if (!throttle) return null;
    let decision: ThrottleDecision | Promise<ThrottleDecision>;
    try {
      decision = throttle[what](this.#attempt(authcid));
    } catch (err) {
      return this.#throttleBroken(err, what);
    }
    if (!isPromiseLike(decision)) return this.#decide(decision, authcid);
    return Promise.resolve(decision).then(
      (d) => this.#decide(d, authcid),
      (err: unknown) => this.#throttleBroken(err, what),
    );
  }

  /** What a throttle's decision means for the exchange (see {@link #consult}). */
  #decide(decision: ThrottleDecision, authcid: string | null): ServerFailure | null | Promise<null> {
    if (decision?.action === 'refuse') {
      const text = typeof decision.text === 'string' ? decision.text : 'too many failed logins; try again later';
      return { ...failure('temporary-auth-failure', text), ...(authcid === null ? {} : { authcid }) };
    }
    if (decision?.action === 'delay' && Number.isFinite(decision.ms) && decision.ms > 0) {
      return sleep(Math.min(decision.ms, MAX_THROTTLE_DELAY_MS)).then(() => null);
    }
    return null;
  }

  /** A throttle that throws refuses on `check` and lets `failed` go undelayed. */
  #throttleBroken(err: unknown, what: 'check' | 'failed'): ServerFailure | null {
    this.#setup.onInternalError?.(err);
    return what === 'check' ? failure('temporary-auth-failure', 'internal error') : null;
  }

  /** End with a failure; a failed login goes through the throttle first (delayed, or replaced by a refusal). */
  async #fail(result: ServerFailure): Promise<ServerResult> {
    if (!this.#setup.throttle || !isFailedLogin(result)) return this.#end(result);
    this.#phase = 'busy';
    const refusal = await this.#consult(typeof result.authcid === 'string' ? result.authcid : null, 'failed');
    if (this.#aborted()) return this.#result!;
    return this.#end(refusal ?? result);
  }

  /** True when {@link abort} ended the exchange while a step was awaiting. */
  #aborted(): boolean {
    return this.#phase === 'done';
  }

  #failureOf(err: unknown): ServerFailure {
    if (err instanceof SASLError && isSASLCondition(err.opaqueError)) return failure(err.opaqueError, err.text);
    if (err instanceof SASLError && err.opaqueError === null && err.kind === 'SASL failure') return failure('malformed-request', err.text);
    this.#setup.onInternalError?.(err);
    return failure('temporary-auth-failure', 'internal error');
  }

  #emit(result: ServerResult): ServerResult {
    this.#result = result;
    return result;
  }

  #end(result: ServerSuccess | ServerFailure): ServerResult {
    this.#phase = 'done';
    this.#result = result;
    const onEnd = this.#setup.onEnd;
    if (onEnd) {
      try {
        onEnd({ mechanism: this.mechanism, connection: this.#setup.connection, result });
      } catch (err) {
        // A broken logger must not change what the client is told.
        this.#setup.onInternalError?.(err);
      }
    }
    return result;
  }
}
