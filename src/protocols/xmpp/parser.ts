/**
 * Strict, bounded XML parsing for XMPP streams, on the saxes parser.
 *
 * RFC 6120 §11.1 forbids comments, processing instructions, DTDs and entity
 * references other than the predefined ones: all of them are parse errors
 * here, so no entity expansion (billion laughs, external entities) can
 * happen. Every top-level element is bounded in size (characters) and depth;
 * a violation is an {@link XmppStreamError}, never a crash.
 *
 * Input is parsed lazily, one top-level element at a time: the text after an
 * element stays unparsed until asked for, so a stream restart (after
 * STARTTLS or SASL success) hands the following bytes to a fresh parser, and
 * data pipelined before a TLS upgrade is detectable.
 *
 * @module
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { NS_STREAMS } from './namespaces.js';
import { escapeAttribute, type XmlElement, type XmlNode } from './element.js';
import { XmppStreamError } from './errors.js';
import { checkInteger } from '../../core/checks.js';

/** Bounds of `XmppStreamParser` and {@link parseXmlElement}. */
export interface XmlLimits {
  /** Largest top-level element (or stream header), in characters. Default 65536. */
  readonly maxElementSize?: number;
  /** Deepest nesting inside a top-level element. Default 32. */
  readonly maxDepth?: number;
  /** Most attributes on one element. Default 64. */
  readonly maxAttributes?: number;
  /** Most unparsed characters held ahead of the reader. Default 4 × maxElementSize. */
  readonly maxBuffered?: number;
}

/** The peer's stream header: the attributes of `<stream:stream>` (or an RFC 7395 `<open/>`). */
export interface StreamHeader {
  /** The content namespace (the default `xmlns`), e.g. `'jabber:client'`. */
  readonly xmlns?: string;
  /** The `to` attribute. */
  readonly to?: string;
  /** The `from` attribute. */
  readonly from?: string;
  /** The stream id (set by the receiving entity). */
  readonly id?: string;
  /** The `version` attribute; `'1.0'` for SASL-capable streams. */
  readonly version?: string;
  /** The `xml:lang` attribute. */
  readonly lang?: string;
}

/** The header attributes other than the namespace, with their XML names. */
const HEADER_ATTRIBUTES = [
  ['to', 'to'],
  ['from', 'from'],
  ['id', 'id'],
  ['version', 'version'],
  ['lang', 'xml:lang'],
] as const;

/**
 * Read a stream header from the attributes of `<stream:stream>` or `<open/>`.
 *
 * @param attrs - the element's attributes
 * @param xmlns - its default namespace, when it declares one
 */
export function streamHeaderOf(attrs: Readonly<Record<string, string>>, xmlns?: string): StreamHeader {
  const header: { -readonly [K in keyof StreamHeader]: StreamHeader[K] } = {};
  if (xmlns !== undefined) header.xmlns = xmlns;
  for (const [key, name] of HEADER_ATTRIBUTES) if (attrs[name] !== undefined) header[key] = attrs[name];
  return header;
}

/**
 * The attributes of a stream header as XML text (` to='…' from='…'`),
 * escaped, without `xmlns`.
 *
 * @param header - the header
 */
export function streamHeaderAttributes(header: StreamHeader): string {
  let text = '';
  for (const [key, name] of HEADER_ATTRIBUTES) {
    const value = header[key];
    if (value !== undefined) text += ` ${name}='${escapeAttribute(value)}'`;
  }
  return text;
}

/** What {@link XmppStreamParser.next} yields. */
export type XmppStreamEvent =
  | {
      /** The peer opened the stream. */
      readonly type: 'header';
      /** The attributes of its stream header. */
      readonly header: StreamHeader;
    }
  | {
      /** A complete top-level element arrived. */
      readonly type: 'element';
      /** The element. */
      readonly element: XmlElement;
    }
  | {
      /** The peer closed the stream (`</stream:stream>`). */
      readonly type: 'end';
    };

interface Building {
  readonly name: string;
  readonly xmlns: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlNode[];
}

const WHITESPACE = /^[ \t\r\n]*$/;

function limit(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  return checkInteger(v, what, 1, undefined, (t) => new XmppStreamError(null, t));
}

/** @internal Resolved limits. */
interface Limits {
  readonly maxElementSize: number;
  readonly maxDepth: number;
  readonly maxAttributes: number;
  readonly maxBuffered: number;
}

function resolveLimits(options: XmlLimits): Limits {
  const maxElementSize = limit(options.maxElementSize, 65_536, 'maxElementSize');
  return {
    maxElementSize,
    maxDepth: limit(options.maxDepth, 32, 'maxDepth'),
    maxAttributes: limit(options.maxAttributes, 64, 'maxAttributes'),
    maxBuffered: limit(options.maxBuffered, 4 * maxElementSize, 'maxBuffered'),
  };
}

