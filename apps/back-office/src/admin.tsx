import { useState } from 'preact/hooks';
import { api, type Session } from './api';
import { CommandForm, answerOf, textOf, type Answer } from './form';
import { ProblemBanner, useRead } from './read';
import { TimeTravel } from './audit';

const today = () => new Date().toISOString().slice(0, 10);
const opt = (value: string | undefined) => (value ? { reason: value } : {});
const audit = (v: Record<string, string>) => ({ ...opt(v.reason), ...(v.legalReference ? { legalReference: v.legalReference } : {}) });
const REASON = [
  { name: 'reason', label: 'Motif' },
  { name: 'legalReference', label: 'Référence juridique (délibération)' },
];

export function CommunesPage() {
  const [query, setQuery] = useState('');
  const [list] = useRead(() => api.GET('/api/communes', { params: { query: { limit: 500 } } }), []);
  const items = (list.data?.items ?? []) as Array<{
    communeInsee: string;
    communeName?: string | null;
    conventions: Array<{ conventionId: string; status: string }>;
  }>;
  const q = query.trim().toLowerCase();
  const shown = items.filter((c) => !q || c.communeInsee.includes(q) || (c.communeName ?? '').toLowerCase().includes(q));
  return (
    <section aria-labelledby="communes-title">
      <h1 id="communes-title">Communes</h1>
      <div class="field">
        <label for="commune-search">Rechercher (nom ou code INSEE)</label>
        <input id="commune-search" type="search" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
      </div>
      <p>
        <a href="/communes/69123">Ouvrir une commune par son code : /communes/&lt;INSEE&gt;</a> (par exemple Lyon, 69123, avant sa
        convention)
      </p>
      <ProblemBanner problem={list.problem} />
      <table>
        <caption>{shown.length} commune(s)</caption>
        <thead>
          <tr>
            <th scope="col">Code INSEE</th>
            <th scope="col">Nom</th>
            <th scope="col">Conventions</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr key={c.communeInsee}>
              <td>{c.communeInsee}</td>
              <td>
                <a href={`/communes/${c.communeInsee}`}>{c.communeName ?? c.communeInsee}</a>
              </td>
              <td>
                {c.conventions.map((v) => `${v.conventionId} (${v.status === 'active' ? 'en cours' : 'terminée'})`).join(', ') || '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface ConventionItem {
  conventionId: string;
  status: string;
  signedOn: string;
  effectiveFrom: string;
  periods: Array<{ number: number; start: string; end: string }>;
  annexes: Array<{
    serviceId: string;
    from: string;
    until: string | null;
    offers: Array<{ offerId: string; from: string; until: string | null }>;
  }>;
}

interface CommuneView {
  communeInsee: string;
  communeName: string;
  conventions: ConventionItem[];
  legacyConventions: Array<{ serviceId: string; offerId: string; year: number; annualContribution?: string | null }>;
  populations: Array<{ population: number; effectiveDate: string; source: string }>;
  entitlements: Array<{ serviceId: string; offerId: string; from: string; until: string | null; source: { kind: string; id: string } }>;
  ledger: { year: number; total: string; pendingLines: number; lines: number };
}

export function CommunePage({ insee, session }: { insee: string; session: Session }) {
  const [commune, reload] = useRead(() => api.GET('/api/communes/{insee}', { params: { path: { insee } } }), [insee]);
  const view = commune.data as CommuneView | undefined;
  const admin = session.role === 'admin';
  return (
    <section aria-labelledby="commune-title">
      <h1 id="commune-title">{view ? `${view.communeName} (${insee})` : `Commune ${insee}`}</h1>
      <ProblemBanner problem={commune.problem} />
      {view && (
        <>
          <h2>Conventions</h2>
          {view.conventions.length === 0 && <p>Aucune convention signée.</p>}
          {view.conventions.map((c) => (
            <Convention key={c.conventionId} id={c.conventionId} admin={admin} onChange={reload} />
          ))}
          <h2>Conventions antérieures</h2>
          <ul>
            {view.legacyConventions.map((l) => (
              <li key={`${l.serviceId}-${l.year}`}>
                {l.serviceId} / {l.offerId}, {l.year}
                {l.annualContribution ? ` : ${l.annualContribution} €` : ''}
              </li>
            ))}
            {view.legacyConventions.length === 0 && <li>Aucune.</li>}
          </ul>
          <h2>Populations</h2>
          <ul id="populations">
            {view.populations.map((p) => (
              <li key={p.effectiveDate}>
                {p.population.toLocaleString('fr-FR')} habitants au {p.effectiveDate} ({p.source})
              </li>
            ))}
            {view.populations.length === 0 && <li>Aucune.</li>}
          </ul>
          <h2>Droits d'accès en vigueur aujourd'hui</h2>
          <ul>
            {view.entitlements.map((e) => (
              <li key={`${e.serviceId}-${e.from}`}>
                {e.serviceId} / {e.offerId} du {e.from} {e.until ? `au ${e.until}` : ''} (
                {e.source.kind === 'convention' ? `convention ${e.source.id}` : 'convention antérieure'})
              </li>
            ))}
            {view.entitlements.length === 0 && <li>Aucun.</li>}
          </ul>
          <p>
            Registre {view.ledger.year} : {view.ledger.total} € sur {view.ledger.lines} ligne(s), {view.ledger.pendingLines} en attente.{' '}
            <a href={`/registre?annee=${view.ledger.year}&commune=${insee}`}>Voir le registre expliqué</a>
          </p>
        </>
      )}
      <TimeTravel insee={insee} />
      {admin && (
        <div class="forms">
          <h2>Enregistrer une décision</h2>
          {view && view.conventions.every((c) => c.status !== 'active') && (
            <SignForm insee={insee} name={view.communeName} onDone={reload} />
          )}
          <CommandForm
            id="population"
            title="Enregistrer une population légale"
            fields={[
              { name: 'population', label: 'Population', type: 'number', required: true },
              { name: 'effectiveDate', label: "Date d'entrée en vigueur", type: 'date', required: true },
              { name: 'source', label: 'Source', required: true, value: 'INSEE, populations légales' },
              ...REASON,
            ]}
            onSubmit={async (v, _f, key) => {
              const result = await api.POST('/api/reference/populations', {
                params: { header: { 'Idempotency-Key': key } },
                body: {
                  communeInsee: insee,
                  population: Number(v.population),
                  effectiveDate: v.effectiveDate,
                  source: v.source,
                  ...audit(v),
                },
              });
              if (result.response.ok) reload();
              return answerOf(result, 'Population enregistrée.');
            }}
          />
          <CommandForm
            id="legacy"
            title="Enregistrer une convention antérieure"
            fields={[
              { name: 'serviceId', label: 'Service', required: true },
              { name: 'offerId', label: 'Offre', required: true },
              { name: 'year', label: 'Année', type: 'number', required: true },
              { name: 'annualContribution', label: 'Contribution annuelle (€, ex. 1200.00)' },
              { name: 'startDate', label: 'Début', type: 'date' },
              ...REASON,
            ]}
            onSubmit={async (v, _f, key) => {
              const result = await api.POST('/api/legacy-conventions', {
                params: { header: { 'Idempotency-Key': key } },
                body: {
                  communeInsee: insee,
                  communeName: view?.communeName ?? insee,
                  serviceId: v.serviceId,
                  offerId: v.offerId,
                  year: Number(v.year),
                  ...(v.annualContribution ? { annualContribution: v.annualContribution } : {}),
                  ...(v.startDate ? { startDate: v.startDate } : {}),
                  ...audit(v),
                },
              });
              if (result.response.ok) reload();
              return answerOf(result, 'Convention antérieure enregistrée.');
            }}
          />
        </div>
      )}
    </section>
  );
}

function SignForm({ insee, name, onDone }: { insee: string; name: string; onDone: () => void }) {
  const [annexes, setAnnexes] = useState(2);
  const year = new Date().getFullYear() + 1;
  return (
    <CommandForm
      id="sign"
      title="Signer la convention"
      submitLabel="Signer"
      fields={[
        { name: 'communeName', label: 'Nom de la commune', required: true, value: name },
        { name: 'signedOn', label: 'Signée le', type: 'date', required: true, value: today() },
        { name: 'effectiveFrom', label: 'Prend effet le', type: 'date', required: true, value: `${year}-01-01` },
        ...REASON,
      ]}
      onSubmit={async (v, form, key): Promise<Answer> => {
        const list = Array.from({ length: annexes }, (_, i) => ({
          serviceId: textOf(form, `annex-${i}-service`),
          offerId: textOf(form, `annex-${i}-offer`),
          effectiveFrom: textOf(form, `annex-${i}-from`) || v.effectiveFrom,
        })).filter((a) => a.serviceId !== '');
        const result = await api.POST('/api/conventions', {
          params: { header: { 'Idempotency-Key': key } },
          body: {
            communeInsee: insee,
            communeName: v.communeName,
            signedOn: v.signedOn,
            effectiveFrom: v.effectiveFrom,
            annexes: list,
            ...audit(v),
          },
        });
        if (result.response.ok) onDone();
        return answerOf(result, `Convention signée (${(result.data as { conventionId?: string } | undefined)?.conventionId ?? ''}).`);
      }}
    >
      <fieldset>
        <legend>Annexes (services et offres)</legend>
        {Array.from({ length: annexes }, (_, i) => (
          <div class="annex" key={i}>
            <label for={`sign-annex-${i}-service`}>Service n° {i + 1}</label>
            <input id={`sign-annex-${i}-service`} name={`annex-${i}-service`} defaultValue={['toodego', 'laclasse'][i] ?? ''} />
            <label for={`sign-annex-${i}-offer`}>Offre n° {i + 1}</label>
            <input id={`sign-annex-${i}-offer`} name={`annex-${i}-offer`} defaultValue={['partenaire', 'standard'][i] ?? ''} />
            <label for={`sign-annex-${i}-from`}>À partir du (défaut : prise d'effet)</label>
            <input id={`sign-annex-${i}-from`} name={`annex-${i}-from`} type="date" />
          </div>
        ))}
        <button type="button" onClick={() => setAnnexes((n) => n + 1)}>
          Ajouter une annexe
        </button>
      </fieldset>
    </CommandForm>
  );
}

/** One convention with its version: every command on it sends If-Match from the version this page read. */
function Convention({ id, admin, onChange }: { id: string; admin: boolean; onChange: () => void }) {
  const [state, reload] = useRead(async () => {
    const result = await api.GET('/api/conventions/{id}', { params: { path: { id } } });
    return {
      ...result,
      data: result.data ? { view: result.data as unknown as ConventionItem, etag: result.response.headers.get('ETag') ?? '' } : undefined,
    };
  }, [id]);
  const c = state.data?.view;
  const etag = state.data?.etag ?? '';
  const done = (result: { error?: unknown; response: Response }, message: string) => {
    if (result.response.ok) {
      reload();
      onChange();
    }
    return answerOf(result, message);
  };
  const headers = (key: string) => ({ 'Idempotency-Key': key, 'If-Match': etag });
  if (!c) return <ProblemBanner problem={state.problem} />;
  return (
    <article class="convention" aria-labelledby={`conv-${id}`}>
      <h3 id={`conv-${id}`}>
        Convention {c.conventionId} — {c.status === 'active' ? 'en cours' : 'terminée'} <small>(version {etag})</small>
      </h3>
      <p>
        Signée le {c.signedOn}, en vigueur depuis le {c.effectiveFrom}. <a href={`/conventions/${id}/historique`}>Historique (audit)</a>
      </p>
      <table>
        <caption>Périodes</caption>
        <thead>
          <tr>
            <th scope="col">N°</th>
            <th scope="col">Début</th>
            <th scope="col">Fin</th>
          </tr>
        </thead>
        <tbody>
          {c.periods.map((p) => (
            <tr key={p.number}>
              <td>{p.number}</td>
              <td>{p.start}</td>
              <td>{p.end}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>Annexes et offres</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Offres</th>
            <th scope="col">Du</th>
            <th scope="col">Au</th>
          </tr>
        </thead>
        <tbody>
          {c.annexes.map((a) => (
            <tr key={a.serviceId}>
              <td>{a.serviceId}</td>
              <td>{a.offers.map((o) => `${o.offerId} (${o.from} → ${o.until ?? '…'})`).join(', ')}</td>
              <td>{a.from}</td>
              <td>{a.until ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {admin && c.status === 'active' && (
        <details>
          <summary>Décisions sur cette convention</summary>
          <CommandForm
            id={`offer-${id}`}
            title="Changer d'offre"
            fields={[
              { name: 'serviceId', label: 'Service', required: true },
              { name: 'offerId', label: 'Nouvelle offre', required: true },
              { name: 'effectiveFrom', label: 'À partir du', type: 'date', required: true },
              ...REASON,
            ]}
            onSubmit={async (v, _f, key) =>
              done(
                await api.POST('/api/conventions/{id}/annexes/{serviceId}/offer-change', {
                  params: { path: { id, serviceId: v.serviceId ?? '' }, header: headers(key) },
                  body: { offerId: v.offerId, effectiveFrom: v.effectiveFrom, ...audit(v) },
                }),
                "Changement d'offre enregistré.",
              )
            }
          />
          <CommandForm
            id={`stop-${id}`}
            title="Arrêter un service"
            fields={[
              { name: 'serviceId', label: 'Service', required: true },
              { name: 'effectiveOn', label: 'Arrêt le', type: 'date', required: true },
              { name: 'reason', label: 'Motif', required: true },
              { name: 'legalReference', label: 'Référence juridique' },
            ]}
            onSubmit={async (v, _f, key) =>
              done(
                await api.POST('/api/conventions/{id}/annexes/{serviceId}/stop', {
                  params: { path: { id, serviceId: v.serviceId ?? '' }, header: headers(key) },
                  body: { effectiveOn: v.effectiveOn, reason: v.reason, ...(v.legalReference ? { legalReference: v.legalReference } : {}) },
                }),
                'Arrêt du service enregistré.',
              )
            }
          />
          <CommandForm
            id={`annex-${id}`}
            title="Ajouter une annexe"
            fields={[
              { name: 'serviceId', label: 'Service', required: true },
              { name: 'offerId', label: 'Offre', required: true },
              { name: 'effectiveFrom', label: 'À partir du', type: 'date', required: true },
              ...REASON,
            ]}
            onSubmit={async (v, _f, key) =>
              done(
                await api.POST('/api/conventions/{id}/annexes', {
                  params: { path: { id }, header: headers(key) },
                  body: { serviceId: v.serviceId, offerId: v.offerId, effectiveFrom: v.effectiveFrom, ...audit(v) },
                }),
                'Annexe ajoutée.',
              )
            }
          />
          <ByForm id={id} kind="non-renewal" headers={headers} done={done} />
          <ByForm id={id} kind="termination" headers={headers} done={done} />
        </details>
      )}
    </article>
  );
}

function ByForm({
  id,
  kind,
  headers,
  done,
}: {
  id: string;
  kind: 'non-renewal' | 'termination';
  headers: (key: string) => Record<string, string>;
  done: (result: { error?: unknown; response: Response }, message: string) => Answer;
}) {
  const dateField = kind === 'non-renewal' ? 'notifiedOn' : 'effectiveOn';
  return (
    <CommandForm
      id={`${kind}-${id}`}
      title={kind === 'non-renewal' ? 'Notifier une non-reconduction' : 'Résilier la convention'}
      fields={[
        { name: dateField, label: kind === 'non-renewal' ? 'Notifiée le' : 'Prend effet le', type: 'date', required: true },
        { name: 'by', label: 'À l’initiative de (commune ou metropole)', required: true, value: 'metropole' },
        { name: 'reason', label: 'Motif', required: true },
        { name: 'legalReference', label: 'Référence juridique' },
      ]}
      onSubmit={async (v, _f, key) => {
        const body = {
          reason: v.reason,
          by: v.by as 'commune' | 'metropole',
          ...(v.legalReference ? { legalReference: v.legalReference } : {}),
        };
        const result =
          kind === 'non-renewal'
            ? await api.POST('/api/conventions/{id}/non-renewal', {
                params: { path: { id }, header: headers(key) },
                body: { ...body, notifiedOn: v.notifiedOn },
              })
            : await api.POST('/api/conventions/{id}/termination', {
                params: { path: { id }, header: headers(key) },
                body: { ...body, effectiveOn: v.effectiveOn },
              });
        return done(result, kind === 'non-renewal' ? 'Non-reconduction enregistrée.' : 'Résiliation enregistrée.');
      }}
    />
  );
}

/** What the lifecycle will do next: periods ending soon renew tacitly unless a non-renewal is notified before their end (R-CONV-4, R-CONV-5). */
export function LifecyclePage() {
  const [before, setBefore] = useState(() => new Date(Date.now() + 400 * 86400000).toISOString().slice(0, 10));
  const [list] = useRead(() => api.GET('/api/conventions', { params: { query: { expiringBefore: before } } }), [before]);
  const items = (list.data?.items ?? []) as unknown as Array<ConventionItem & { communeName: string; currentPeriodEnd: string }>;
  return (
    <section aria-labelledby="cycle-title">
      <h1 id="cycle-title">Échéances à venir</h1>
      <div class="field">
        <label for="cycle-before">Périodes se terminant avant le</label>
        <input id="cycle-before" type="date" value={before} onChange={(e) => setBefore((e.target as HTMLInputElement).value)} />
      </div>
      <ProblemBanner problem={list.problem} />
      <table>
        <caption>Conventions dont la période en cours se termine avant le {before}</caption>
        <thead>
          <tr>
            <th scope="col">Convention</th>
            <th scope="col">Commune</th>
            <th scope="col">Fin de période</th>
            <th scope="col">Ce qui se passera</th>
            <th scope="col">Non-reconduction possible jusqu'au</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => {
            const renewals = c.periods.length - 1;
            // Six years at most: after the fifth renewal the convention expires (R-CONV-4).
            const next = renewals >= 5 ? 'expiration (durée maximale de six ans)' : `reconduction tacite n° ${renewals + 1}`;
            return (
              <tr key={c.conventionId}>
                <td>{c.conventionId}</td>
                <td>{c.communeName}</td>
                <td>{c.currentPeriodEnd}</td>
                <td>{next}</td>
                <td>{renewals >= 5 ? '—' : c.currentPeriodEnd}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

/** Reference facts and the catalogue: Syntec values, services, offers. */
export function CataloguePage() {
  const [catalogue, reload] = useRead(() => api.GET('/api/catalogue'), []);
  const services = (catalogue.data?.services ?? []) as Array<{
    serviceId: string;
    name: string;
    offers: Array<{ offerId: string; status?: string }>;
  }>;
  return (
    <section aria-labelledby="catalogue-title">
      <h1 id="catalogue-title">Catalogue et référentiels</h1>
      <ProblemBanner problem={catalogue.problem} />
      <ul>
        {services.map((s) => (
          <li key={s.serviceId}>
            {s.name} ({s.serviceId}) : {s.offers.map((o) => o.offerId).join(', ')}
          </li>
        ))}
      </ul>
      <div class="forms">
        <CommandForm
          id="syntec"
          title="Enregistrer un indice Syntec"
          fields={[
            { name: 'period', label: 'Mois (AAAA-MM)', required: true, hint: 'par exemple 2025-08' },
            { name: 'value', label: 'Valeur', required: true },
            { name: 'publishedOn', label: 'Publié le', type: 'date', required: true },
            ...REASON,
          ]}
          onSubmit={async (v, _f, key) =>
            answerOf(
              await api.POST('/api/reference/syntec', {
                params: { header: { 'Idempotency-Key': key } },
                body: { period: v.period, value: v.value, publishedOn: v.publishedOn, ...audit(v) },
              }),
              'Indice enregistré.',
            )
          }
        />
        <CommandForm
          id="open-offer"
          title="Ouvrir une offre"
          fields={[
            { name: 'serviceId', label: 'Service', required: true },
            { name: 'offerId', label: 'Offre', required: true },
            { name: 'openedOn', label: 'Ouverte le', type: 'date', required: true },
            { name: 'legalReference', label: 'Délibération', required: true },
            { name: 'reason', label: 'Motif' },
          ]}
          onSubmit={async (v, _f, key) => {
            const result = await api.POST('/api/catalogue/services/{serviceId}/offers/{offerId}/open', {
              params: { path: { serviceId: v.serviceId ?? '', offerId: v.offerId ?? '' }, header: { 'Idempotency-Key': key } },
              body: { openedOn: v.openedOn, legalReference: v.legalReference, ...opt(v.reason) },
            });
            if (result.response.ok) reload();
            return answerOf(result, 'Offre ouverte.');
          }}
        />
        <CommandForm
          id="add-service"
          title="Ajouter un service au catalogue (gratuit)"
          fields={[
            { name: 'serviceId', label: 'Identifiant du service', required: true },
            { name: 'name', label: 'Nom', required: true },
            { name: 'offerId', label: 'Première offre', required: true, value: 'standard' },
            { name: 'effectiveFrom', label: 'À partir du', type: 'date' },
            { name: 'legalReference', label: 'Délibération', required: true },
            { name: 'reason', label: 'Motif' },
          ]}
          onSubmit={async (v, _f, key) => {
            const result = await api.POST('/api/catalogue/services', {
              params: { header: { 'Idempotency-Key': key } },
              body: {
                serviceId: v.serviceId,
                name: v.name,
                legalReference: v.legalReference,
                ...(v.effectiveFrom ? { effectiveFrom: v.effectiveFrom } : {}),
                offers: [{ offerId: v.offerId, feeSchedule: { kind: 'free' } }],
                ...opt(v.reason),
              } as never,
            });
            if (result.response.ok) reload();
            return answerOf(result, 'Service ajouté.');
          }}
        />
      </div>
    </section>
  );
}
