/**
 * The worked example of docs/protocol-adapter.md: a client-side
 * SASLInterface for a toy line protocol. test/docs-examples.test.ts runs it
 * against an in-process server and checks that the guide quotes this file.
 *
 * The toy protocol (client lines on the left, server lines on the right):
 *
 *     AUTH <mech>            no initial response
 *     AUTH <mech> =          an empty initial response
 *     AUTH <mech> <b64>      an initial response
 *                            + <b64>   a challenge ("+ =" for an empty one)
 *     <b64> | =              the answer to a challenge
 *     *                      abort
 *                            OK        success
 *                            OK <b64>  success with additional data
 *                            NO <condition> [text]   failure
 */
// #region adapter
import { SASLFailure, SASLInterface, isSASLCondition, type LineTransport, type NextStateTuple } from '../../src/index.js';
import { base64Decode, base64Encode } from '../../src/mechanism.js';

/** "=" stands for an empty payload, so that it differs from no payload. */
function encodePayload(payload: Uint8Array): string {
  return payload.length === 0 ? '=' : base64Encode(payload);
}

function decodePayload(text: string): Uint8Array {
  // base64Decode is strict and throws a SASLFailure('incorrect-encoding').
  return text === '=' ? new Uint8Array(0) : base64Decode(text, 'server payload');
}

/** A SASLInterface for the toy protocol, over any LineTransport. */
export class ToyLineInterface extends SASLInterface {
  readonly #transport: LineTransport;

  constructor(transport: LineTransport) {
    super();
    this.#transport = transport;
  }

  // PLAIN and LOGIN send a password only when this says the channel is
  // secure (TLS): report what the transport knows; unknown means false.
  override get secure(): boolean {
    return this.#transport.secure === true;
  }

  override async initiate(mechanism: string, payload: Uint8Array | null = null): Promise<NextStateTuple> {
    // null: no initial response at all; an empty array: an empty one.
    const line = payload === null ? `AUTH ${mechanism}` : `AUTH ${mechanism} ${encodePayload(payload)}`;
    await this.#transport.writeLine(line);
    return this.#readReply();
  }

  override async respond(payload: Uint8Array): Promise<NextStateTuple> {
    await this.#transport.writeLine(encodePayload(payload));
    return this.#readReply();
  }

  override async abort(): Promise<NextStateTuple> {
    await this.#transport.writeLine('*');
    try {
      await this.#readReply();
    } catch (err) {
      // The server acknowledges an abort with a failure: that is the expected end.
      if (!(err instanceof SASLFailure)) throw err;
    }
    return ['failure', null];
  }

  async #readReply(): Promise<NextStateTuple> {
    const line = await this.#transport.readLine();
    if (line.startsWith('+ ')) return ['challenge', decodePayload(line.slice(2))];
    if (line === 'OK') return ['success', null];
    // The state machine shows additional data to the mechanism as a
    // challenge and checks that the mechanism answers it with nothing.
    if (line.startsWith('OK ')) return ['success', decodePayload(line.slice(3))];
    if (line === 'NO' || line.startsWith('NO ')) throw failureOf(line.slice(3));
    // Anything else: the server broke the protocol. No condition came from
    // the peer, so opaqueError is null.
    throw new SASLFailure(null, 'malformed server reply');
  }
}

/**
 * Map "NO <condition> [text]" to a SASLFailure whose opaqueError is an
 * RFC 6120 §6.5 condition. An unknown condition becomes the generic
 * `not-authorized`, and the peer's words stay in `text`.
 */
function failureOf(rest: string): SASLFailure {
  const space = rest.indexOf(' ');
  const word = space < 0 ? rest : rest.slice(0, space);
  if (!isSASLCondition(word)) return new SASLFailure('not-authorized', rest.slice(0, 200) || null);
  return new SASLFailure(word, space < 0 ? null : rest.slice(space + 1, space + 201));
}
// #endregion adapter
