/**
 * The receiving entity's side of RFC 6120 §5–6 on the saslkit server
 * framework: stream features by connection state, STARTTLS, SASL with
 * success data and failure conditions, and the stream restart.
 *
 * @module
 */
import { randomBytes } from '../../crypto/random.js';
import type { AuthOutcome } from '../../server/exchange.js';
import type { ServerConnection } from '../../server/mechanism.js';
import type { SASLServer } from '../../server/server.js';
import { DEFAULT_MAX_AUTH_FAILURES } from '../../server/throttle.js';
import { xmlElement, type XmlElement } from './element.js';
import { XmppStreamError } from './errors.js';
import { serveXmppAuth, type XmppServeAuthResult } from './auth.js';
import { featuresElement } from './features.js';
import { NS_CLIENT, NS_SASL, NS_SESSION, NS_TLS } from './namespaces.js';
import type { StreamHeader } from './parser.js';
import type { XmppStreamTransport } from './transport.js';
import { armLoginDeadline, farewell, loginLimits, type LoginLimitOptions } from '../login-limits.js';
import { failureElement, streamErrorElement, type StreamErrorCondition } from './wire.js';
import { checkInteger } from '../../core/checks.js';

/** Options of {@link XmppServerSession}. */
export interface XmppServerSessionOptions extends LoginLimitOptions {
  /** The SASL server (mechanisms, credentials, policy). */
  readonly sasl: SASLServer;
  /** The domain this server serves (the `from` of its stream header). */
  readonly domain: string;
  /**
   * The connection as the SASL server should see it now (secure? which
   * channel bindings?). Called again after STARTTLS.
   */
  readonly connection: () => ServerConnection;
  /**
   * Run the TLS handshake on the underlying connection after `<proceed/>`
   * was sent. Absent: STARTTLS is not offered (e.g. over WebSocket, where
   * TLS is the WebSocket's own `wss:`).
   */
  readonly startTLS?: () => Promise<unknown>;
  /**
   * Offer no SASL mechanism before TLS, and mark STARTTLS `<required/>`.
   * Default: true when `startTLS` is given.
   */
  readonly requireTLS?: boolean;
  /**
   * Advertise the channel-binding types of `connection().channelBindings`
   * with XEP-0440 `<sasl-channel-binding/>`. Default true.
   */
  readonly advertiseChannelBindings?: boolean;
  /**
   * Features to offer after authentication. Default `<bind/>` (RFC 6120 §7)
   * and the legacy `<session/>` marked `<optional/>` (RFC 6121 Appendix E),
   * as Prosody offers them; see {@link serveResourceBinding}.
   */
  readonly postAuthFeatures?: Parameters<typeof featuresElement>[0];
  /**
   * Failed SASL attempts (failed logins, and also malformed or aborted
   * exchanges) allowed on one stream before it is closed with
   * `policy-violation` (RFC 6120 §6.4.5: 2 to 5). Default: the SASL server's
   * `maxAuthFailures` (3), the failed-login limit IMAP and SMTP use too;
   * set it there rather than here.
   */
  readonly maxAttempts?: number;
  /** Make a stream id. Default: 24 random hex digits. */
  readonly streamId?: () => string;
}

/** How a {@link XmppServerSession} ended. */
export type XmppServerResult =
  | {
      /** The client authenticated and restarted its stream. */
      readonly kind: 'authenticated';
      /** Who the client is. */
      readonly outcome: AuthOutcome;
      /** The client's header of the restarted stream. */
      readonly header: StreamHeader;
    }
  | {
      /** The stream ended before authentication (and was closed). */
      readonly kind: 'closed';
      /** Why, for logs (never a secret). */
      readonly reason: string;
    };

/**
 * One client stream on the server side, up to and including authentication.
 *
 * {@link XmppServerSession.run} reads the client's stream header, offers
 * `<starttls/>` (required, by default) and then `<mechanisms/>` from
 * `SASLServer.advertise` (plus XEP-0440's `<sasl-channel-binding/>`), runs
 * `<auth/>` / `<challenge/>` / `<response/>` / `<abort/>` through a
 * `ServerExchange`, answers `<success/>` with the mechanism's additional data
 * (SCRAM's `v=`) or `<failure/>` with its condition, and after success waits
 * for the stream restart and offers the post-authentication features. It
 * then resolves, leaving the stream to the application (resource binding and
 * beyond).
 *
 * Bad input never throws out of `run`: a parse error or a size bound gives
 * `<stream:error/>` (`not-well-formed`, `policy-violation`, ...) and closes
 * the stream; a stanza before authentication gives `not-authorized`.
 */
