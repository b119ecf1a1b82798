/**
 * The error the Node channel-binding code raises when a connection cannot
 * give the requested binding data.
 *
 * @module
 */
import { SASLError } from '../core/errors.js';

/** Raised when a channel-binding type cannot be given for a connection. */
export class ChannelBindingError extends SASLError {
  /**
   * Create the error.
   *
   * @param text - why no binding data can be given
   */
  constructor(text: string) {
    super(null, 'channel binding unavailable', text);
  }
}
