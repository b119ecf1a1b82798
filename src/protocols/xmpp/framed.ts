/**
 * XMPP over WebSocket (RFC 7395): an {@link XmppStreamTransport} where every
 * message is one complete element and the stream header is an `<open/>`
 * frame. Runs in browsers; plug it into your own WebSocket (or any other
 * message channel that carries one element per message).
 *
 * @module
 */
import { isElement, serializeElement, type XmlElement } from './element.js';
import { XmppStreamError } from './errors.js';
import { NS_FRAMING } from './namespaces.js';
import { parseXmlElement, streamHeaderAttributes, streamHeaderOf, type StreamHeader, type XmlLimits } from './parser.js';
import type { XmppStreamTransport } from './transport.js';

/** Options of {@link FramedXmppTransport}. */
export interface FramedXmppTransportOptions extends XmlLimits {
  /** Milliseconds a read may wait. Default 30000. */
  readonly readTimeoutMs?: number;
  /** Most frames held unread. Default 64. */
  readonly maxQueuedFrames?: number;
  /** Called by {@link FramedXmppTransport.close} after `<close/>` was sent, to close the socket. */
  readonly onClose?: () => void;
  /**
   * Whether the WebSocket is secure (`wss:`); reported as
   * {@link FramedXmppTransport.secure}. Default false.
   */
  readonly secure?: boolean;
}

/**
 * The part of the WebSocket API {@link webSocketXmppTransport} uses. The
 * browser's and Node's global `WebSocket` fit it, and so does the `ws`
 * package's (its events are typed per event name, and its error and close
 * events have no `data`): the listener takes `unknown` and reads a
 * message's `data` only after checking it is there.
 */
export interface WebSocketLike {
  /** Send one text message. */
  send(data: string): void;
  /** The WebSocket's URL; a `wss:` URL makes the transport report itself secure. */
  readonly url?: string;
  /** Close the socket. */
  close(code?: number, reason?: string): void;
  /** Subscribe to `message`, `close` and `error` events (a `message` event has a `data` property). */
  addEventListener(type: 'message' | 'close' | 'error', listener: (event: unknown) => void): void;
}

/** The `data` of a WebSocket message event, or `undefined`. */
function messageData(event: unknown): unknown {
  return typeof event === 'object' && event !== null && 'data' in event ? event.data : undefined;
}

type Item = { readonly frame: string } | { readonly closed: string };

/**
 * An XMPP stream over a message channel with RFC 7395 framing. Feed it the
 * received messages with {@link FramedXmppTransport.pushFrame} and the end of
 * the channel with {@link FramedXmppTransport.pushClosed}; it sends through
 * the function given to the constructor. Each frame is parsed with the same
 * strict, bounded parser as a TCP stream.
 */
export class FramedXmppTransport implements XmppStreamTransport {
  readonly #sendFrame: (frame: string) => void | Promise<void>;
  readonly #limits: XmlLimits;
  readonly #readTimeoutMs: number;
  readonly #maxQueued: number;
  readonly #onClose: (() => void) | null;
  readonly #queue: Item[] = [];
  #waiter: (() => void) | null = null;
  #closed: string | null = null;

  /**
   * Create the transport; hand it received frames with {@link FramedXmppTransport.pushFrame}.
   *
   * @param send - sends one frame (a WebSocket text message)
   * @param options - see {@link FramedXmppTransportOptions}
   */
  constructor(send: (frame: string) => void | Promise<void>, options: FramedXmppTransportOptions = {}) {
    this.#sendFrame = send;
    this.#limits = options;
    this.#readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.#maxQueued = options.maxQueuedFrames ?? 64;
    this.#onClose = options.onClose ?? null;
    this.secure = options.secure === true;
  }

  /** Whether the WebSocket is secure (`wss:`), as given in the options. */
  readonly secure: boolean;

