import { useState } from 'preact/hooks';
import type { components } from '../../../examples/api-client/schema';
import { api, authorizedFetch, type Problem } from './api';

type Ledger = components['schemas']['Ledger'];
type CommuneLedger = components['schemas']['CommuneLedger'];
import { ProblemBanner, useRead } from './read';
import { CommandForm, answerOf } from './form';

interface Setting {
  on: string;
  knownAt: string;
}

type Rows = Map<string, string>;

/** Entitlements on `on` and the year's ledger lines as known at `knownAt`, each as a line of text per key. */
async function readAt(insee: string, setting: Setting): Promise<{ rows: Rows; problem?: Problem }> {
  const knownAt = setting.knownAt ? new Date(setting.knownAt).toISOString() : undefined;
  const rows: Rows = new Map();
  const entitlements = await api.GET('/api/communes/{insee}/entitlements', {
    params: { path: { insee }, query: { on: setting.on, ...(knownAt ? { knownAt } : {}) } },
  });
  if (!entitlements.response.ok) return { rows, problem: entitlements.error as Problem };
  for (const e of entitlements.data ?? []) rows.set(`Droit ${e.serviceId}`, `${e.offerId} (${e.from} → ${e.until ?? '…'})`);
  const year = setting.on.slice(0, 4);
  const ledger = await api.GET('/api/communes/{insee}/ledgers/{year}', {
    params: { path: { insee, year }, query: knownAt ? { knownAt } : {} },
  });
  if (ledger.response.ok)
    for (const line of (ledger.data as CommuneLedger | undefined)?.lines ?? [])
      rows.set(`Registre ${year} ${line.serviceId} ${line.inForceFrom}`, `${line.offerId} : ${line.amountDue ?? 'en attente'} €`);
  return { rows };
}

const now = () => new Date().toISOString().slice(0, 16);

/**
 * Time travel on both axes (R-TIME-1): "en vigueur le" is the business date, "tel que connu au" the
 * recording instant. Two settings side by side; a line that differs is marked (not by colour alone).
 */