export class XmppServerSession {
  readonly #transport: XmppStreamTransport;
  readonly #options: XmppServerSessionOptions;
  readonly #maxAttempts: number;
  readonly #limits: ReturnType<typeof loginLimits>;
  #failures = 0;
  #expired = false;
  /** Our header for the current stream is out (a stream error needs one first, RFC 6120 §4.9.1.1). */
  #headerSent = false;

  /**
   * Prepare to serve one client stream; nothing happens until {@link XmppServerSession.run}.
   *
   * @param transport - the client's stream
   * @param options - see {@link XmppServerSessionOptions}
   */
  constructor(transport: XmppStreamTransport, options: XmppServerSessionOptions) {
    this.#transport = transport;
    this.#options = options;
    const max = options.maxAttempts ?? options.sasl?.maxAuthFailures ?? DEFAULT_MAX_AUTH_FAILURES;
    this.#maxAttempts = checkInteger(max, 'maxAttempts');
    this.#limits = loginLimits(options);
  }

  /**
   * Serve the stream until the client authenticated (and restarted the
   * stream) or the stream ended, the login deadline passed or too many
   * elements came before authentication ({@link LoginLimitOptions}: the
   * stream then ends with `connection-timeout` or `policy-violation`).
   * Never rejects for anything the client sends.
   */
  async run(): Promise<XmppServerResult> {
    const cancel = armLoginDeadline(this.#limits.timeoutMs, () => {
      this.#expired = true;
      farewell(() => this.#closeWith(new ProtocolViolation('connection-timeout', 'authentication took too long')), () => this.#transport.close());
    });
    try {
      return await this.#run();
    } catch (err) {
      if (this.#expired) return { kind: 'closed', reason: 'authentication took too long' };
      return this.#closeWith(err);
    } finally {
      cancel();
    }
  }

  async #run(): Promise<XmppServerResult> {
    await this.#openStream(false);
    for (let commands = 1; ; commands++) {
      const el = await this.#transport.receive();
      if (commands > this.#limits.maxCommands) return this.#streamError('policy-violation', 'too many elements before authentication');
      if (el.xmlns === NS_TLS && el.name === 'starttls') {
        await this.#startTLS();
        continue;
      }
      if (el.xmlns === NS_SASL && el.name === 'auth') {
        const outcome = await this.#authenticate(el);
        if (outcome) {
          this.#transport.resetStream();
          this.#headerSent = false;
          const restarted = await this.#openStream(true);
          return { kind: 'authenticated', outcome, header: restarted };
        }
        continue;
      }
      if (el.xmlns === NS_SASL && (el.name === 'response' || el.name === 'abort')) {
        await this.#transport.send(failureElement(el.name === 'abort' ? 'aborted' : 'malformed-request', 'no SASL exchange in progress'));
        continue;
      }
      // RFC 6120 §6.4.1 / §4.9.3.12: nothing but negotiation before authentication.
      return this.#streamError('not-authorized', `<${el.name.slice(0, 40)}/> before authentication`);
    }
  }

  async #openStream(authenticated: boolean): Promise<StreamHeader> {
    const theirs = await this.#transport.receiveStreamHeader();
    const ours: StreamHeader = {
      xmlns: theirs.xmlns ?? NS_CLIENT,
      from: this.#options.domain,
      id: this.#newStreamId(),
      version: '1.0',
      lang: 'en',
    };
    await this.#transport.sendStreamHeader(ours);
    this.#headerSent = true;
    if (theirs.version === undefined || !/^1\.\d+$/.test(theirs.version)) {
      throw new ProtocolViolation('unsupported-version', 'XMPP 1.0 streams only');
    }
    if (theirs.to !== undefined && theirs.to.toLowerCase() !== this.#options.domain.toLowerCase()) {
      throw new ProtocolViolation('host-unknown', 'this server does not serve that domain');
    }
    await this.#transport.send(authenticated ? featuresElement(this.#options.postAuthFeatures ?? POST_AUTH_FEATURES) : this.#features());
    return theirs;
  }

