/**
 * A small IMAP client session for Node: connect (implicit TLS or STARTTLS),
 * read the greeting and capabilities, authenticate with saslkit mechanisms,
 * log out. The CLI, the tests and the docs use it; an IMAP library would
 * rather plug {@link ImapSASLInterface} into its own connection.
 *
 * @module
 */
import type { TLSSocket } from 'node:tls';
import type { ChannelBindingProvider } from '../../channel-binding/provider.js';
import { AuthenticationFailure, SASLFailure } from '../../core/errors.js';
import type { SASLMechanism } from '../../core/mechanism.js';
import { authenticate } from '../../core/negotiate.js';
import type { ImapCapabilities } from '../../protocols/imap/capabilities.js';
import { ImapByeError, ImapClientChannel, type ImapClientChannelOptions, type ImapGreeting } from '../../protocols/imap/channel.js';
import { ImapSASLInterface, type ImapSASLInterfaceOptions } from '../../protocols/imap/client.js';
import { ImapProtocolError, quoteImapText } from '../../protocols/imap/response.js';
import { channelBindingFor, type ChannelBindingForOptions } from '../../channel-binding/tls/policy.js';
import { connectLineTransport, tlsOptionsFor, type ConnectOptions } from '../transport/connect.js';
import type { SocketLineTransport } from '../transport/socket-line-transport.js';

/** Options of {@link ImapClientSession.connect}. */
export interface ImapConnectOptions extends ConnectOptions, ImapClientChannelOptions {}

/**
 * One IMAP connection in its not-authenticated state. Every failure while
 * connecting closes the connection; after a failed authentication the
 * connection stays open (for another attempt or {@link ImapClientSession.logout}),
 * except when the failure was a transport or protocol error.
 */
export class ImapClientSession {
  /** The line transport (its `socket` is a `TLSSocket` once TLS is up). */
  readonly transport: SocketLineTransport;
  /** The IMAP channel (tags, responses, capabilities). */
  readonly channel: ImapClientChannel;
  /** The server greeting. */
  readonly greeting: ImapGreeting;
  #authenticated: boolean;

  private constructor(transport: SocketLineTransport, channel: ImapClientChannel, greeting: ImapGreeting) {
    this.transport = transport;
    this.channel = channel;
    this.greeting = greeting;
    this.#authenticated = greeting.status === 'PREAUTH';
  }

  /**
   * Connect, read the greeting, run STARTTLS if `security` is `'starttls'`
   * (refusing to go on in plaintext if the server cannot), and fetch the
   * capabilities.
   *
   * @param options - see {@link ImapConnectOptions}
   * @throws {@link TransportError}, {@link ImapProtocolError} or
   *   {@link ImapByeError}; the connection is closed
   */
  static async connect(options: ImapConnectOptions): Promise<ImapClientSession> {
    const security = options.security ?? 'starttls';
    const transport = await connectLineTransport({ ...options, security });
    try {
      const channel = new ImapClientChannel(transport, options);
      const greeting = await channel.readGreeting();
      const session = new ImapClientSession(transport, channel, greeting);
      if (security === 'starttls') {
        if (greeting.status === 'PREAUTH') throw new ImapProtocolError('the server sent PREAUTH on a plaintext connection: STARTTLS is impossible');
        const caps = channel.capabilities ?? (await channel.capability());
        if (!caps.startTLS) throw new ImapProtocolError('the server does not offer STARTTLS');
        const { tagged } = await channel.command('STARTTLS');
        if (tagged.status !== 'OK') throw new ImapProtocolError(`STARTTLS refused: ${tagged.status} ${quoteImapText(tagged.text)}`);
        channel.forgetCapabilities();
        await transport.startTLS(tlsOptionsFor(options));
      }
      if (!channel.capabilities) await channel.capability();
      return session;
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  /** The server's current capabilities. */
  get capabilities(): ImapCapabilities {
    const caps = this.channel.capabilities;
    if (!caps) throw new ImapProtocolError('capabilities unknown');
    return caps;
  }

  /** The TLS socket, or `null` on a plaintext connection. */
  get tlsSocket(): TLSSocket | null {
    return this.transport.secure ? (this.transport.socket as TLSSocket) : null;
  }

  /** True once authenticated (or PREAUTH). */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /**
   * The channel-binding provider for SCRAM-PLUS on this connection,
   * following `options.policy` (see {@link channelBindingFor}).
   *
   * @param options - type and policy
   */
  channelBinding(options: ChannelBindingForOptions = {}): ChannelBindingProvider | null {
    return channelBindingFor(this.tlsSocket, options);
  }

  /**
   * Authenticate with the first of `mechanisms` the server offers (saslkit's
   * {@link authenticate} loop over {@link ImapSASLInterface}).
   *
   * @param mechanisms - client mechanisms, most preferred first
   * @param options - see {@link ImapSASLInterfaceOptions}
   * @returns the mechanism name used
   * @throws {@link AuthenticationFailure} when the credentials were refused,
   *   {@link SASLFailure} when no mechanism worked; other errors close the connection
   */
  async authenticate(mechanisms: Iterable<SASLMechanism<unknown>>, options: ImapSASLInterfaceOptions = {}): Promise<string> {
    if (this.#authenticated) throw new ImapProtocolError('already authenticated');
    const intf = new ImapSASLInterface(this.channel, options);
    try {
      const used = await authenticate(intf, this.capabilities.saslMechanisms, mechanisms);
      this.#authenticated = true;
      return used;
    } catch (err) {
      if (!(err instanceof SASLFailure) && !(err instanceof AuthenticationFailure)) this.transport.close();
      throw err;
    }
  }

  /** Send LOGOUT, read the BYE and OK, and close the connection (also on error). */
  async logout(): Promise<void> {
    try {
      await this.channel.command('LOGOUT').catch((err: unknown) => {
        // The server's BYE ends the command; anything else is still an error.
        if (!(err instanceof ImapByeError)) throw err;
      });
    } finally {
      this.transport.close();
    }
  }

  /** Close the connection without LOGOUT. */
  close(): void {
    this.transport.close();
  }
}
