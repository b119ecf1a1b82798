/**
 * The contract between the server framework and a server-side mechanism.
 *
 * A server mechanism is as small as go-sasl's: {@link ServerMechanism.start}
 * gives a {@link ServerMechanismSession}, whose `next(response)` answers each
 * client message with a challenge, "done" (with the identity it proved) or a
 * failure. Everything else — which mechanisms to offer, bounds, authorization,
 * the outcome — is the framework's job ({@link SASLServer}, {@link ServerExchange}).
 *
 * @module
 */
import type { ChannelBindingProvider } from '../channel-binding/provider.js';
import type { SASLCondition } from '../core/conditions.js';
import type { SASLFailure } from '../core/errors.js';
import type { CredentialStore } from './credentials/store.js';

/**
 * What the server knows about the connection an exchange runs over.
 * A protocol adapter builds one per connection (and a new one after STARTTLS).
 */
export interface ServerConnection {
  /**
   * The channel is confidential and integrity-protected (TLS, or a local
   * socket you trust). Mechanisms that send the password in the clear (PLAIN)
   * are only offered when this is true, unless
   * {@link SASLServerOptions.allowInsecurePlaintext} is set.
   */
  readonly secure: boolean;
  /**
   * The channel-binding types this connection can give, as server-side
   * providers (e.g. `tls-exporter` from the Node TLS helpers), most preferred
   * first. `-PLUS` mechanisms are offered only when this is non-empty.
   */
  readonly channelBindings?: readonly ChannelBindingProvider[];
  /**
   * The identity established outside SASL, for EXTERNAL (RFC 4422
   * Appendix A): e.g. a verified TLS client certificate's subject, or the
   * peer user of a Unix socket. Absent or `null`: EXTERNAL is not offered.
   */
  readonly externalIdentity?: string | null;
  /**
   * The client's IP address as the server sees it (e.g. `'192.0.2.7'` or
   * `'2001:db8::7'`; IPv4-mapped IPv6 as the socket reports it). The
   * `LoginThrottle` (`./throttle.ts`) keys its per-address accounting on it. Absent when
   * the transport has no address (a pipe, a test).
   */
  readonly peerAddress?: string;
  /** The client's port (1-65535), when there is one. */
  readonly peerPort?: number;
  /** The server's own address the client connected to, when known. */
  readonly localAddress?: string;
  /** The server's own port the client connected to, when known. */
  readonly localPort?: number;
  /**
   * The negotiated TLS version as the TLS library names it (`'TLSv1.3'`,
   * `'TLSv1.2'`), or `null` on a connection without TLS. Absent when unknown.
   */
  readonly tlsVersion?: string | null;
  /**
   * The identity named by the client's TLS certificate (its subject CN) when
   * the TLS layer verified that certificate against the server's trusted
   * CAs; `null` when there is no verified client certificate. Informational
   * (logs, authorizers): EXTERNAL uses {@link externalIdentity}, which the
   * server configures separately. Absent when unknown.
   */
  readonly clientCertificateIdentity?: string | null;
}

/** A challenge for the client (possibly empty). */
export interface ServerChallenge {
  /** Discriminant. */
  readonly kind: 'challenge';
  /** The challenge bytes; empty when the client must simply go first. */
  readonly data: Uint8Array;
}

/** The exchange failed. */
export interface ServerFailure {
  /** Discriminant. */
  readonly kind: 'failure';
  /** Why, in RFC 6120 §6.5's vocabulary; adapters map it to their wire form. */
  readonly condition: SASLCondition;
  /** Human-readable detail for logs or the protocol's text field; never a secret. */
  readonly text: string | null;
  /**
   * Data the mechanism wants sent with the failure where the protocol can
   * carry it: for SCRAM, a server-final-message `e=<server-error-value>`
   * (RFC 5802 §7). `null` when there is none.
   */
  readonly data: Uint8Array | null;
  /**
   * The authentication identity the client tried (after SASLprep), when the
   * mechanism got as far as checking its credentials (PLAIN, LOGIN, SCRAM);
   * absent otherwise. The `LoginThrottle` counts failed logins per
   * user with it. Never send it to the client: it is the client's own claim.
   */
  readonly authcid?: string;
}

