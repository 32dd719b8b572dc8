import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import {
  CommandContext,
  CommandRefusedError,
  CommuneCommandHandler,
  ConventionCommandHandler,
  ExecuteCommuneCommand,
  ExecuteConventionCommand,
  SignConventionCommand,
  SignConventionHandler,
  loadCommuneConventions,
} from '@lib/application';
import { CATALOGUE_STREAM, emptyCatalogue, initialCatalogueEvents } from '@lib/domain/catalogue';
import { CommuneCommand } from '@lib/domain/reference';
import { CalendarDate, addDays } from '@lib/domain/shared/calendar-date';
import { EventStore } from '@lib/event-store/event-store.port';

/**
 * Random sequences of commands for property tests of read models: legacy conventions, signatures with
 * annexes, annexes, stops, offer changes, non-renewals, terminations and lifecycle runs over a few
 * communes, with dates drawn relative to the current state so that most are accepted. They go through
 * the application's handlers: what the deciders refuse records nothing, as in production.
 */
export const COMMAND_BASE = '2025-06-01' as CalendarDate;
export const COMMAND_CONTEXT: CommandContext = {
  actor: { id: 'property', role: 'admin' },
  commandId: 'c',
  correlationId: 'c',
  idempotent: false,
};

/** abonne is not open (R-CAT-3): drawn now and then, to be refused. */
const offerOf = (serviceId: string, pick: number) =>
  serviceId === 'laclasse' ? 'standard' : ['partenaire', 'connecte', 'partenaire', 'connecte', 'abonne'][pick % 5];
const offset = (max: number) => fc.integer({ min: 0, max });

export type CommandAction =
  | { kind: 'legacy'; commune: string; service: string; pick: number; start: number | null }
  | { kind: 'sign'; commune: string; signed: number; effective: number; annexes: Array<{ service: string; pick: number; offset: number }> }
  | { kind: 'annex'; commune: string; service: string; pick: number; offset: number }
  | { kind: 'stop'; commune: string; service: string; offset: number }
  | { kind: 'change'; commune: string; service: string; pick: number; offset: number }
  | { kind: 'nonRenewal'; commune: string; offset: number }
  | { kind: 'terminate'; commune: string; offset: number }
  | { kind: 'lifecycle'; asOf: number };

/** Weighted towards what a convention's life is made of. */
export function commandAction(communes: readonly string[]): fc.Arbitrary<CommandAction> {
  const commune = fc.constantFrom(...communes);
  const service = fc.constantFrom('toodego', 'laclasse');
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('legacy' as const), commune, service, pick: offset(4), start: fc.option(offset(300)) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('sign' as const),
        commune,
        signed: offset(400),
        effective: fc.integer({ min: -60, max: 90 }),
        annexes: fc.array(fc.record({ service, pick: offset(4), offset: offset(60) }), { maxLength: 2 }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('annex' as const), commune, service, pick: offset(4), offset: offset(120) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('stop' as const), commune, service, offset: offset(200) }) },
    // Only toodego has several offers.
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('change' as const),
        commune,
        service: fc.constant('toodego'),
        pick: offset(4),
        offset: offset(200),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('nonRenewal' as const), commune, offset: offset(400) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('terminate' as const), commune, offset: offset(200) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('lifecycle' as const), asOf: offset(1500) }) },
  );
}

/** The catalogue of CP-2025-4074, as the API seeds it. */
export async function seedCatalogue(store: EventStore): Promise<void> {
  const catalogue = initialCatalogueEvents(emptyCatalogue());
  await store.appendToStream(
    CATALOGUE_STREAM,
    catalogue.map((event) => ({ id: randomUUID(), type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: {} })),
  );
}

