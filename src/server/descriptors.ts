/**
 * One descriptor per server mechanism family, looked up by name: rank, who
 * speaks first, where it may be offered (rsasl's static `Mechanism`, GNU
 * SASL's `mechinfo.c`). The table shows the advertising order in one place;
 * the mechanism classes in `mechanisms/*-server.ts` are built from it with
 * {@link DescribedServerMechanism} and add only their RFC steps.
 *
 * SCRAM's descriptors depend on the hash and `-PLUS`; they are made in
 * `mechanisms/scram-server.ts` (100 + hash strength, +100 for `-PLUS`).
 *
 * @module
 */
import type { ServerConnection, ServerMechanism, ServerMechanismContext, ServerMechanismDescriptor, ServerMechanismSession } from './mechanism.js';

/** A mechanism name with a descriptor in {@link SERVER_DESCRIPTORS}. */
export type DescribedMechanismName = 'EXTERNAL' | 'OAUTHBEARER' | 'XOAUTH2' | 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'ANONYMOUS';

/**
 * The descriptors of saslkit's server mechanisms other than SCRAM, strongest
 * first. Strengths: EXTERNAL's credential (e.g. a client certificate)
 * outranks any password; OAUTHBEARER and XOAUTH2 sit between SCRAM (110 and
 * up) and the password mechanisms; PLAIN does in one message what LOGIN
 * does in two; CRAM-MD5 keeps no password off the server; ANONYMOUS is last.
 */
export const SERVER_DESCRIPTORS: Readonly<Record<DescribedMechanismName, ServerMechanismDescriptor>> = {
  /** RFC 4422 Appendix A: offered only when the connection carries an external identity. */
  EXTERNAL: {
    name: 'EXTERNAL',
    strength: 300,
    plaintext: false,
    channelBinding: false,
    first: 'client',
    availableOn: (connection: ServerConnection): boolean =>
      typeof connection.externalIdentity === 'string' && connection.externalIdentity.length > 0,
  },
  /** RFC 7628: a bearer token is as good as a password to whoever sees it. */
  OAUTHBEARER: { name: 'OAUTHBEARER', strength: 50, plaintext: true, channelBinding: false, first: 'client' },
  /** Google's and Microsoft's pre-standard OAuth mechanism. */
  XOAUTH2: { name: 'XOAUTH2', strength: 45, plaintext: true, channelBinding: false, first: 'client' },
  /** RFC 4616: the password crosses the wire. */
  PLAIN: { name: 'PLAIN', strength: 10, plaintext: true, channelBinding: false, first: 'client' },
  /** draft-murchison-sasl-login: prompts first; the user name may come as the initial response. */
  LOGIN: { name: 'LOGIN', strength: 9, plaintext: true, channelBinding: false, first: 'server', initialResponse: true },
  /** RFC 2195: the server's msg-id comes first; the password does not cross the wire. */
  'CRAM-MD5': { name: 'CRAM-MD5', strength: 8, plaintext: false, channelBinding: false, first: 'server' },
  /** RFC 4505: no credentials at all. */
  ANONYMOUS: { name: 'ANONYMOUS', strength: 0, plaintext: false, channelBinding: false, first: 'client' },
};

/**
 * The descriptor of a mechanism family by its name (ASCII case-insensitive),
 * or `null` when saslkit has none (SCRAM's are per hash, see the module comment).
 *
 * @param name - a mechanism name, e.g. `'PLAIN'`
 */
export function serverDescriptor(name: string): ServerMechanismDescriptor | null {
  const upper = name.replace(/[a-z]/g, (c) => c.toUpperCase());
  return Object.prototype.hasOwnProperty.call(SERVER_DESCRIPTORS, upper) ? SERVER_DESCRIPTORS[upper as DescribedMechanismName] : null;
}

/**
 * A server mechanism class built from its descriptor: the subclass gives the
 * descriptor to the constructor and implements only `start`.
 */
export abstract class DescribedServerMechanism implements ServerMechanism {
  /** The registered mechanism name. */
  readonly name: string;
  /** The rank: higher is advertised first. */
  readonly strength: number;
  /** The password crosses the wire in the clear. */
  readonly plaintext: boolean;
  /** Needs channel binding (`-PLUS`). */
  readonly channelBinding: boolean;
  /** Who sends the first message. */
  readonly first: 'client' | 'server';
  /** For a server-first mechanism: an initial response may answer the opening challenge. */
  readonly initialResponse: boolean;
  readonly #availableOn: ((connection: ServerConnection) => boolean) | undefined;

  /**
   * Take the descriptor's facts.
   *
   * @param descriptor - the family's descriptor (see {@link SERVER_DESCRIPTORS})
   */
  constructor(descriptor: ServerMechanismDescriptor) {
    this.name = descriptor.name;
    this.strength = descriptor.strength;
    this.plaintext = descriptor.plaintext;
    this.channelBinding = descriptor.channelBinding;
    this.first = descriptor.first ?? 'client';
    this.initialResponse = descriptor.initialResponse === true;
    this.#availableOn = descriptor.availableOn;
  }

  /**
   * The descriptor's further condition for offering the mechanism on a
   * connection; `true` when it has none.
   *
   * @param connection - the connection being advertised to
   */
  availableOn(connection: ServerConnection): boolean {
    return this.#availableOn === undefined || this.#availableOn(connection);
  }

  /**
   * Begin one exchange.
   *
   * @param context - the connection, credentials and server facts
   */
  abstract start(context: ServerMechanismContext): ServerMechanismSession;
}