  #newStreamId(): string {
    return this.#options.streamId?.() ?? [...randomBytes(12)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  #requireTLS(): boolean {
    return this.#options.requireTLS ?? this.#options.startTLS !== undefined;
  }

  #features(): XmlElement {
    const connection = this.#options.connection();
    const offerTLS = !connection.secure && this.#options.startTLS !== undefined;
    const saslAllowed = connection.secure || !this.#requireTLS();
    const cbTypes = (connection.channelBindings ?? []).map((p) => p.cbName);
    return featuresElement({
      startTLS: offerTLS ? (this.#requireTLS() ? 'required' : true) : false,
      mechanisms: saslAllowed ? this.#options.sasl.advertise(connection) : [],
      channelBindings: saslAllowed && this.#options.advertiseChannelBindings !== false ? cbTypes : [],
    });
  }

  async #startTLS(): Promise<StreamHeader> {
    const upgrade = this.#options.startTLS;
    if (!upgrade || this.#options.connection().secure) {
      // RFC 6120 §5.4.2.2: <failure/>, then close the stream.
      await this.#transport.send(xmlElement('failure', NS_TLS));
      throw new ProtocolViolation(null, 'STARTTLS not available');
    }
    await this.#transport.send(xmlElement('proceed', NS_TLS));
    await upgrade();
    this.#transport.resetStream();
    this.#headerSent = false;
    return this.#openStream(false);
  }

  /** One SASL exchange ({@link serveXmppAuth}); the outcome on success, `null` after a failure. */
  async #authenticate(auth: XmlElement): Promise<AuthOutcome | null> {
    const connection = this.#options.connection();
    let result: XmppServeAuthResult;
    if (this.#requireTLS() && !connection.secure) {
      await this.#transport.send(failureElement('encryption-required', 'negotiate TLS first'));
      result = { kind: 'failure', failure: { kind: 'failure', condition: 'encryption-required', text: 'negotiate TLS first', data: null } };
    } else {
      result = await serveXmppAuth(this.#transport, auth, { sasl: this.#options.sasl, connection, domain: this.#options.domain });
    }
    if (result.kind === 'success') return result.outcome;
    if (++this.#failures >= this.#maxAttempts) {
      return this.#streamError('policy-violation', 'too many failed authentication attempts');
    }
    return null;
  }

  async #streamError(condition: StreamErrorCondition, text: string): Promise<never> {
    throw new ProtocolViolation(condition, text);
  }

  async #closeWith(err: unknown): Promise<XmppServerResult> {
    let condition: string | null = null;
    let reason: string;
    if (err instanceof ProtocolViolation) {
      condition = err.condition;
      reason = err.message;
    } else if (err instanceof XmppStreamError) {
      // Parse errors and bounds carry a stream error condition; a dead or
      // timed-out connection carries none (or connection-timeout).
      condition = err.opaqueError;
      reason = err.text ?? err.message;
    } else {
      condition = 'internal-server-error';
      reason = 'internal error';
    }
    if (condition !== null) {
      try {
        if (!this.#headerSent) {
          await this.#transport.sendStreamHeader({ xmlns: NS_CLIENT, from: this.#options.domain, id: this.#newStreamId(), version: '1.0' });
        }
        await this.#transport.send(streamErrorElement(condition, reason));
      } catch {
        // the connection may already be gone
      }
    }
    this.#transport.close();
    return { kind: 'closed', reason };
  }
}

/** A reason to end the stream with a stream error (internal). */
class ProtocolViolation extends Error {
  readonly condition: string | null;
  constructor(condition: string | null, text: string) {
    super(text);
    this.condition = condition;
  }
}

/** What {@link XmppServerSession} offers after authentication by default. */
const POST_AUTH_FEATURES = { bind: true, extra: [xmlElement('session', NS_SESSION, {}, [xmlElement('optional', NS_SESSION)])] };
