/**
 * saslkit: Node-only helpers: TLS channel binding, socket transports and connect helpers.
 *
 * @packageDocumentation
 */
export {};
