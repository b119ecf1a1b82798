/**
 * One shape for the three protocols' Node client helpers, so the `client`
 * command negotiates the same way over IMAP, SMTP and XMPP: connect (with
 * STARTTLS, implicit TLS or plaintext), give the channel binding, run the
 * negotiation, report the capabilities after login, close.
 *
 * @module
 */
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { ChannelBindingProvider, ChannelBindingType, SASLMechanism } from '../index.js';
import { ImapClientSession, channelBindingFor, connectSmtp, connectXmpp, type ChannelBindingPolicy } from '../node/index.js';

/** The protocols the CLI speaks. */
export const PROTOCOLS = ['imap', 'smtp', 'xmpp'] as const;
/** One of {@link PROTOCOLS}. */
export type Protocol = (typeof PROTOCOLS)[number];
/** How the client secures the connection: `--starttls`, `--tls` or `--plain`. */
export type ClientSecurity = 'starttls' | 'implicit' | 'none';

/** What the `client` command needs to open a connection. */
export interface ClientConnectOptions {
  /** The protocol. */
  readonly protocol: Protocol;
  /** Server host. */
  readonly host: string;
  /** Server port. */
  readonly port: number;
  /** STARTTLS, implicit TLS or plaintext. */
  readonly security: ClientSecurity;
  /** `tls.connect` options (CA, servername, versions, verification). */
  readonly tls: ConnectionOptions;
  /** The XMPP domain (stream `to`); default the host. */
  readonly domain: string;
  /** Connect and read timeout, in milliseconds. */
  readonly timeoutMs: number;
  /** Local address to connect from, if given. */
  readonly localAddress: string | undefined;
}

/** A connected, not yet authenticated client of any protocol. */
export interface ClientConnection {
  /** The negotiated TLS version (`'TLSv1.3'`), or `null` in plaintext. */
  readonly tlsVersion: string | null;
  /**
   * The channel-binding provider for SCRAM-PLUS under `policy`.
   *
   * @param policy - disable, prefer or require
   * @param type - a type, or the protocol helper's choice
   */
  channelBinding(policy: ChannelBindingPolicy, type: ChannelBindingType | undefined): ChannelBindingProvider | null;
  /**
   * Run saslkit's negotiation loop.
   *
   * @param mechanisms - most preferred first
   * @returns the mechanism used
   */
  authenticate(mechanisms: readonly SASLMechanism<unknown>[]): Promise<string>;
  /** The capabilities after login (IMAP), the EHLO extensions (SMTP), or `null` (XMPP). */
  capabilities(): readonly string[] | null;
  /** Log out politely where the protocol has it, and close. */
  close(): Promise<void>;
}

function versionOf(socket: TLSSocket | null): string | null {
  return socket?.getProtocol() ?? null;
}

/** The connect options every protocol helper takes, from the CLI's. */
function socketOptions(o: ClientConnectOptions) {
  return {
    host: o.host,
    port: o.port,
    security: o.security,
    tls: o.tls,
    connectTimeoutMs: o.timeoutMs,
    readTimeoutMs: o.timeoutMs,
    ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
  };
}

async function connectImapClient(o: ClientConnectOptions): Promise<ClientConnection> {
  const session = await ImapClientSession.connect(socketOptions(o));
  return {
    tlsVersion: versionOf(session.tlsSocket),
    channelBinding: (policy, type) => session.channelBinding({ policy, ...(type === undefined ? {} : { type }) }),
    authenticate: (mechanisms) => session.authenticate(mechanisms),
    capabilities: () => session.capabilities.names,
    close: () => session.logout(),
  };
}

async function connectSmtpClient(o: ClientConnectOptions): Promise<ClientConnection> {
  const connection = await connectSmtp(socketOptions(o));
  return {
    tlsVersion: versionOf(connection.tlsSocket),
    channelBinding: (policy, type) => channelBindingFor(connection.tlsSocket, { policy, ...(type === undefined ? {} : { type }) }),
    authenticate: (mechanisms) => connection.authenticate(mechanisms),
    capabilities: () => [...connection.extensions.extensions].map(([keyword, params]) => [keyword, ...params].join(' ')),
    close: () => connection.quit(),
  };
}

async function connectXmppClient(o: ClientConnectOptions): Promise<ClientConnection> {
  const connection = await connectXmpp({ ...socketOptions(o), domain: o.domain });
  return {
    tlsVersion: versionOf(connection.tlsSocket),
    channelBinding: (policy, type) => connection.channelBinding({ policy, ...(type === undefined ? {} : { type }) }),
    authenticate: (mechanisms) => connection.authenticate(mechanisms),
    capabilities: () => null,
    close: async () => connection.close(),
  };
}

/**
 * Connect with the protocol's Node helper.
 *
 * @param options - see {@link ClientConnectOptions}
 * @returns the connection, greeted and secured as asked
 */
export function connectClient(options: ClientConnectOptions): Promise<ClientConnection> {
  switch (options.protocol) {
    case 'imap':
      return connectImapClient(options);
    case 'smtp':
      return connectSmtpClient(options);
    case 'xmpp':
      return connectXmppClient(options);
  }
}
