import { useEffect, useRef, useState } from 'preact/hooks';
import { authorizedFetch } from './api';

interface FeedEvent {
  id: string;
  type: string;
  data: string;
}

/** Splits SSE text into events (WHATWG "event stream"): blank-line separated, `:` lines are comments. */
export function parseSse(buffer: string): { events: FeedEvent[]; rest: string } {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  const events: FeedEvent[] = [];
  for (const block of blocks) {
    const event: FeedEvent = { id: '', type: 'message', data: '' };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') event.id = value;
      else if (field === 'event') event.type = value;
      else if (field === 'data') data.push(value);
    }
    if (!data.length) continue;
    const text = data.join('\n');
    // Without an `event:` line the type is the integration event's own (its JSON `type`).
    if (event.type === 'message') event.type = typeOf(text) ?? 'message';
    events.push({ ...event, data: text });
  }
  return { events, rest };
}

function typeOf(text: string): string | undefined {
  try {
    const value = (JSON.parse(text) as { type?: unknown }).type;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The live feed, read with fetch() so the token goes in the Authorization header (EventSource cannot
 * send one). Filtered by type in the page.
 */
export function FeedPage() {
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('Connexion…');
  const abort = useRef<AbortController | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    abort.current = controller;
    void (async () => {
      try {
        const response = await authorizedFetch('/api/feed/stream', { headers: { Accept: 'text/event-stream' }, signal: controller.signal });
        if (!response.ok || !response.body) return setStatus(`Flux refusé (${response.status})`);
        setStatus('Connecté');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseSse(buffer + value);
          buffer = parsed.rest;
          // The newest 500 only: a page left open all day must not grow without bound.
          if (parsed.events.length) setEvents((previous) => [...parsed.events.reverse(), ...previous].slice(0, 500));
        }
        setStatus('Flux terminé');
      } catch (error) {
        if (!controller.signal.aborted) setStatus(`Flux interrompu : ${String(error)}`);
      }
    })();
    return () => controller.abort();
  }, []);
  const types = [...new Set(events.map((e) => e.type))].sort();
  const shown = events.filter((e) => !filter || e.type === filter);
  return (
    <section aria-labelledby="feed-title">
      <h1 id="feed-title">Flux d'événements en direct</h1>
      <p role="status" id="feed-status">
        {status}
      </p>
      <div class="field">
        <label for="feed-type">Type d'événement</label>
        <select id="feed-type" value={filter} onChange={(e) => setFilter((e.target as HTMLSelectElement).value)}>
          <option value="">Tous</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <ol id="feed-events" aria-live="polite">
        {shown.map((e) => (
          <li key={e.id}>
            <strong>{e.type}</strong> <code>{e.id}</code>
            <pre>{e.data}</pre>
          </li>
        ))}
      </ol>
    </section>
  );
}
