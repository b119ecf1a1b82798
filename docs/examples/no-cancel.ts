/**
 * The "protocol without a cancel command" example of
 * docs/protocol-adapter.md. The guide quotes the region below verbatim;
 * test/docs-examples.test.ts checks the quote and runs a subclass of it.
 */
// #region no-cancel
import { SASLInterface, type LineTransport, type NextStateTuple } from '../../src/index.js';

/** The abort of a protocol that cannot cancel an exchange: end the connection. */
export abstract class NoCancelInterface extends SASLInterface {
  constructor(protected readonly transport: LineTransport) {
    super();
  }

  override async abort(): Promise<NextStateTuple> {
    // The server is waiting for a response and nothing on the wire ends the
    // exchange, so the only known state left is a closed connection.
    this.transport.close();
    return ['failure', null];
  }
}
// #endregion no-cancel
