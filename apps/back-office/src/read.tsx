import { useEffect, useState } from 'preact/hooks';
import { type Problem } from './api';
import { explain } from './form';

type Read<T> = { data?: T; problem?: Problem; loading: boolean };

/** Reads once per change of `deps`; `reload` reads again (after a command). */
export function useRead<T>(read: () => Promise<{ data?: T; error?: unknown; response: Response }>, deps: unknown[]): [Read<T>, () => void] {
  const [state, setState] = useState<Read<T>>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    read()
      .then((result) => {
        if (!live) return;
        if (result.response.ok) setState({ data: result.data, loading: false });
        else setState({ problem: (result.error as Problem) ?? { status: result.response.status }, loading: false });
      })
      .catch(
        (error: unknown) => live && setState({ problem: { title: 'Le serveur ne répond pas', detail: String(error) }, loading: false }),
      );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state, () => setTick((t) => t + 1)];
}

export function ProblemBanner({ problem }: { problem?: Problem }) {
  return problem ? (
    <div class="banner error" role="alert">
      {explain(problem)}
    </div>
  ) : null;
}
