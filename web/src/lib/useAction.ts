import { useState } from 'react';

/** A user-triggered request: busy while it runs, its problem if it fails, a notice when it succeeds. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  async function run<T>(request: () => Promise<T>, success: (result: T) => string): Promise<T | undefined> {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const result = await request();
      setNotice(success(result));
      return result;
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, notice, run };
}
