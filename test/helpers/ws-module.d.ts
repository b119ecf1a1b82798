// A structural stand-in for the `ws` package's types (@types/ws 8), which
// saslkit does not depend on: the members of its `WebSocket` class that
// matter for assignability, copied in shape. test/xmpp-websocket-ws.test.ts
// checks webSocketXmppTransport against it, and test/guides-typecheck.test.ts
// maps the module name 'ws' to this file so docs/xmpp.md's ws example
// type-checks. `any` is copied from @types/ws as it is.
import type { EventEmitter } from 'node:events';

export declare namespace WsTypes {
  type BufferLike =
    | string
    | Buffer
    | DataView
    | number
    | ArrayBufferView
    | Uint8Array
    | ArrayBuffer
    | SharedArrayBuffer
    | readonly any[]
    | readonly number[]
    | { valueOf(): ArrayBuffer }
    | { valueOf(): SharedArrayBuffer }
    | { valueOf(): Uint8Array }
    | { valueOf(): readonly number[] }
    | { valueOf(): string }
    | { [Symbol.toPrimitive](hint: string): string };
  type Data = string | Buffer | ArrayBuffer | Buffer[];
  interface Event {
    type: string;
    target: WsWebSocket;
  }
  interface ErrorEvent {
    error: any;
    message: string;
    type: string;
    target: WsWebSocket;
  }
  interface CloseEvent {
    wasClean: boolean;
    code: number;
    reason: string;
    type: string;
    target: WsWebSocket;
  }
  interface MessageEvent {
    data: Data;
    type: string;
    target: WsWebSocket;
  }
  interface WebSocketEventMap {
    open: Event;
    error: ErrorEvent;
    close: CloseEvent;
    message: MessageEvent;
  }
  interface EventListenerOptions {
    once?: boolean | undefined;
  }
}

/** The shape of `import WebSocket from 'ws'` (@types/ws 8). */
export interface WsWebSocket extends EventEmitter {
  readonly readyState: 0 | 1 | 2 | 3;
  readonly protocol: string;
  onmessage: ((event: WsTypes.MessageEvent) => void) | null;
  close(code?: number, data?: string | Buffer): void;
  send(data: WsTypes.BufferLike, cb?: (err?: Error) => void): void;
  send(
    data: WsTypes.BufferLike,
    options: { mask?: boolean | undefined; binary?: boolean | undefined; compress?: boolean | undefined; fin?: boolean | undefined },
    cb?: (err?: Error) => void,
  ): void;
  terminate(): void;
  addEventListener<K extends keyof WsTypes.WebSocketEventMap>(
    type: K,
    listener: ((event: WsTypes.WebSocketEventMap[K]) => void) | { handleEvent(event: WsTypes.WebSocketEventMap[K]): void },
    options?: WsTypes.EventListenerOptions,
  ): void;
  removeEventListener<K extends keyof WsTypes.WebSocketEventMap>(
    type: K,
    listener: ((event: WsTypes.WebSocketEventMap[K]) => void) | { handleEvent(event: WsTypes.WebSocketEventMap[K]): void },
  ): void;
}

/** `import WebSocket from 'ws'`: the class. */
declare const WebSocket: {
  new (address: string | URL, protocols?: string | string[]): WsWebSocket;
  readonly prototype: WsWebSocket;
};
export default WebSocket;
