// webSocketXmppTransport takes the `ws` package's WebSocket as it is, without
// a cast. `ws` is not a dependency: WsWebSocket (test/helpers/ws-module.d.ts)
// is a structural stand-in with the members of @types/ws 8's `WebSocket`
// class that matter for assignability (send/close overloads, the generic
// addEventListener over its event map, EventEmitter methods), copied in shape. The check is done
// by the type checker (npm run typecheck compiles this file): assigning a
// WsWebSocket to WebSocketLike fails to compile if WebSocketLike demands
// more than ws offers. The runtime test drives the transport through a
// WsWebSocket-shaped object the way ws dispatches events.
import { EventEmitter } from 'node:events';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { serializeElement, webSocketXmppTransport, xmlElement, type WebSocketLike } from '../src/protocols/xmpp/index.js';
import type { WsTypes, WsWebSocket } from './helpers/ws-module.js';

/** A WsWebSocket at runtime: EventEmitter-based, addEventListener as ws implements it. */
function fakeWs(sent: string[]): WsWebSocket {
  const emitter = new EventEmitter();
  const ws = Object.assign(emitter, {
    readyState: 1 as const,
    protocol: 'xmpp',
    onmessage: null,
    close: () => {
      emitter.emit('close-event', { wasClean: true, code: 1000, reason: '', type: 'close', target: ws });
    },
    send: (data: WsTypes.BufferLike) => {
      sent.push(String(data));
    },
    terminate: () => undefined,
    addEventListener: (type: string, listener: ((event: unknown) => void) | { handleEvent(event: unknown): void }) => {
      const call = typeof listener === 'function' ? listener : (e: unknown) => listener.handleEvent(e);
      emitter.on(`${type}-event`, call);
    },
    removeEventListener: () => undefined,
  });
  return ws as unknown as WsWebSocket;
}

describe("webSocketXmppTransport and the ws package's WebSocket", () => {
  it('accepts a ws WebSocket without a cast (type-level)', () => {
    expectTypeOf<WsWebSocket>().toExtend<WebSocketLike>();
    // The call a user writes: no `as`.
    const use = (ws: WsWebSocket) => webSocketXmppTransport(ws, { readTimeoutMs: 1000 });
    expect(typeof use).toBe('function');
  });

  it('sends and receives frames through it', async () => {
    const sent: string[] = [];
    const ws = fakeWs(sent);
    const transport = webSocketXmppTransport(ws, { readTimeoutMs: 5000 });
    await transport.send(xmlElement('auth', 'urn:ietf:params:xml:ns:xmpp-sasl', { mechanism: 'PLAIN' }));
    expect(sent).toEqual([serializeElement(xmlElement('auth', 'urn:ietf:params:xml:ns:xmpp-sasl', { mechanism: 'PLAIN' }))]);
    const received = transport.receive();
    (ws as unknown as EventEmitter).emit('message-event', { data: "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", type: 'message', target: ws });
    expect((await received).name).toBe('success');
  });
});
