/**
 * IMAP capabilities (RFC 9051 §7.2.2): the list a server sends in a
 * `CAPABILITY` response or response code, and the parts SASL cares about.
 *
 * @module
 */

/**
 * An immutable capability list. Names compare case-insensitively, as IMAP
 * requires; `AUTH=<mechanism>` entries give the SASL mechanisms on offer.
 */
export class ImapCapabilities {
  readonly #names: readonly string[];
  readonly #upper: ReadonlySet<string>;

  /**
   * Make a capability list.
   *
   * @param names - the capability names, e.g. `['IMAP4rev1', 'SASL-IR', 'AUTH=PLAIN']`
   */
  constructor(names: Iterable<string>) {
    this.#names = Object.freeze([...names].filter((n) => n.length > 0));
    this.#upper = new Set(this.#names.map((n) => n.toUpperCase()));
  }

  /**
   * Parse the text of a `CAPABILITY` response or response code
   * (space-separated atoms).
   *
   * @param text - e.g. `'IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=SCRAM-SHA-256'`
   */
  static parse(text: string): ImapCapabilities {
    return new ImapCapabilities(text.split(' ').filter((n) => n.length > 0));
  }

  /** The names as the server sent them. */
  get names(): readonly string[] {
    return this.#names;
  }

  /**
   * Whether the server has capability `name` (case-insensitive).
   *
   * @param name - e.g. `'STARTTLS'`
   */
  has(name: string): boolean {
    return this.#upper.has(name.toUpperCase());
  }

  /** The SASL mechanisms offered (`AUTH=` entries), upper-cased, in the server's order. */
  get saslMechanisms(): string[] {
    const out: string[] = [];
    for (const n of this.#names) {
      if (n.length > 5 && n.slice(0, 5).toUpperCase() === 'AUTH=') {
        const mech = n.slice(5).toUpperCase();
        if (!out.includes(mech)) out.push(mech);
      }
    }
    return out;
  }

  /** The server accepts an initial response with AUTHENTICATE (RFC 4959 `SASL-IR`). */
  get saslIR(): boolean {
    return this.has('SASL-IR');
  }

  /** The server offers `STARTTLS`. */
  get startTLS(): boolean {
    return this.has('STARTTLS');
  }

  /** The server refuses the `LOGIN` command on this connection (`LOGINDISABLED`). */
  get loginDisabled(): boolean {
    return this.has('LOGINDISABLED');
  }

  /** The list as the text of a `CAPABILITY` response. */
  toString(): string {
    return this.#names.join(' ');
  }
}
