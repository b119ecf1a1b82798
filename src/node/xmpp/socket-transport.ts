/**
 * An {@link XmppStreamTransport} over a Node `net.Socket` or `tls.TLSSocket`:
 * stream headers, bounded element parsing, read timeouts and STARTTLS
 * upgrades (client and server side).
 *
 * @module
 */
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { listenTo, upgradeToTLS, type StartTLSOptions } from '../tls/upgrade.js';
import { escapeAttribute, serializeElement, type XmlElement } from '../../protocols/xmpp/element.js';
import { XmppStreamError } from '../../protocols/xmpp/errors.js';
import { NS_CLIENT, NS_STREAMS } from '../../protocols/xmpp/namespaces.js';
import { XmppStreamParser, streamHeaderAttributes, type StreamHeader, type XmlLimits, type XmppStreamEvent } from '../../protocols/xmpp/parser.js';
import type { XmppStreamTransport } from '../../protocols/xmpp/transport.js';
import { checkInteger } from '../../core/checks.js';

/** Options of {@link SocketXmppTransport}. */
export interface SocketXmppTransportOptions extends XmlLimits {
  /**
   * Milliseconds a read (or a TLS handshake) may wait: one deadline per read
   * of an element or header, however the bytes trickle in. Default 30000.
   */
  readonly readTimeoutMs?: number;
  /**
   * Milliseconds a write may wait for the peer to take the data (one
   * deadline per write): a peer that stops reading is dropped after it.
   * Default 30000.
   */
  readonly writeTimeoutMs?: number;
}

/** Options for {@link SocketXmppTransport.startTLS}: client (default) or server side. */
export type XmppStartTLSOptions = StartTLSOptions;

/**
 * An XMPP stream over a Node socket. Every read and every write has a
 * timeout, every element a size bound, and reading pauses while more than
 * half of `maxBuffered` characters wait unparsed (back-pressure). A socket error, timeout or close destroys the socket
 * and fails all later reads; a parse error fails reads but leaves the socket
 * open so that a server can still send its `<stream:error/>` before
 * {@link SocketXmppTransport.close}.
 */
export class SocketXmppTransport implements XmppStreamTransport {
  #socket: Socket;
  #parser: XmppStreamParser;
  #decoder = new TextDecoder('utf-8', { fatal: true });
  #contentXmlns = NS_CLIENT;
  #headerSent = false;
  #closed = false;
  #error: XmppStreamError | null = null;
  #waiter: { resolve: () => void; reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  readonly #limits: XmlLimits;
  readonly #readTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  #paused = false;
  #detach: () => void = () => {};
  readonly #onData = (chunk: Buffer): void => this.#receive(chunk);
  readonly #onEnd = (): void => this.#fail(new XmppStreamError(null, 'connection closed by peer'));
  readonly #onError = (err: Error): void => this.#fail(new XmppStreamError(null, `socket error: ${err.message}`));

  /**
   * Wrap a connected socket; nothing is sent until the first call.
   *
   * @param socket - a connected socket (plain or TLS)
   * @param options - bounds and timeouts, see {@link SocketXmppTransportOptions}
   */
  constructor(socket: Socket, options: SocketXmppTransportOptions = {}) {
    this.#socket = socket;
    this.#limits = options;
    this.#parser = new XmppStreamParser(options);
    const timeout = options.readTimeoutMs ?? 30_000;
    this.#readTimeoutMs = checkInteger(timeout, 'readTimeoutMs', 1, undefined, (t) => new XmppStreamError(null, t));
    const writeTimeout = options.writeTimeoutMs ?? 30_000;
    this.#writeTimeoutMs = checkInteger(writeTimeout, 'writeTimeoutMs', 1, undefined, (t) => new XmppStreamError(null, t));
    this.#attach();
  }

  /** The underlying socket (a `tls.TLSSocket` after {@link SocketXmppTransport.startTLS}). */
  get socket(): Socket {
    return this.#socket;
  }