/** What a mechanism proved about the client once it is done. */
export interface AuthIdentity {
  /** The authentication identity (after SASLprep), or `null` for ANONYMOUS. */
  readonly authcid: string | null;
  /** The authorization identity the client asked for, or `null` when it asked for none. */
  readonly authzid: string | null;
  /** The channel-binding type the exchange was bound to, or `null`. */
  readonly channelBinding: string | null;
  /** Facts the mechanism learned (e.g. ANONYMOUS's `traceToken`). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * The mechanism finished successfully: the same moment as the exchange's
 * `ServerSuccess` (`./exchange.ts`), seen from inside the mechanism, so it
 * has the same name and discriminant. Build one with {@link success}.
 */
export interface MechanismSuccess {
  /** Discriminant. */
  readonly kind: 'success';
  /**
   * Additional data for the client with the success (SCRAM's `v=`), or
   * `null` for none.
   */
  readonly data: Uint8Array | null;
  /** Who the client proved to be. */
  readonly identity: AuthIdentity;
}

/**
 * The earlier spelling of {@link MechanismSuccess}, with discriminant
 * `'done'`; still accepted from mechanisms written against it.
 *
 * @deprecated return a {@link MechanismSuccess} (`success(identity, data)`)
 */
export interface MechanismDone {
  /** Discriminant. */
  readonly kind: 'done';
  /** As {@link MechanismSuccess.data}. */
  readonly data: Uint8Array | null;
  /** As {@link MechanismSuccess.identity}. */
  readonly identity: AuthIdentity;
}

/** One answer of a {@link ServerMechanismSession}. */
export type MechanismStep = ServerChallenge | MechanismSuccess | MechanismDone | ServerFailure;

/** What a mechanism gets for one exchange. */
export interface ServerMechanismContext {
  /** The connection the exchange runs over. */
  readonly connection: ServerConnection;
  /** Where user credentials come from. */
  readonly credentials: CredentialStore;
  /** The mechanism names the server advertises on this connection (SCRAM's downgrade check uses it). */
  readonly advertised: readonly string[];
  /** The server secret, for values that must be stable but unguessable (unknown-user salts). */
  readonly secret: Uint8Array;
}

/**
 * The state of one exchange inside a mechanism: it sees only real client
 * messages. The framework ({@link ServerMechanism.first}) owns the rest of
 * the lifecycle: it sends the empty challenge when a client-first mechanism
 * got no initial response (RFC 4422 §5), asks a server-first one for its
 * opening challenge, and ends the exchange at the first success or failure,
 * so a session never needs a phase for "not started" or "over".
 *
 * `next` may also throw: a {@link SASLFailure} whose `opaqueError` is a
 * {@link SASLCondition} becomes a failure with that condition; anything
 * else becomes `temporary-auth-failure` (e.g. a credential store that is down).
 */
export interface ServerMechanismSession {
  /**
   * The server's opening challenge, for a mechanism with `first: 'server'`
   * (CRAM-MD5's msg-id, LOGIN's `Username:`); called once, before any
   * client message, when there is no initial response. Unused otherwise.
   */
  begin?(): Promise<MechanismStep> | MechanismStep;
  /**
   * Take the client's next message and answer it. (Sessions written for the
   * earlier contract may still accept `null`; the framework never passes it.)
   *
   * @param response - the client message: its initial response, or its answer to the last challenge
   */
  next(response: Uint8Array): Promise<MechanismStep>;
}

/**
 * What the framework knows about a mechanism before any exchange: its
 * name, rank, who speaks first and where it may be offered (rsasl's
 * `Mechanism`, GNU SASL's `mechinfo`). One value per mechanism family:
 * see `./descriptors.ts`.
 */
export interface ServerMechanismDescriptor {
  /** The registered mechanism name, e.g. `'SCRAM-SHA-256-PLUS'`. */
  readonly name: string;
  /**
   * Higher is advertised first. saslkit uses ANONYMOUS 0, PLAIN 10,
   * SCRAM 100 + hash strength (10-40), and +100 for -PLUS.
   */
  readonly strength: number;
  /** The password crosses the wire in the clear: offered only over a secure connection by default. */
  readonly plaintext: boolean;
  /** Needs channel binding (`-PLUS`): offered only when the connection has a provider. */
  readonly channelBinding: boolean;
  /**
   * Who sends the first message (RFC 4422 §5). `'client'` (the default):
   * the client goes first, and when it sent no initial response the
   * framework sends an empty challenge for it. `'server'`: the framework
   * asks {@link ServerMechanismSession.begin} for the opening challenge,
   * and refuses an initial response unless {@link initialResponse} is set.
   */
  readonly first?: 'client' | 'server';
  /**
   * For `first: 'server'`: an initial response may stand in for the answer
   * to the opening challenge (LOGIN's user name), and an empty one counts
   * as none. Default `false`: an initial response is `malformed-request`.
   */
  readonly initialResponse?: boolean;
  /**
   * Optional further condition for offering this mechanism on a connection
   * (EXTERNAL needs {@link ServerConnection.externalIdentity}). Absent: no
   * condition beyond `plaintext` and `channelBinding`.
   *
   * @param connection - the connection being advertised to
   */
  availableOn?(connection: ServerConnection): boolean;
}

/**
 * A server-side SASL mechanism: its descriptor and `start`. Instances hold
 * configuration only and are reusable.
 */
export interface ServerMechanism extends ServerMechanismDescriptor {
  /**
   * Begin one exchange.
   *
   * @param context - the connection, credentials and server facts
   */
  start(context: ServerMechanismContext): ServerMechanismSession;
}

/**
 * Make a {@link ServerChallenge}.
 *
 * @param data - the challenge bytes
 */
export function challenge(data: Uint8Array): ServerChallenge {
  return { kind: 'challenge', data };
}

/**
 * Make a {@link ServerFailure}.
 *
 * @param condition - the RFC 6120 condition
 * @param text - detail (never a secret)
 * @param data - data to send with the failure where the protocol can, or `null`
 */
export function failure(condition: SASLCondition, text: string | null = null, data: Uint8Array | null = null): ServerFailure {
  return { kind: 'failure', condition, text, data };
}

/**
 * Make a {@link MechanismSuccess}.
 *
 * @param identity - who the client proved to be
 * @param data - additional data for the client with the success, or `null`
 */
export function success(identity: AuthIdentity, data: Uint8Array | null = null): MechanismSuccess {
  return { kind: 'success', data, identity };
}
