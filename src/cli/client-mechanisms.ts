/**
 * The client mechanisms the `client` command offers, built from `-m` names
 * or, by default, the strongest sensible list: SCRAM-PLUS when channel
 * binding is possible, SCRAM, then PLAIN over TLS.
 *
 * @module
 */
import { ANONYMOUS, CRAMMD5, EXTERNAL, LOGIN, OAUTHBEARER, PLAIN, SCRAM, SCRAMPLUS, XOAUTH2, type ChannelBindingProvider, type CredentialProvider, type HashName, type SASLMechanism } from '../index.js';
import { HASHES } from '../mechanism.js';
import { UsageError } from './args.js';
import { parseScramMechanismName, scramMechanismName } from '../core/mechanism-name.js';

/** The mechanism names `-m` accepts (SCRAM with every hash saslkit has, -PLUS included). */
export const CLIENT_MECHANISMS: readonly string[] = [
  ...HASHES.flatMap((h) => [scramMechanismName(h.name, true), scramMechanismName(h.name, false)]),
  'PLAIN',
  'LOGIN',
  'CRAM-MD5',
  'ANONYMOUS',
  'EXTERNAL',
  'OAUTHBEARER',
  'XOAUTH2',
];

/** What the mechanisms are made from. */
export interface MechanismSetup {
  /** Supplies `[user, password or token]` when a mechanism asks. */
  readonly credentials: CredentialProvider;
  /** The user name (ANONYMOUS sends it as its trace token). */
  readonly user: string | undefined;
  /** Identity to act as, for mechanisms that carry one. */
  readonly authzid: string | undefined;
  /** The channel binding, or `null` when not binding. */
  readonly channelBinding: ChannelBindingProvider | null;
  /** Channel binding is required: only -PLUS mechanisms may run. */
  readonly requireChannelBinding: boolean;
  /** The connection is encrypted (PLAIN is in the default list only then). */
  readonly secure: boolean;
  /** A client certificate was presented: EXTERNAL leads the default list. */
  readonly clientCertificate: boolean;
  /** The server's host and port, for OAUTHBEARER's `host=`/`port=`. */
  readonly server: { readonly host: string; readonly port: number };
  /** The largest SCRAM iteration count accepted; default the library's (100000). */
  readonly maxIterationCount?: number;
  /** PLAIN and LOGIN may send the password over a connection without TLS. */
  readonly allowInsecurePassword?: boolean;
}

/**
 * Check `-m` names before connecting.
 *
 * @param names - the names given
 * @param requireChannelBinding - whether `--cb-policy require` was given
 */
export function checkMechanismNames(names: readonly string[], requireChannelBinding: boolean): string[] {
  return names.map((given) => {
    const name = given.toUpperCase();
    if (!CLIENT_MECHANISMS.includes(name)) throw new UsageError(`unknown mechanism for -m; known: ${CLIENT_MECHANISMS.join(' ')}`);
    if (requireChannelBinding && parseScramMechanismName(name)?.plus !== true) throw new UsageError(`-m ${name} cannot bind to the channel, but --cb-policy is require`);
    return name;
  });
}

/**
 * The mechanisms to try, most preferred first.
 *
 * @param names - checked `-m` names; empty for the default list
 * @param setup - credentials and connection facts
 */
export function clientMechanisms(names: readonly string[], setup: MechanismSetup): SASLMechanism<unknown>[] {
  const { credentials, channelBinding: cb } = setup;
  const authzid = setup.authzid === undefined ? {} : { authzid: setup.authzid };
  // A plain SCRAM in a list with a SCRAM-PLUS that can bind sends "y" when the server offered no
  // -PLUS (authenticate() tells it), so a server that does offer -PLUS sees the downgrade; one the
  // user picked alone sends "n" (RFC 5802 §6).
  const scramOptions = { ...authzid, ...(setup.maxIterationCount === undefined ? {} : { maxIterationCount: setup.maxIterationCount }) };
  const cleartext = { allowInsecureChannel: setup.allowInsecurePassword === true };
  if (names.length === 0) {
    if (setup.requireChannelBinding) return cb ? [new SCRAMPLUS(credentials, cb, scramOptions)] : [];
    // A client certificate and no user: the certificate is the only credential.
    if (setup.clientCertificate && setup.user === undefined) return [new EXTERNAL(authzid)];
    return [
      ...(setup.clientCertificate ? [new EXTERNAL(authzid)] : []),
      ...(cb ? [new SCRAMPLUS(credentials, cb, scramOptions)] : []),
      new SCRAM(credentials, scramOptions),
      ...(setup.secure ? [new PLAIN(credentials, authzid)] : []),
    ];
  }
  const mechanisms: SASLMechanism<unknown>[] = [];
  for (const name of names) {
    const scram = parseScramMechanismName(name);
    if (scram) {
      const hashes = [scram.hash as HashName];
      if (!scram.plus) mechanisms.push(new SCRAM(credentials, { ...scramOptions, hashes }));
      else if (cb) mechanisms.push(new SCRAMPLUS(credentials, cb, { ...scramOptions, hashes }));
      continue;
    }
    switch (name) {
      case 'PLAIN':
        mechanisms.push(new PLAIN(credentials, { ...authzid, ...cleartext }));
        break;
      case 'LOGIN':
        mechanisms.push(new LOGIN(credentials, cleartext));
        break;
      case 'CRAM-MD5':
        mechanisms.push(new CRAMMD5(credentials));
        break;
      case 'EXTERNAL':
        mechanisms.push(new EXTERNAL(authzid));
        break;
      case 'ANONYMOUS':
        mechanisms.push(new ANONYMOUS(setup.user ?? 'saslkit'));
        break;
      case 'OAUTHBEARER':
        mechanisms.push(new OAUTHBEARER(credentials, setup.server));
        break;
      case 'XOAUTH2':
        mechanisms.push(new XOAUTH2(credentials));
        break;
    }
  }
  return mechanisms;
}
