import { addDays as addCalendarDays, calendarDate } from '@lib/domain/shared/calendar-date';
import type { TestApp } from './app';
import { bearer } from './app';

/** A small seeded PRNG (mulberry32): the same seed gives the same run, so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Dates travel as plain strings here. */
const addDays = (date: string, days: number): string => addCalendarDays(calendarDate(date), days);

const COMMUNES: ReadonlyArray<[string, string]> = [
  ['69123', 'Lyon'],
  ['69266', 'Villeurbanne'],
  ['69029', 'Bron'],
  ['69259', 'Vénissieux'],
  ['69290', 'Saint-Priest'],
  ['69256', 'Vaulx-en-Velin'],
  ['69034', 'Caluire-et-Cuire'],
  ['69149', 'Oullins-Pierre-Bénite'],
];
const OFFERS: Record<string, string[]> = { toodego: ['partenaire', 'connecte'], laclasse: ['standard'] };

interface Convention {
  id: string;
  /** Commands on it use dates after this one, so that most are accepted (R-CONV-6, R-ANX-1). */
  cursor: string;
  annexes: Map<string, string>;
  active: boolean;
}

export interface ScenarioResult {
  commands: number;
  accepted: number;
  /** The position of the last accepted command. */
  lastPosition: string;
  conventionIds: string[];
}

/**
 * Random but mostly valid commands through the API, as an operator would send them: legacy conventions,
 * signatures with annexes, annexes added, offer changes, services stopped, non-renewals, terminations,
 * lifecycle runs. A command the rules refuse (409/422: the generator does not know every rule) records
 * nothing and is fine; any other answer fails the run.
 */
export async function runCommandScenario(app: TestApp, random: () => number, count: number, pauseMs = 15): Promise<ScenarioResult> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const days = (max: number) => 1 + Math.floor(random() * max);
  const conventions = new Map<string, Convention>();
  const legacies = new Set<string>();
  const result: ScenarioResult = { commands: 0, accepted: 0, lastPosition: '0', conventionIds: [] };
  let lifecycleAsOf = '2026-06-01';

  const send = async (path: string, body: object): Promise<boolean> => {
    const response = await app.http.post(path).set(bearer(app.tokens.admin)).send(body);
    result.commands += 1;
    if (![200, 201, 409, 422].includes(response.status))
      throw new Error(`${path} ${JSON.stringify(body)} answered ${response.status}: ${JSON.stringify(response.body)}`);
    if (response.status >= 300) return false;
    result.accepted += 1;
    if (response.body.position) result.lastPosition = response.body.position;
    return true;
  };

  for (let i = 0; i < count; i++) {
    const [insee, name] = pick(COMMUNES);
    const convention = conventions.get(insee);
    const roll = random();
    if (!convention && roll < 0.2) {
      const serviceId = pick(Object.keys(OFFERS));
      if (
        !legacies.has(`${insee}/${serviceId}`) &&
        (await send('/api/legacy-conventions', {
          communeInsee: insee,
          communeName: name,
          serviceId,
          offerId: OFFERS[serviceId][0],
          annualContribution: '1000.00',
          year: 2025,
          startDate: random() < 0.5 ? null : '2020-09-01',
        }))
      )
        legacies.add(`${insee}/${serviceId}`);
    } else if (!convention || !convention.active) {
      const number = convention ? Number(convention.id.split('-')[1]) + 1 : 1;
      const effectiveFrom = convention
        ? addDays(convention.cursor, days(30))
        : pick(['2025-12-01', '2026-01-01', '2026-02-01', '2026-03-01']);
      const signedOn = addDays(effectiveFrom, -days(20));
      const annexes = Object.keys(OFFERS)
        .filter(() => random() < 0.7)
        .map((serviceId) => ({ serviceId, offerId: pick(OFFERS[serviceId]), effectiveFrom }));
      const body = { communeInsee: insee, communeName: name, signedOn, effectiveFrom, annexes };
      if (await send('/api/conventions', body)) {
        const id = `${insee}-${number}`;
        conventions.set(insee, { id, cursor: effectiveFrom, annexes: new Map(annexes.map((a) => [a.serviceId, a.offerId])), active: true });
        result.conventionIds.push(id);
      }
    } else if (roll < 0.3) {
      const free = Object.keys(OFFERS).filter((serviceId) => !convention.annexes.has(serviceId));
      if (free.length === 0) continue;
      const serviceId = pick(free);
      const offerId = pick(OFFERS[serviceId]);
      const effectiveFrom = addDays(convention.cursor, days(40));
      if (await send(`/api/conventions/${convention.id}/annexes`, { serviceId, offerId, effectiveFrom })) {
        convention.annexes.set(serviceId, offerId);
        convention.cursor = effectiveFrom;
      }
    } else if (roll < 0.5) {
      const offerId = convention.annexes.get('toodego');
      if (!offerId) continue;
      const next = offerId === 'partenaire' ? 'connecte' : 'partenaire';
      const effectiveFrom = addDays(convention.cursor, days(40));
      if (await send(`/api/conventions/${convention.id}/annexes/toodego/offer-change`, { offerId: next, effectiveFrom })) {
        convention.annexes.set('toodego', next);
        convention.cursor = effectiveFrom;
      }
    } else if (roll < 0.65) {
      if (convention.annexes.size === 0) continue;
      const serviceId = pick([...convention.annexes.keys()]);
      const effectiveOn = addDays(convention.cursor, days(40));
      if (await send(`/api/conventions/${convention.id}/annexes/${serviceId}/stop`, { effectiveOn, reason: 'Arrêt (test)' })) {
        convention.annexes.delete(serviceId);
        convention.cursor = effectiveOn;
      }
    } else if (roll < 0.75) {
      const notifiedOn = addDays(convention.cursor, days(20));
      if (
        await send(`/api/conventions/${convention.id}/non-renewal`, {
          notifiedOn,
          by: pick(['commune', 'metropole']),
          reason: 'Non reconduction (test)',
        })
      )
        convention.cursor = notifiedOn;
    } else if (roll < 0.85) {
      const effectiveOn = addDays(convention.cursor, days(40));
      if (
        await send(`/api/conventions/${convention.id}/termination`, {
          effectiveOn,
          by: pick(['commune', 'metropole']),
          reason: 'Résiliation (test)',
        })
      )
        convention.active = false;
    } else {
      // Renewals, expiries and legacy ends up to a later date each time (R-CONV-4, R-CONV-5, R-LEG-3).
      lifecycleAsOf = addDays(lifecycleAsOf, 60 + days(120));
      await send('/api/lifecycle/run', { asOf: lifecycleAsOf });
      // Expiries are not tracked here: a later command on an expired convention is refused (R-CONV-8), which is fine.
    }
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * pauseMs)));
  }
  return result;
}
