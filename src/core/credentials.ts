/**
 * Where client mechanisms get the user's credentials from.
 *
 * @module
 */
import { SASLError } from './errors.js';

/**
 * Supplies `[username, password]` when a mechanism needs them, so that a
 * client can prompt the user only once a mechanism was chosen.
 */
export type CredentialProvider = () => Promise<readonly [username: string, password: string]> | readonly [string, string];

/**
 * Call a {@link CredentialProvider} and check what it returned.
 *
 * @param provider - the provider
 * @returns the username and password
 * @throws {@link SASLError} when the provider does not return two strings
 */
export async function resolveCredentials(provider: CredentialProvider): Promise<readonly [string, string]> {
  if (typeof provider !== 'function') {
    throw new SASLError(null, 'invalid argument', 'credentials must be a function returning [username, password]');
  }
  const result: unknown = await provider();
  if (!Array.isArray(result) || result.length !== 2 || typeof result[0] !== 'string' || typeof result[1] !== 'string') {
    throw new SASLError(null, 'invalid argument', 'the credential provider must return [username, password] as two strings');
  }
  return [result[0], result[1]];
}
