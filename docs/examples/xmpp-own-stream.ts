/**
 * The "over a stream you already parse" example of docs/xmpp.md. The guide
 * quotes the region below verbatim; test/xmpp-docs.test.ts checks the quote
 * and runs the code.
 */
// #region own-stream
import { authenticate, SCRAM } from '../../src/index.js';
import { XmppSASLInterface, readMechanisms, parseXmlElement, serializeElement, type XmppElementTransport, type XmlElement } from '../../src/protocols/xmpp/index.js';

/** Your client's stream, as it already exists: here it deals in top-level elements as XML text. */
export interface MyStream {
  write(xml: string): Promise<void>;
  nextTopLevelElement(): Promise<string>;
}

/** Authenticate over `myStream`, whose `<stream:features/>` your client has already read. */
export async function authenticateOverMyStream(myStream: MyStream, features: XmlElement, user: string, password: string): Promise<string> {
  const transport: XmppElementTransport = {
    send: async (el) => myStream.write(serializeElement(el)),
    receive: async () => parseXmlElement(await myStream.nextTopLevelElement()),
  };
  const mechanism = await authenticate(new XmppSASLInterface(transport), readMechanisms(features), [
    new SCRAM(() => [user, password]),
  ]);
  // Now restart the stream (RFC 6120 §6.4.6) the way your client does it.
  return mechanism;
}
// #endregion own-stream