/** Sends one command through the application's handlers; a refusal records nothing, as in production. */
export async function performAction(store: EventStore, next: CommandAction, communes: readonly string[]): Promise<void> {
  const conventionHandler = new ConventionCommandHandler(store);
  const communeHandler = new CommuneCommandHandler(store);
  const sign = (data: SignConventionCommand['data']) =>
    new SignConventionHandler(store).execute(new SignConventionCommand(data, { ...COMMAND_CONTEXT, commandId: randomUUID() }));
  const convention = (command: ExecuteConventionCommand['command']) =>
    conventionHandler.execute(new ExecuteConventionCommand(command, { ...COMMAND_CONTEXT, commandId: randomUUID() }));
  const communeCommand = (command: CommuneCommand) =>
    communeHandler.execute(new ExecuteCommuneCommand(command, { ...COMMAND_CONTEXT, commandId: randomUUID() }));
  try {
    if (next.kind === 'lifecycle') {
      const asOf = addDays(COMMAND_BASE, next.asOf);
      for (const insee of communes) {
        for (const state of (await loadCommuneConventions(store, insee)).states)
          if (state.status !== 'none') await convention({ type: 'RunLifecycle', data: { conventionId: state.conventionId, asOf } });
        await communeCommand({ type: 'RunLegacyTransition', data: { communeInsee: insee, asOf } });
      }
      return;
    }
    if (next.kind === 'legacy') {
      await communeCommand({
        type: 'RecordLegacyConvention',
        data: {
          communeInsee: next.commune,
          communeName: `Commune ${next.commune}`,
          serviceId: next.service,
          offerId: offerOf(next.service, next.pick),
          year: 2025,
          annualContribution: '1000.00',
          startDate: next.start === null ? null : addDays('2019-01-01' as CalendarDate, next.start * 5),
          reason: 'Correction',
        },
      });
      return;
    }
    const conventions = await loadCommuneConventions(store, next.commune);
    if (next.kind === 'sign') {
      const signedOn = addDays(COMMAND_BASE, next.signed);
      const effectiveFrom = addDays(signedOn, next.effective);
      await sign({
        communeInsee: next.commune,
        communeName: `Commune ${next.commune}`,
        signedOn,
        effectiveFrom,
        annexes: next.annexes.map((annex) => ({
          serviceId: annex.service,
          offerId: offerOf(annex.service, annex.pick),
          effectiveFrom: addDays(effectiveFrom, annex.offset),
        })),
      });
      return;
    }
    const latest = conventions.states.at(-1);
    if (!latest || latest.status === 'none') return;
    const conventionId = latest.conventionId;
    const annexes = 'service' in next ? latest.annexes.filter((annex) => annex.serviceId === next.service) : [];
    const running = annexes.find((annex) => annex.until === null);
    const currentOffer = running?.offers.at(-1);
    const period = latest.periods.at(-1)!;
    switch (next.kind) {
      case 'annex': {
        // After the service's last annex period, if it has one.
        const ended = annexes
          .map((annex) => annex.until)
          .filter((until): until is CalendarDate => until !== null)
          .sort()
          .at(-1);
        const from = ended && ended >= latest.effectiveFrom ? addDays(ended, 1) : latest.effectiveFrom;
        await convention({
          type: 'AddAnnex',
          data: {
            conventionId,
            serviceId: next.service,
            offerId: offerOf(next.service, next.pick),
            effectiveFrom: addDays(from, next.offset),
          },
        });
        break;
      }
      case 'stop':
        await convention({
          type: 'StopService',
          data: {
            conventionId,
            serviceId: next.service,
            effectiveOn: addDays(currentOffer?.from ?? latest.effectiveFrom, next.offset),
            reason: 'stop',
          },
        });
        break;
      case 'change': {
        // Another offer than the current one, now and then one that is not open.
        const offerId = next.pick === 4 ? 'abonne' : currentOffer?.offerId === 'partenaire' ? 'connecte' : 'partenaire';
        await convention({
          type: 'ChangeOffer',
          data: {
            conventionId,
            serviceId: next.service,
            offerId,
            effectiveFrom: addDays(currentOffer?.from ?? latest.effectiveFrom, 1 + next.offset),
          },
        });
        break;
      }
      case 'nonRenewal':
        await convention({
          type: 'NotifyNonRenewal',
          data: { conventionId, notifiedOn: addDays(period.start, next.offset), by: 'commune', reason: 'notice' },
        });
        break;
      case 'terminate':
        await convention({
          type: 'TerminateConvention',
          data: { conventionId, effectiveOn: addDays(latest.latestEffectiveDate, next.offset), by: 'metropole', reason: 'end' },
        });
        break;
    }
  } catch (error) {
    if (!(error instanceof CommandRefusedError)) throw error;
  }
}
