/**
 * The GS2 header (RFC 5801 §4) that starts the first client message of SCRAM
 * (RFC 5802 §7) and OAUTHBEARER (RFC 7628 §3.1):
 *
 * ```
 * gs2-header     = gs2-cbind-flag "," [ authzid ] ","
 * gs2-cbind-flag = ("p=" cb-name) / "n" / "y"
 * authzid        = "a=" saslname
 * saslname       = 1*(UTF8-char-safe / "=2C" / "=3D")
 * ```
 *
 * `n`: the client does not support channel binding; `y`: it does, but thinks
 * the server does not; `p=<cb-name>`: it binds to that channel-binding type.
 * Parsed and printed here only, for every mechanism that carries one.
 *
 * @module
 */
import { SASLFailure } from './errors.js';

/** `cb-name` (RFC 5056 §7, RFC 5801 §4): letters, digits, `.` and `-`; at most 64 here. */
export const CB_NAME = /^[A-Za-z0-9.-]{1,64}$/;

/** A GS2 header's fields. */
export interface Gs2Fields {
  /** The gs2-cbind-flag: `'n'`, `'y'` or `'p'` (then {@link Gs2Fields.cbName} is set). */
  readonly flag: 'n' | 'y' | 'p';
  /** The channel-binding type of `p=<cb-name>`, else `null`. */
  readonly cbName: string | null;
  /** The authorization identity (`a=`, unescaped), else `null`. */
  readonly authzid: string | null;
}

/** A parsed GS2 header. */
export interface Gs2Header extends Gs2Fields {
  /** The header as sent, both commas included (SCRAM's `c=` covers it byte for byte). */
  readonly text: string;
  /** What follows the header in the message. */
  readonly rest: string;
}

function malformed(mechanism: string, why: string): never {
  throw new SASLFailure('malformed-request', `${mechanism}: ${why}`);
}

/**
 * Escape a name for the wire (`saslname`): `=` → `=3D`, `,` → `=2C`.
 *
 * @param name - the (already prepared) name
 */
export function escapeSaslname(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/**
 * Undo {@link escapeSaslname}; any `=` not starting `=2C` or `=3D` is an error.
 *
 * @param value - a `saslname` from the wire
 * @param what - which field, for errors
 * @param mechanism - the mechanism, for errors; default `'SCRAM'`
 * @throws {@link SASLFailure} `malformed-request` for an empty value or a bad escape
 */
export function unescapeSaslname(value: string, what: string, mechanism = 'SCRAM'): string {
  if (value.length === 0) malformed(mechanism, `${what} is empty`);
  if (/=(?!2C|3D)/.test(value)) malformed(mechanism, `${what} has an invalid '=' escape`);
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/**
 * Print a GS2 header: `n,,`, `y,a=admin,`, `p=tls-exporter,,`.
 *
 * @param fields - the flag, channel-binding type and authzid
 * @throws {@link SASLFailure} for a `p` flag without a valid cb-name
 */
export function printGs2Header(fields: Gs2Fields): string {
  let flag: string = fields.flag;
  if (flag === 'p') {
    if (fields.cbName === null || !CB_NAME.test(fields.cbName)) malformed('GS2', 'not a channel-binding type name');
    flag = `p=${fields.cbName}`;
  }
  return `${flag},${fields.authzid === null ? '' : `a=${escapeSaslname(fields.authzid)}`},`;
}

/**
 * Parse the GS2 header at the start of `message`.
 *
 * @param message - the first client message, decoded
 * @param what - the message, for errors (e.g. `'client-first-message'`)
 * @param mechanism - the mechanism, for errors; default `'SCRAM'`
 * @returns the fields, the header's text and the rest of the message
 * @throws {@link SASLFailure} `malformed-request` for a missing or malformed header
 */
export function parseGs2Header(message: string, what: string, mechanism = 'SCRAM'): Gs2Header {
  const c1 = message.indexOf(',');
  const c2 = c1 < 0 ? -1 : message.indexOf(',', c1 + 1);
  if (c2 < 0) malformed(mechanism, `${what} lacks the GS2 header`);
  const flagText = message.slice(0, c1);
  const authzText = message.slice(c1 + 1, c2);
  let flag: Gs2Fields['flag'];
  let cbName: string | null = null;
  if (flagText === 'n' || flagText === 'y') flag = flagText;
  else if (flagText.startsWith('p=') && CB_NAME.test(flagText.slice(2))) {
    flag = 'p';
    cbName = flagText.slice(2);
  } else malformed(mechanism, "the GS2 channel-binding flag must be 'n', 'y' or 'p=<cb-name>'");
  let authzid: string | null = null;
  if (authzText !== '') {
    if (!authzText.startsWith('a=')) malformed(mechanism, "the GS2 authzid must be 'a=<saslname>'");
    authzid = unescapeSaslname(authzText.slice(2), 'authzid', mechanism);
  }
  return { flag, cbName, authzid, text: message.slice(0, c2 + 1), rest: message.slice(c2 + 1) };
}