  /**
   * Hand over a received message.
   *
   * @param frame - the message text
   */
  pushFrame(frame: string): void {
    if (this.#closed !== null) return;
    if (this.#queue.length >= this.#maxQueued) {
      this.pushClosed(`more than ${this.#maxQueued} frames waiting unread`);
      return;
    }
    this.#queue.push({ frame: String(frame) });
    this.#wake();
  }

  /**
   * Report that the channel closed.
   *
   * @param reason - why, for the error later reads reject with
   */
  pushClosed(reason = 'the connection closed'): void {
    if (this.#closed !== null) return;
    this.#closed = reason;
    this.#queue.push({ closed: reason });
    this.#wake();
  }

  /**
   * Send `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' …/>`.
   *
   * @param header - the stream attributes (`xmlns` is implied by the framing)
   */
  async sendStreamHeader(header: StreamHeader): Promise<void> {
    await this.#send(`<open xmlns='${NS_FRAMING}'${streamHeaderAttributes(header)}/>`);
  }

  /** Wait for the peer's `<open/>`. */
  async receiveStreamHeader(): Promise<StreamHeader> {
    const el = await this.#nextElement();
    if (!isElement(el, 'open', NS_FRAMING)) throw new XmppStreamError('bad-format', 'expected an <open/> frame');
    return streamHeaderOf(el.attrs);
  }

  /**
   * Send one element as one frame, with its namespace declared on it (RFC 7395 §3.3.3).
   *
   * @param element - the element
   */
  send(element: XmlElement): Promise<void> {
    let text: string;
    try {
      text = serializeElement(element);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#send(text);
  }

  /** The next element frame; a `<close/>` frame ends the stream. */
  async receive(): Promise<XmlElement> {
    const el = await this.#nextElement();
    if (isElement(el, 'close', NS_FRAMING)) {
      this.pushClosed('the peer closed the stream');
      throw new XmppStreamError(null, 'the peer closed the stream');
    }
    if (isElement(el, 'open', NS_FRAMING)) throw new XmppStreamError('bad-format', 'unexpected <open/> inside the stream');
    return el;
  }

  /** Nothing to reset: every frame is parsed on its own. */
  resetStream(): void {}

  /** Send `<close/>` and close the channel. */
  close(): void {
    if (this.#closed === null) {
      void Promise.resolve(this.#sendFrame(`<close xmlns='${NS_FRAMING}'/>`)).catch(() => undefined);
    }
    this.pushClosed('transport closed');
    this.#onClose?.();
  }

  async #send(text: string): Promise<void> {
    if (this.#closed !== null) throw new XmppStreamError(null, this.#closed);
    try {
      await this.#sendFrame(text);
    } catch (err) {
      this.pushClosed('sending failed');
      throw new XmppStreamError(null, `sending failed: ${err instanceof Error ? err.message.slice(0, 200) : 'unknown error'}`);
    }
  }

  async #nextElement(): Promise<XmlElement> {
    for (;;) {
      const item = this.#queue.shift();
      if (item && 'frame' in item) return parseXmlElement(item.frame, this.#limits);
      if (item) {
        this.#queue.unshift(item); // stay closed for every later read
        throw new XmppStreamError(null, item.closed);
      }
      if (this.#waiter) throw new XmppStreamError(null, 'concurrent reads are not supported');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.pushClosed(`read timed out after ${this.#readTimeoutMs} ms`), this.#readTimeoutMs);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }
}

/**
 * Wrap a WebSocket opened with the `xmpp` subprotocol (RFC 7395 §3.1), e.g.
 * `new WebSocket('wss://example.test/xmpp-websocket', 'xmpp')` in a browser.
 *
 * @param ws - the open WebSocket
 * @param options - see {@link FramedXmppTransportOptions}
 */
export function webSocketXmppTransport(ws: WebSocketLike, options: Omit<FramedXmppTransportOptions, 'onClose'> = {}): FramedXmppTransport {
  const secure = options.secure ?? (typeof ws.url === 'string' && /^wss:/i.test(ws.url));
  const transport = new FramedXmppTransport((frame) => ws.send(frame), { ...options, secure, onClose: () => ws.close(1000) });
  ws.addEventListener('message', (event) => {
    const data = messageData(event);
    if (typeof data === 'string') transport.pushFrame(data);
    else transport.pushClosed('binary WebSocket message (RFC 7395 uses text frames)');
  });
  ws.addEventListener('close', () => transport.pushClosed('the WebSocket closed'));
  ws.addEventListener('error', () => transport.pushClosed('WebSocket error'));
  return transport;
}
