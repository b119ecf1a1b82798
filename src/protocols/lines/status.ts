/**
 * The peer's status channel. gsasl's data lines say nothing about the outcome:
 * a server's last message looks exactly like a challenge. What tells them
 * apart is gsasl's diagnostics on stderr, which announce each data line
 * ("Output from server:"), the end ("Server authentication finished") or an
 * error ("gsasl: mechanism error: ..."). This module reads them.
 *
 * @module
 */
import type { SASLCondition } from '../../core/conditions.js';
import { peerText, quotePeerText } from '../../core/peer-text.js';

/** The peer has written (or is writing) its next data line. */
export interface PeerOutputEvent {
  /** Discriminant. */
  readonly kind: 'output';
}

/** The peer considers the exchange finished and successful. */
export interface PeerFinishedEvent {
  /** Discriminant. */
  readonly kind: 'finished';
}

/** The peer failed the exchange (or went away without a verdict). */
export interface PeerFailedEvent {
  /** Discriminant. */
  readonly kind: 'failed';
  /** The condition, derived from the peer's message. */
  readonly condition: SASLCondition;
  /** The peer's message (printable ASCII, bounded) or why there was none. */
  readonly text: string;
}

/** What the peer reports next, out of band of the data lines. */
export type PeerStatusEvent = PeerOutputEvent | PeerFinishedEvent | PeerFailedEvent;

/**
 * A source of {@link PeerStatusEvent}s, read in step with the data lines:
 * one event after each line the local side writes (and one before the
 * peer's first data line). Must not throw: a broken channel is a `failed` event.
 */
export interface PeerStatus {
  /** Wait for the peer's next status event. */
  next(): Promise<PeerStatusEvent>;
}

/** The read half of a {@link LineTransport}: all a status channel needs. */
export interface LineReader {
  /** Read the next line, without its terminator; rejects when none can come. */
  readLine(): Promise<string>;
}

/**
 * Map a gsasl error message (the text after `gsasl: `, i.e. `mechanism
 * error: <gsasl_strerror text>` and friends) to a condition.
 *
 * @param message - gsasl's message, in the C locale
 */
export function gsaslErrorCondition(message: string): SASLCondition {
  const m = message.toLowerCase();
  if (m.startsWith('mechanism unavailable') || m.includes('unknown sasl mechanism')) return 'invalid-mechanism';
  if (m.includes('base 64 coding error')) return 'incorrect-encoding';
  if (m.includes('could not parse input') || m.includes('called too many times') || m.includes('could not prepare')) {
    return 'malformed-request';
  }
  // The application (the gsasl tool) cannot decide, e.g. it has no ANONYMOUS
  // validation callback: a fault of the receiving side, not of the client.
  if (m.includes('no callback specified') || m.includes('memory allocation') || m.includes('crypto error')) {
    return 'temporary-auth-failure';
  }
  return 'not-authorized';
}

/** Lines of gsasl's stderr that carry no status (prompts and notices). */
const NOISE = [
  'Using mechanism:',
  'Input list of SASL mechanisms',
  'Enter base64 authentication data from',
  'Enter application data',
  'Session finished',
  'warning:',
  'This server supports',
  'This client supports',
];

/** At most this many noise lines are skipped while waiting for one event. */
const MAX_NOISE_LINES = 64;

/**
 * Reads gsasl's diagnostics (its stderr) as {@link PeerStatusEvent}s.
 *
 * Run gsasl with `LC_ALL=C` (its messages are translated otherwise), without
 * `--quiet` (which silences them) and with `--no-cb` unless you feed it
 * channel-binding data: it would ask for that on stdin, in the middle of the
 * data lines. Such a prompt is reported as a failure rather than waited on.
 */
export class GsaslDiagnostics implements PeerStatus {
  readonly #lines: LineReader;
  #ended: PeerStatusEvent | null = null;
  readonly #seen: string[] = [];

  /**
   * Read gsasl's diagnostics from `stderr`.
   *
   * @param stderr - gsasl's stderr, as lines
   */
  constructor(stderr: LineReader) {
    this.#lines = stderr;
  }

  /** The last diagnostic lines read (at most 8), for error reports. */
  get recent(): readonly string[] {
    return this.#seen;
  }

  /** Wait for gsasl's next status event; never rejects. */
  async next(): Promise<PeerStatusEvent> {
    if (this.#ended) return this.#ended;
    for (let skipped = 0; skipped <= MAX_NOISE_LINES; skipped++) {
      let line: string;
      try {
        line = await this.#lines.readLine();
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return this.#end({ kind: 'failed', condition: 'temporary-auth-failure', text: `gsasl gave no verdict (${why})` });
      }
      this.#remember(line);
      const event = classify(line);
      if (event === 'noise') continue;
      if (event.kind !== 'output') return this.#end(event);
      return event;
    }
    return this.#end({ kind: 'failed', condition: 'temporary-auth-failure', text: 'gsasl wrote too many diagnostics without a status' });
  }

  #end(event: PeerStatusEvent): PeerStatusEvent {
    this.#ended = event;
    return event;
  }

  #remember(line: string): void {
    this.#seen.push(line.length > 200 ? `${line.slice(0, 200)}...` : line);
    if (this.#seen.length > 8) this.#seen.shift();
  }
}

function classify(line: string): PeerStatusEvent | 'noise' {
  // Channel-binding prompts end without a newline, so the next message
  // shares their line: look for the markers anywhere in it.
  if (line.includes('channel binding:')) {
    return {
      kind: 'failed',
      condition: 'temporary-auth-failure',
      text: 'gsasl asked for channel-binding data on stdin; run it with --no-cb',
    };
  }
  if (line.includes('Output from server:') || line.includes('Output from client:')) return { kind: 'output' };
  if (line.includes('authentication finished')) return { kind: 'finished' };
  const error = /^gsasl: (.*)$/.exec(line);
  if (error) {
    const message = peerText(error[1]!, 200);
    return { kind: 'failed', condition: gsaslErrorCondition(message), text: `gsasl: ${message}` };
  }
  if (line === '' || NOISE.some((n) => line.startsWith(n))) return 'noise';
  // Anything else (an unexpected prompt) would leave gsasl waiting on stdin.
  return { kind: 'failed', condition: 'temporary-auth-failure', text: `unexpected gsasl diagnostic: ${quotePeerText(line)}` };
}