  /** True when the socket is a TLS socket. */
  get secure(): boolean {
    return (this.#socket as tls.TLSSocket).encrypted === true;
  }

  /**
   * Send our stream header: `<?xml version='1.0'?><stream:stream …>`.
   *
   * @param header - the attributes; `xmlns` defaults to `jabber:client`
   */
  async sendStreamHeader(header: StreamHeader): Promise<void> {
    this.#contentXmlns = header.xmlns ?? NS_CLIENT;
    const xmlns = escapeAttribute(this.#contentXmlns);
    await this.#write(`<?xml version='1.0'?><stream:stream xmlns='${xmlns}' xmlns:stream='${NS_STREAMS}'${streamHeaderAttributes(header)}>`);
    this.#headerSent = true;
  }

  /** Wait for the peer's stream header. */
  async receiveStreamHeader(): Promise<StreamHeader> {
    const ev = await this.#nextEvent();
    if (ev.type === 'header') return ev.header;
    throw new XmppStreamError('bad-format', 'expected a stream header');
  }

  /**
   * Send one element.
   *
   * @param element - the element
   */
  send(element: XmlElement): Promise<void> {
    let text: string;
    try {
      text = serializeElement(element, this.#contentXmlns, true);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write(text);
  }

  /** The next top-level element. */
  async receive(): Promise<XmlElement> {
    const ev = await this.#nextEvent();
    if (ev.type === 'element') return ev.element;
    if (ev.type === 'end') throw new XmppStreamError(null, 'the peer closed the stream');
    throw new XmppStreamError('bad-format', 'unexpected stream header inside the stream');
  }

  /** Start a new stream in both directions (RFC 6120 §4.3.3). */
  resetStream(): void {
    this.#parser.restart();
    this.#headerSent = false;
  }

  /**
   * Upgrade the connection to TLS in place (STARTTLS) and reset the stream.
   * Refuses when the peer already sent data after the STARTTLS element: such
   * bytes were sent in plaintext and must not be mixed into the secure
   * session (the STARTTLS injection attack, CVE-2011-0411).
   *
   * @param options - `tls.connect` options for a client (default), or
   *   `{ isServer: true, ...tls.TLSSocketOptions }` for a server
   * @returns the TLS socket once the handshake is complete
   */
  async startTLS(options: XmppStartTLSOptions): Promise<tls.TLSSocket> {
    if (this.#error) throw this.#error;
    if (this.#parser.hasPendingInput) {
      // Not a connection failure yet: the caller may still send a stream error, then close.
      throw new XmppStreamError('policy-violation', 'data received before the TLS handshake (possible STARTTLS injection)');
    }
    this.#detach();
    const plain = this.#socket;
    let secure: tls.TLSSocket;
    try {
      secure = await upgradeToTLS(plain, options, this.#readTimeoutMs);
    } catch (err) {
      plain.on('error', () => {});
      plain.destroy();
      this.#fail(new XmppStreamError(null, err instanceof Error ? err.message : 'TLS handshake failed'));
      throw this.#error!;
    }
    this.#socket = secure;
    this.#decoder = new TextDecoder('utf-8', { fatal: true });
    this.#parser = new XmppStreamParser(this.#limits);
    this.#headerSent = false;
    this.#paused = false;
    this.#attach();
    return secure;
  }

  /**
   * Close the stream (`</stream:stream>` if a header was sent) and the
   * connection. Later reads fail, even of elements that had already arrived:
   * the parser and its unread text are released at once.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const socket = this.#socket;
    if (this.#headerSent && !this.#error && socket.writable) socket.end('</stream:stream>');
    else socket.end();
    // Give the close a moment to flush, then make sure the socket is gone.
    // The timer goes as soon as the socket does: until it fires it keeps the
    // socket, and through its listeners the whole session, reachable.
    const timer = setTimeout(() => socket.destroy(), 1000).unref();
    if (socket.destroyed) clearTimeout(timer);
    else socket.once('close', () => clearTimeout(timer));
    this.#fail(new XmppStreamError(null, 'transport closed'));
    // Nothing reads a closed stream: release the parser's text and state now
    // rather than when this object is collected (timers and socket listeners
    // may keep it reachable for a while after close).
    if (!this.#parser.error) {
      try {
        this.#parser.fail(this.#error!);
      } catch {
        // recorded
      }
    }
  }

  #write(text: string): Promise<void> {
    if (this.#error && this.#error.opaqueError === null) return Promise.reject(this.#error);
    if (this.#closed || !this.#socket.writable) return Promise.reject(new XmppStreamError(null, 'the connection is closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new XmppStreamError(null, `write timed out after ${this.#writeTimeoutMs} ms`);
        this.#fail(err);
        reject(err);
      }, this.#writeTimeoutMs);
      this.#socket.write(text, (err) => {
        clearTimeout(timer);
        if (err) reject(new XmppStreamError(null, `write failed: ${err.message}`));
        else resolve();
      });
    });
  }

  async #nextEvent(): Promise<XmppStreamEvent> {
    // One deadline for the whole read: bytes that trickle in (whitespace
    // keepalives, a partial element) do not extend it.
    const deadline = Date.now() + this.#readTimeoutMs;
    for (;;) {
      const ev = this.#parser.next(); // throws the parse error, if any
      this.#relieve();
      if (ev) return ev;
      if (this.#error) throw this.#error;
      if (this.#waiter) throw new XmppStreamError(null, 'concurrent reads are not supported');
      const left = deadline - Date.now();
      if (left <= 0) this.#fail(new XmppStreamError('connection-timeout', `read timed out after ${this.#readTimeoutMs} ms`));
      if (this.#error) throw this.#error;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => this.#fail(new XmppStreamError('connection-timeout', `read timed out after ${this.#readTimeoutMs} ms`)), left);
        this.#waiter = { resolve, reject, timer };
      });
    }
  }

  /** Pause reading while too much waits unparsed; resume once the reader caught up. */
  #relieve(): void {
    const high = this.#parser.maxBuffered / 2;
    if (!this.#paused && this.#parser.bufferedLength > high) {
      this.#paused = true;
      this.#socket.pause();
    } else if (this.#paused && this.#parser.bufferedLength <= high / 2 && !this.#parser.error) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  #receive(chunk: Buffer): void {
    try {
      this.#parser.push(this.#decoder.decode(chunk, { stream: true }));
    } catch (err) {
      // A parse-level failure: reads fail, the socket stays for a stream error.
      const e = err instanceof XmppStreamError ? err : new XmppStreamError('not-well-formed', 'invalid UTF-8');
      try {
        this.#parser.fail(e);
      } catch {
        // recorded
      }
      this.#socket.pause();
      this.#paused = true;
    }
    if (!this.#parser.error) this.#relieve();
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = null;
    clearTimeout(w.timer);
    w.resolve();
  }

  #attach(): void {
    this.#detach = listenTo(this.#socket, { data: this.#onData, end: this.#onEnd, error: this.#onError });
  }

  /** A connection-level failure: destroy the socket, fail every read. */
  #fail(err: XmppStreamError): void {
    if (!this.#error) this.#error = err;
    this.#detach();
    this.#socket.on('error', () => {}); // late errors after destroy must not crash the process
    if (!this.#closed) this.#socket.destroy();
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      clearTimeout(w.timer);
      w.reject(this.#error);
    }
  }
}
