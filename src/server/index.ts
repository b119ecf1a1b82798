/**
 * saslkit: the server side: server framework, server mechanisms, credential store and formats.
 *
 * @packageDocumentation
 */
export {};