export function TimeTravel({ insee }: { insee: string }) {
  const [a, setA] = useState<Setting>({ on: new Date().toISOString().slice(0, 10), knownAt: now() });
  const [b, setB] = useState<Setting>({ on: new Date().toISOString().slice(0, 10), knownAt: now() });
  const [result, setResult] = useState<{ a: Rows; b: Rows; problem?: Problem } | null>(null);
  async function compare(event: Event) {
    event.preventDefault();
    const [left, right] = await Promise.all([readAt(insee, a), readAt(insee, b)]);
    setResult({ a: left.rows, b: right.rows, problem: left.problem ?? right.problem });
  }
  const setting = (name: 'a' | 'b', value: Setting, set: (s: Setting) => void) => (
    <fieldset>
      <legend>Réglage {name.toUpperCase()}</legend>
      <label for={`tt-${name}-on`}>En vigueur le</label>
      <input
        id={`tt-${name}-on`}
        type="date"
        value={value.on}
        onChange={(e) => set({ ...value, on: (e.target as HTMLInputElement).value })}
      />
      <label for={`tt-${name}-known`}>Tel que connu au</label>
      <input
        id={`tt-${name}-known`}
        type="datetime-local"
        step={1}
        value={value.knownAt}
        onChange={(e) => set({ ...value, knownAt: (e.target as HTMLInputElement).value })}
      />
    </fieldset>
  );
  const keys = result ? [...new Set([...result.a.keys(), ...result.b.keys()])].sort() : [];
  return (
    <section aria-labelledby="tt-title" class="time-travel">
      <h2 id="tt-title">Voyage dans le temps</h2>
      <form id="time-travel" onSubmit={(event) => void compare(event)}>
        {setting('a', a, setA)}
        {setting('b', b, setB)}
        <button type="submit">Comparer</button>
      </form>
      {result && <ProblemBanner problem={result.problem} />}
      {result && (
        <table id="tt-result">
          <caption>
            A : en vigueur le {a.on}, connu au {a.knownAt} — B : en vigueur le {b.on}, connu au {b.knownAt}
          </caption>
          <thead>
            <tr>
              <th scope="col">Élément</th>
              <th scope="col">A</th>
              <th scope="col">B</th>
              <th scope="col">Écart</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => {
              const differs = result.a.get(key) !== result.b.get(key);
              return (
                <tr key={key} class={differs ? 'differs' : undefined}>
                  <th scope="row">{key}</th>
                  <td>{result.a.get(key) ?? '—'}</td>
                  <td>{result.b.get(key) ?? '—'}</td>
                  <td>{differs ? '≠ différent' : '='}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A convention's timeline: every event with who, why, the legal reference, the business date and when it was recorded. */
export function TimelinePage({ id }: { id: string }) {
  const [history] = useRead(() => api.GET('/api/conventions/{id}/history', { params: { path: { id } } }), [id]);
  return (
    <section aria-labelledby="timeline-title">
      <h1 id="timeline-title">Historique de la convention {id}</h1>
      <ProblemBanner problem={history.problem} />
      <table id="timeline">
        <thead>
          <tr>
            <th scope="col">Position</th>
            <th scope="col">Événement</th>
            <th scope="col">Par</th>
            <th scope="col">Motif</th>
            <th scope="col">Référence juridique</th>
            <th scope="col">Date d'effet</th>
            <th scope="col">Enregistré le</th>
          </tr>
        </thead>
        <tbody>
          {(history.data?.events ?? []).map((e) => (
            <tr key={e.eventId}>
              <td>
                <a href={`/integrite?position=${e.position}`}>{e.position}</a>
              </td>
              <td>{e.type}</td>
              <td>{e.actor ? `${e.actor.id} (${e.actor.role})` : '—'}</td>
              <td>{e.reason ?? '—'}</td>
              <td>{e.legalReference ?? '—'}</td>
              <td>{e.businessDate ?? '—'}</td>
              <td>{new Date(e.recordedAt).toLocaleString('fr-FR')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function explainLine(line: Record<string, unknown>): string {
  const s = (key: string) => {
    const value = line[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : '—';
  };
  const parts: string[] = [];
  if (line.population != null) parts.push(`population ${s('population')} au ${s('populationEffectiveDate')} (${s('populationSource')})`);
  if (line.fixed != null) parts.push(`fixe ${s('fixed')} € + ${s('perInhabitant')} €/hab. = ${s('baseAmount')} €`);
  if (line.indexValue != null)
    parts.push(
      `Syntec ${s('indexPeriod')} ${s('indexValue')} / ${s('baseIndexPeriod')} ${s('baseIndexValue')} = coefficient ${s('coefficient')}`,
    );
  if (line.targetAmount != null) parts.push(`cible ${s('targetAmount')} €`);
  if (line.capAmount != null) parts.push(`plafond ${s('capAmount')} € (antérieur ${s('legacyAmount')} €)`);
  if (line.annualAmount != null) parts.push(`annuel ${s('annualAmount')} €`);
  if (line.daysInForce != null) parts.push(`prorata ${s('daysInForce')}/${s('daysInYear')} jours`);
  if (line.pendingReason) parts.push(`en attente : ${s('pendingReason')}`);
  return parts.join(' ; ') || (line.feeScheduleKind === 'free' ? 'gratuit' : '—');
}

/** The year's ledger, each line explained, CSV download; issuing it (admin). */
export function LedgerPage() {
  const params = new URLSearchParams(location.search);
  const [year, setYear] = useState(params.get('annee') ?? String(new Date().getFullYear() + 1));
  const [commune, setCommune] = useState(params.get('commune') ?? '');
  const [ledger, reload] = useRead(() => api.GET('/api/ledgers/{year}', { params: { path: { year } } }), [year]);
  const data = ledger.data as Ledger | undefined;
  const lines = (data?.lines ?? []).filter((line) => !commune || line.communeInsee === commune);
  const [csv, setCsv] = useState<string | null>(null);
  async function download() {
    const response = await authorizedFetch(`/api/ledgers/${year}`, { headers: { Accept: 'text/csv' } });
    if (response.ok) setCsv(URL.createObjectURL(await response.blob()));
  }
  return (
    <section aria-labelledby="ledger-title">
      <h1 id="ledger-title">Registre des redevances {year}</h1>
      <div class="field">
        <label for="ledger-year">Année</label>
        <input id="ledger-year" value={year} inputMode="numeric" onChange={(e) => setYear((e.target as HTMLInputElement).value)} />
      </div>
      <div class="field">
        <label for="ledger-commune">Commune (code INSEE, vide : toutes)</label>
        <input id="ledger-commune" value={commune} onChange={(e) => setCommune((e.target as HTMLInputElement).value)} />
      </div>
      <p>
        <button type="button" onClick={() => void download()}>
          Préparer le CSV
        </button>{' '}
        {csv && (
          <a href={csv} download={`registre-${year}.csv`}>
            Télécharger le CSV
          </a>
        )}
      </p>
      <ProblemBanner problem={ledger.problem} />
      <table id="ledger">
        <caption>
          {lines.length} ligne(s) ; {(data?.issues ?? []).length} émission(s)
        </caption>
        <thead>
          <tr>
            <th scope="col">Commune</th>
            <th scope="col">Service / offre</th>
            <th scope="col">Période</th>
            <th scope="col">Montant dû</th>
            <th scope="col">Explication</th>
            <th scope="col">État</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line.lineId}>
              <td>
                {line.communeName} ({line.communeInsee})
              </td>
              <td>
                {line.serviceId} / {line.offerId}
              </td>
              <td>
                {line.inForceFrom} → {line.inForceUntil}
              </td>
              <td>{line.amountDue ?? '—'}</td>
              <td>{explainLine(line as unknown as Record<string, unknown>)}</td>
              <td>
                {line.status}
                {line.difference ? ` (régularisation ${line.difference} €)` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <CommandForm
        id="issue"
        title={`Émettre le registre ${year}`}
        submitLabel="Émettre"
        fields={[
          { name: 'reason', label: 'Motif' },
          { name: 'legalReference', label: 'Référence juridique' },
        ]}
        onSubmit={async (v, _f, key) => {
          const result = await api.POST('/api/ledgers/{year}/issue', {
            params: { path: { year }, header: { 'Idempotency-Key': key } },
            body: { ...(v.reason ? { reason: v.reason } : {}), ...(v.legalReference ? { legalReference: v.legalReference } : {}) },
          });
          if (result.response.ok) reload();
          return answerOf(result, 'Registre émis.');
        }}
      />
    </section>
  );
}

/** The log's integrity: latest signed head, full verification, an event's inclusion proof. */
export function IntegrityPage() {
  const [head] = useRead(() => api.GET('/api/audit/heads/latest'), []);
  const [verification, setVerification] = useState<{ ok: boolean; checked: number; firstBrokenPosition?: string | null } | null>(null);
  const [proof, setProof] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const initial = new URLSearchParams(location.search).get('position') ?? '';
  async function verify() {
    const result = await api.GET('/api/audit/verify');
    if (result.data) setVerification(result.data);
    else setProblem(result.error);
  }
  return (
    <section aria-labelledby="integrity-title">
      <h1 id="integrity-title">Intégrité du journal</h1>
      <ProblemBanner problem={head.problem ?? problem} />
      {head.data && (
        <dl id="latest-head">
          <dt>Taille de l'arbre</dt>
          <dd>{head.data.treeSize}</dd>
          <dt>Racine</dt>
          <dd class="hash">{head.data.rootHash}</dd>
          <dt>Signée le</dt>
          <dd>{head.data.timestamp}</dd>
          <dt>Clé</dt>
          <dd class="hash">{head.data.keyId}</dd>
        </dl>
      )}
      <p>
        <button type="button" onClick={() => void verify()}>
          Vérifier tout le journal
        </button>
      </p>
      {verification && (
        <p role="status" id="verify-result">
          {verification.ok
            ? `Journal intègre : ${verification.checked} événement(s) vérifié(s).`
            : `Journal altéré à la position ${verification.firstBrokenPosition ?? '?'}.`}
        </p>
      )}
      <CommandForm
        id="proof"
        title="Preuve d'inclusion d'un événement"
        submitLabel="Obtenir la preuve"
        fields={[{ name: 'position', label: 'Position', required: true, value: initial }]}
        onSubmit={async (v) => {
          const result = await api.GET('/api/audit/events/{position}/proof', {
            params: { path: { position: v.position ?? '' }, query: {} },
          });
          if (result.data) setProof(JSON.stringify(result.data, null, 2));
          return answerOf(result, 'Preuve obtenue : le chemin relie la feuille à la racine signée.');
        }}
      />
      {proof && <pre id="proof-result">{proof}</pre>}
    </section>
  );
}
