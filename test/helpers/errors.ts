// Capturing the error of a call that must fail, so a test can inspect it; if
// the call succeeds instead, the test fails here.

/** Await `p`, expecting a rejection; return the error. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Call `fn`, expecting it to throw; return the error. */
export function syncError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an exception');
}