function attributesOf(tag: SaxesTagNS, max: number): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const a of Object.values(tag.attributes)) {
    if (++n > max) throw new XmppStreamError('policy-violation', `more than ${max} attributes on <${tag.local}>`);
    if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
    out[a.name] = a.value;
  }
  return out;
}

/**
 * One document's worth of saxes with XMPP's rules. `root` says whether the
 * document root is a stream (`<stream:stream>`, whose children are the
 * elements) or a single element (an RFC 7395 frame).
 */
class Document {
  readonly #sax: SaxesParser<{ xmlns: true }>;
  readonly #limits: Limits;
  readonly #events: XmppStreamEvent[];
  readonly #stack: Building[] = [];
  readonly #streamRoot: boolean;
  #sawRoot = false;

  constructor(limits: Limits, events: XmppStreamEvent[], streamRoot: boolean) {
    this.#limits = limits;
    this.#events = events;
    this.#streamRoot = streamRoot;
    const sax = new SaxesParser({ xmlns: true });
    this.#sax = sax;
    sax.on('error', (err) => {
      throw new XmppStreamError('not-well-formed', `XML parse error: ${err.message.slice(0, 200)}`);
    });
    sax.on('doctype', () => {
      throw new XmppStreamError('restricted-xml', 'DTDs are not allowed on an XMPP stream');
    });
    sax.on('processinginstruction', () => {
      throw new XmppStreamError('restricted-xml', 'processing instructions are not allowed on an XMPP stream');
    });
    sax.on('comment', () => {
      throw new XmppStreamError('restricted-xml', 'comments are not allowed on an XMPP stream');
    });
    sax.on('opentag', (tag) => this.#open(tag));
    sax.on('closetag', () => this.#close());
    sax.on('text', (text) => this.#text(text));
    sax.on('cdata', (text) => this.#text(text));
  }

  write(text: string): void {
    this.#sax.write(text);
  }

  end(): void {
    this.#sax.close();
  }

  /** True while inside a top-level element (or, for frames, the root). */
  get inElement(): boolean {
    return this.#stack.length > 0;
  }

  #open(tag: SaxesTagNS): void {
    if (this.#streamRoot && !this.#sawRoot) {
      this.#sawRoot = true;
      if (tag.local !== 'stream' || tag.uri !== NS_STREAMS) {
        throw new XmppStreamError('invalid-namespace', 'the stream must start with <stream:stream> in the streams namespace');
      }
      const header = streamHeaderOf(attributesOf(tag, this.#limits.maxAttributes), tag.ns['']);
      this.#events.push({ type: 'header', header });
      return;
    }
    if (!this.#streamRoot) this.#sawRoot = true;
    if (this.#stack.length >= this.#limits.maxDepth) {
      throw new XmppStreamError('policy-violation', `elements nested deeper than ${this.#limits.maxDepth}`);
    }
    const el: Building = { name: tag.local, xmlns: tag.uri, attrs: attributesOf(tag, this.#limits.maxAttributes), children: [] };
    this.#stack[this.#stack.length - 1]?.children.push(el);
    this.#stack.push(el);
  }

  #close(): void {
    const el = this.#stack.pop();
    if (el === undefined) {
      // The stream root closed: </stream:stream>.
      this.#events.push({ type: 'end' });
      return;
    }
    if (this.#stack.length === 0) this.#events.push({ type: 'element', element: el });
  }

  #text(text: string): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top) {
      const last = top.children.length - 1;
      if (typeof top.children[last] === 'string') top.children[last] += text;
      else top.children.push(text);
    } else if (!WHITESPACE.test(text)) {
      throw new XmppStreamError('not-well-formed', 'character data outside of an element');
    }
  }
}

/**
 * A pull parser for one direction of an XMPP stream (RFC 6120 §4): feed it
 * text with {@link XmppStreamParser.push}, take the stream header, top-level
 * elements and the stream end with {@link XmppStreamParser.next}, and call
 * {@link XmppStreamParser.restart} where RFC 6120 restarts the stream.
 *
 * After the first error the parser stays failed: every later call throws it.
 */
export class XmppStreamParser {
  readonly #limits: Limits;
  readonly #events: XmppStreamEvent[] = [];
  /** The current document; `null` once failed, so a dead stream holds no parser state or text. */
  #doc: Document | null;
  #pending = '';
  #pos = 0;
  #sinceBoundary = 0;
  #error: XmppStreamError | null = null;

  /**
   * Create a parser for a new stream.
   *
   * @param limits - size and depth bounds, see {@link XmlLimits}
   */
  constructor(limits: XmlLimits = {}) {
    this.#limits = resolveLimits(limits);
    this.#doc = new Document(this.#limits, this.#events, true);
  }

  /**
   * Add received text.
   *
   * @param text - the next decoded chunk of the stream
   * @throws {@link XmppStreamError} when more than `maxBuffered` characters wait unparsed
   */
  push(text: string): void {
    this.#check();
    if (this.#pos > 0 && this.#pos >= this.#pending.length / 2) {
      this.#pending = this.#pending.slice(this.#pos);
      this.#pos = 0;
    }
    this.#pending += text;
    if (this.#pending.length - this.#pos > this.#limits.maxBuffered) {
      this.#fail(new XmppStreamError('policy-violation', `more than ${this.#limits.maxBuffered} characters buffered`));
    }
  }

  /**
   * The next stream event, or `null` when more input is needed.
   *
   * @throws {@link XmppStreamError} on any parse error or exceeded bound
   */
  next(): XmppStreamEvent | null {
    this.#check();
    while (this.#events.length === 0 && this.#pos < this.#pending.length) {
      // Feed up to the next '>': every event completes at one, so parsing
      // stops right after the element that produced it.
      const gt = this.#pending.indexOf('>', this.#pos);
      const end = gt < 0 ? this.#pending.length : gt + 1;
      // Bound first, so an oversized element is never copied or parsed.
      this.#sinceBoundary += end - this.#pos;
      if (this.#sinceBoundary > this.#limits.maxElementSize) {
        this.#fail(new XmppStreamError('policy-violation', `element larger than ${this.#limits.maxElementSize} characters`));
      }
      const slice = this.#pending.slice(this.#pos, end);
      this.#pos = end;
      try {
        this.#doc!.write(slice);
      } catch (err) {
        this.#fail(err instanceof XmppStreamError ? err : new XmppStreamError('not-well-formed', 'XML parse error'));
      }
      if (this.#events.length > 0) this.#sinceBoundary = 0;
    }
    return this.#events.shift() ?? null;
  }

  /**
   * Start a new stream (RFC 6120 §4.3.3: after STARTTLS and after SASL
   * success). Text received after the last element is kept and becomes the
   * start of the new stream.
   */
  restart(): void {
    this.#check();
    this.#events.length = 0;
    this.#sinceBoundary = 0;
    this.#doc = new Document(this.#limits, this.#events, true);
  }

  /**
   * True when text follows the last element (beyond whitespace) or events wait
   * unread: before a TLS upgrade this means the peer pipelined plaintext
   * into what should be the encrypted session.
   */
  get hasPendingInput(): boolean {
    return this.#events.length > 0 || !WHITESPACE.test(this.#pending.slice(this.#pos));
  }

  /** Characters received and not yet parsed. */
  get bufferedLength(): number {
    return this.#pending.length - this.#pos;
  }

  /** The bound on {@link XmppStreamParser.bufferedLength}, in characters (see {@link XmlLimits}). */
  get maxBuffered(): number {
    return this.#limits.maxBuffered;
  }

  /** The error the parser failed with, or `null`. */
  get error(): XmppStreamError | null {
    return this.#error;
  }

  /**
   * Put the parser into its failed state (e.g. on a transport error). Its
   * unparsed text, unread events and partial element are released.
   *
   * @param err - the error every later call throws
   * @throws err, always
   */
  fail(err: XmppStreamError): never {
    this.#fail(err);
  }

  #check(): void {
    if (this.#error) throw this.#error;
  }

  #fail(err: XmppStreamError): never {
    if (!this.#error) {
      this.#error = err;
      // Release everything the stream held: the unparsed text and the saxes
      // parser with its chunk and partial text (up to maxElementSize
      // characters), which would otherwise live as long as the connection
      // object does.
      this.#pending = '';
      this.#pos = 0;
      this.#doc = null;
      this.#events.length = 0;
    }
    throw this.#error;
  }
}

/**
 * Parse one complete element from text: an RFC 7395 WebSocket frame, or any
 * stand-alone XMPP element. Same rules and bounds as the stream parser.
 *
 * @param text - the XML text of exactly one element (an XML declaration and
 *   surrounding whitespace are allowed)
 * @param limits - see {@link XmlLimits}
 * @throws {@link XmppStreamError} when the text is not exactly one well-formed, allowed element
 */
export function parseXmlElement(text: string, limits: XmlLimits = {}): XmlElement {
  const resolved = resolveLimits(limits);
  if (typeof text !== 'string') throw new XmppStreamError(null, 'expected XML text');
  if (text.length > resolved.maxElementSize) {
    throw new XmppStreamError('policy-violation', `element larger than ${resolved.maxElementSize} characters`);
  }
  const events: XmppStreamEvent[] = [];
  const doc = new Document(resolved, events, false);
  try {
    doc.write(text);
    doc.end();
  } catch (err) {
    throw err instanceof XmppStreamError ? err : new XmppStreamError('not-well-formed', 'XML parse error');
  }
  const first = events[0];
  if (events.length !== 1 || first?.type !== 'element') throw new XmppStreamError('not-well-formed', 'expected exactly one element');
  return first.element;
}
