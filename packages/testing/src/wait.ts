// Polling for an eventual condition, with a clear message when it never comes (also when a probe itself hangs).
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const what = opts.what ?? 'condition';
  let lastError: unknown;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`a probe for ${what} did not answer before the deadline`)),
        Math.max(deadline - Date.now(), 0) + 1_000,
      );
    });
    try {
      const value = await Promise.race([probe(), hung]);
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 50));
  }
}
