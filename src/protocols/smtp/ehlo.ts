/**
 * Parsing the EHLO reply (RFC 5321 §4.1.1.1): the server's name and the
 * service extensions it offers, including `AUTH` (RFC 4954) in both its
 * standard form and the old `AUTH=` form some servers still send.
 *
 * @module
 */
import { SmtpProtocolError, type SmtpReply } from './reply.js';
import { isMechanismName } from '../../core/mechanism-name.js';

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const PARAM = /^[\x21-\x7e]+$/;

/** The extensions a server listed in its EHLO reply. */
export class EhloResponse {
  /** The server's name (the first word of the first line). */
  readonly domain: string;
  /** The rest of the first line (free text). */
  readonly greeting: string;
  /** Each extension keyword (upper case) with its parameters. */
  readonly extensions: ReadonlyMap<string, readonly string[]>;

  /**
   * Hold a parsed EHLO reply; use {@link parseEhlo} to make one.
   *
   * @param domain - the server's name
   * @param greeting - free text after the name
   * @param extensions - keyword (upper case) → parameters
   */
  constructor(domain: string, greeting: string, extensions: ReadonlyMap<string, readonly string[]>) {
    this.domain = domain;
    this.greeting = greeting;
    this.extensions = extensions;
  }

  /**
   * Tell whether the server offers an extension.
   *
   * @param keyword - e.g. `'STARTTLS'` (case-insensitive)
   */
  has(keyword: string): boolean {
    return this.extensions.has(keyword.toUpperCase());
  }

  /**
   * The parameters of an extension (empty when absent or without parameters).
   *
   * @param keyword - e.g. `'SIZE'` (case-insensitive)
   */
  params(keyword: string): readonly string[] {
    return this.extensions.get(keyword.toUpperCase()) ?? [];
  }

  /**
   * The SASL mechanisms offered with `AUTH` (upper case, valid RFC 4422
   * names only, each once; `AUTH=` lines merged in).
   */
  get authMechanisms(): readonly string[] {
    return this.params('AUTH');
  }

  /** True when the server offers STARTTLS (RFC 3207). */
  get startTLS(): boolean {
    return this.has('STARTTLS');
  }

  /**
   * The `SIZE` limit in octets (RFC 1870): `0` for "no fixed limit", `null`
   * when `SIZE` is not offered or its parameter is not a number.
   */
  get size(): number | null {
    if (!this.has('SIZE')) return null;
    const p = this.params('SIZE')[0];
    if (p === undefined) return 0;
    return /^\d{1,15}$/.test(p) ? Number(p) : null;
  }
}

/**
 * Parse a `250` EHLO reply. Lines that are not valid `ehlo-line`s are
 * ignored (servers in the wild send oddities), but the reply code must be
 * 250 and the first line must name the server.
 *
 * @param reply - the reply read after `EHLO`
 * @throws {@link SmtpProtocolError} when it is not a valid positive EHLO reply
 */
export function parseEhlo(reply: SmtpReply): EhloResponse {
  if (reply.code !== 250) throw new SmtpProtocolError(`EHLO reply has code ${reply.code}, not 250`);
  const [first = '', ...rest] = reply.lines;
  const space = first.indexOf(' ');
  const domain = space < 0 ? first : first.slice(0, space);
  const greeting = space < 0 ? '' : first.slice(space + 1);
  if (domain === '') throw new SmtpProtocolError('EHLO reply does not name the server');
  const extensions = new Map<string, string[]>();
  for (const line of rest) {
    let words = line.split(' ').filter((w) => w !== '');
    let keyword = words[0];
    if (keyword === undefined) continue;
    // The pre-RFC 2554 form "AUTH=PLAIN LOGIN" (sent by old Outlook-era servers).
    const eq = keyword.indexOf('=');
    if (eq > 0 && keyword.slice(0, eq).toUpperCase() === 'AUTH') {
      words = ['AUTH', keyword.slice(eq + 1), ...words.slice(1)].filter((w) => w !== '');
      keyword = 'AUTH';
    }
    if (!KEYWORD.test(keyword)) continue;
    const params = words.slice(1).filter((p) => PARAM.test(p));
    const key = keyword.toUpperCase();
    if (key === 'AUTH') {
      const mechs = extensions.get('AUTH') ?? [];
      for (const p of params) {
        const m = p.toUpperCase();
        if (isMechanismName(m) && !mechs.includes(m)) mechs.push(m);
      }
      extensions.set('AUTH', mechs);
    } else if (!extensions.has(key)) {
      extensions.set(key, params);
    }
  }
  return new EhloResponse(domain, greeting, extensions);
}
