// Two connected WebSocket-like ends in memory (Node 20 has no WebSocket), so
// the RFC 7395 framing, the parsing and the SASL exchanges run for real.
import type { WebSocketLike } from '../../src/protocols/xmpp/index.js';

type Listener = (event: { data?: unknown }) => void;

export interface FakeSocket extends WebSocketLike {
  readonly sent: string[];
  link(peer: FakeSocket): void;
  emit(type: string, event: { data?: unknown }): void;
}

/** Two connected WebSocket-like ends; messages are delivered asynchronously, in order. */
export function socketPair(): { a: FakeSocket; b: FakeSocket } {
  const make = (): FakeSocket => {
    const listeners: Record<string, Listener[]> = { message: [], close: [], error: [] };
    let peer: FakeSocket | null = null;
    let open = true;
    const end: FakeSocket = {
      sent: [] as string[],
      link(p: FakeSocket) {
        peer = p;
      },
      emit(type: string, event: { data?: unknown }) {
        for (const l of listeners[type] ?? []) l(event);
      },
      send(data: string) {
        if (!open) throw new Error('closed');
        end.sent.push(data);
        const p = peer!;
        setTimeout(() => p.emit('message', { data }), 0);
      },
      close() {
        if (!open) return;
        open = false;
        const p = peer!;
        setTimeout(() => {
          end.emit('close', {});
          p.emit('close', {});
        }, 0);
      },
      addEventListener(type: 'message' | 'close' | 'error', l: Listener) {
        listeners[type]!.push(l);
      },
    };
    return end;
  };
  const a = make();
  const b = make();
  a.link(b);
  b.link(a);
  return { a, b };
}
