// Reading what a child process (gsasl, Cyrus sasl-sample-*) left on one of
// its line channels after it exited, to show it when a test fails.

/** Every line not read yet, up to 100 (reading stops at the first error: end of stream or timeout). */
export async function drain(lines: { readLine(): Promise<string> }): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    try {
      out.push(await lines.readLine());
    } catch {
      break;
    }
  }
  return out;
}
