/**
 * Event and command builders for tests. Defaults describe one plausible convention (Lyon, signed in
 * November 2025, in force from 1 January 2026); every derived value (period ends, last days) is
 * written by hand here or passed by the test, never computed by the code under test.
 * Every builder takes one options object. A command builder is built from its event builder (or from
 * the part they share), without what the decider computes, so that each default is written once.
 */
import { CalendarDate, calendarDate } from '../shared/calendar-date';
import { MoneyString, money } from '../shared/money';
import { FeeSchedule } from '../fees/fee-schedule';
import { AddServiceToCatalogue, OpenOffer, ReplaceFeeSchedule } from '../catalogue/catalogue.commands';
import { CatalogueEvent, FeeScheduleReplaced, OfferAtEntry, OfferOpened, ServiceEnteredCatalogue } from '../catalogue/catalogue.events';
import {
  AddAnnex,
  AnnexRequest,
  ChangeOffer,
  NotifyNonRenewal,
  RunLifecycle,
  SignConvention,
  StopService,
  TerminateConvention,
} from '../convention/convention.commands';
import {
  AnnexAdded,
  ConventionExpired,
  ConventionRenewed,
  ConventionSigned,
  ConventionTerminated,
  ExpiryReason,
  NonRenewalNotified,
  OfferChanged,
  Party,
  ServiceStopped,
} from '../convention/convention.events';
import { RecordLegacyConvention, RecordPopulation, RunLegacyTransition } from '../reference/commune.commands';
import { LegacyAccessEnded, LegacyConventionRecorded, LegacyEndReason, PopulationRecorded } from '../reference/commune.events';
import { RecordSyntecIndex, SyntecIndexRecorded } from '../reference/syntec.events';

export const day = (text: string): CalendarDate => calendarDate(text);

export const LYON = { communeInsee: '69123', communeName: 'Lyon' } as const;
export const VILLEURBANNE = { communeInsee: '69266', communeName: 'Villeurbanne' } as const;

/** Ids have the production shape `<insee>-<n>` (conventionIdOf): Lyon's first convention. */
export const CONVENTION_ID = '69123-1';
/**
 * Another convention of Lyon, on its own stream. The deciders never read the number (the
 * application layer assigns it), so tests may give it as the earlier one.
 */
export const OTHER_CONVENTION_ID = '69123-2';
export const VILLEURBANNE_CONVENTION_ID = '69266-1';

// ---- catalogue -------------------------------------------------------------------------------

export const fixedPlusPerInhabitant = (options: { fixed: string; perInhabitant: string }): FeeSchedule => ({
  kind: 'fixed_plus_per_inhabitant',
  fixed: money(options.fixed),
  perInhabitant: options.perInhabitant,
  baseYear: 2025,
  indexation: 'syntec',
});

/** R-CAT-2, written out by hand from CP-2025-4074 §III (the data file is checked against it). */
export const catalogueOfCp2025_4074: CatalogueEvent[] = [
  {
    type: 'ServiceEnteredCatalogue',
    schemaVersion: 1,
    data: {
      serviceId: 'toodego',
      name: 'Toodego',
      legalReference: 'CP-2025-4074',
      effectiveFrom: day('2025-04-14'),
      offers: [
        {
          offerId: 'partenaire',
          name: 'Partenaire',
          open: true,
          feeSchedule: fixedPlusPerInhabitant({ fixed: '5000.00', perInhabitant: '0.20' }),
        },
        {
          offerId: 'connecte',
          name: 'Connecté',
          open: true,
          feeSchedule: fixedPlusPerInhabitant({ fixed: '5000.00', perInhabitant: '0.02' }),
        },
        {
          offerId: 'abonne',
          name: 'Abonné',
          open: false,
          feeSchedule: fixedPlusPerInhabitant({ fixed: '5000.00', perInhabitant: '0.20' }),
        },
      ],
    },
  },
  {
    type: 'ServiceEnteredCatalogue',
    schemaVersion: 1,
    data: {
      serviceId: 'laclasse',
      name: 'laclasse.com',
      legalReference: 'CP-2025-4074',
      effectiveFrom: day('2025-04-14'),
      offers: [
        {
          offerId: 'standard',
          name: 'Standard',
          open: true,
          feeSchedule: fixedPlusPerInhabitant({ fixed: '300.00', perInhabitant: '0.06' }),
        },
      ],
    },
  },
];

export function serviceEnteredCatalogue(data: Partial<ServiceEnteredCatalogue['data']> = {}): ServiceEnteredCatalogue {
  return {
    type: 'ServiceEnteredCatalogue',
    schemaVersion: 1,
    data: {
      serviceId: 'geonet',
      name: 'Géonet',
      legalReference: 'CP-2026-0001',
      effectiveFrom: day('2026-03-01'),
      offers: [{ offerId: 'standard', name: 'Standard', open: true, feeSchedule: { kind: 'free' } }],
      ...data,
    },
  };
}

export function addServiceToCatalogue(data: Partial<AddServiceToCatalogue['data']> = {}): AddServiceToCatalogue {
  return { type: 'AddServiceToCatalogue', data: { ...serviceEnteredCatalogue().data, ...data } };
}

/** The offer's name is its id. */
export const offerAtEntry = (options: { offerId: string; open: boolean; feeSchedule?: FeeSchedule }): OfferAtEntry => ({
  offerId: options.offerId,
  name: options.offerId,
  open: options.open,
  feeSchedule: options.feeSchedule ?? { kind: 'free' },
});

interface OpeningOptions {
  serviceId: string;
  offerId: string;
  openedOn: string;
  legalReference?: string;
}

export function offerOpened(options: OpeningOptions): OfferOpened {
  return {
    type: 'OfferOpened',
    schemaVersion: 1,
    data: {
      serviceId: options.serviceId,
      offerId: options.offerId,
      openedOn: day(options.openedOn),
      legalReference: options.legalReference ?? 'CP-2026-0042',
    },
  };
}

export function openOffer(options: OpeningOptions): OpenOffer {
  return { type: 'OpenOffer', data: offerOpened(options).data };
}

interface ReplacementOptions {
  serviceId: string;
  offerId: string;
  fromYear: number;
  feeSchedule: FeeSchedule;
  legalReference?: string;
}

export function feeScheduleReplaced(options: ReplacementOptions): FeeScheduleReplaced {
  const { serviceId, offerId, fromYear, feeSchedule } = options;
  return {
    type: 'FeeScheduleReplaced',
    schemaVersion: 1,
    data: { serviceId, offerId, fromYear, feeSchedule, legalReference: options.legalReference ?? 'CP-2027-0100' },
  };
}

export function replaceFeeSchedule(options: ReplacementOptions): ReplaceFeeSchedule {
  return { type: 'ReplaceFeeSchedule', data: feeScheduleReplaced(options).data };
}

// ---- convention ------------------------------------------------------------------------------

interface SignedOptions {
  conventionId?: string;
  communeInsee?: string;
  communeName?: string;
  signedOn?: string;
  legalReference?: string;
  /** With effectiveFrom, the test gives the first period's end, worked out by hand. */
  effectiveFrom?: string;
  initialPeriodEnd?: string;
}

/** What the signature and its command share; the event adds what the decider computes. */
function signature(options: Omit<SignedOptions, 'legalReference' | 'initialPeriodEnd'>) {
  return {
    conventionId: options.conventionId ?? CONVENTION_ID,
    communeInsee: options.communeInsee ?? LYON.communeInsee,
    communeName: options.communeName ?? LYON.communeName,
    signedOn: day(options.signedOn ?? '2025-11-15'),
    effectiveFrom: day(options.effectiveFrom ?? '2026-01-01'),
  };
}

export function conventionSigned(options: SignedOptions = {}): ConventionSigned {
  if (options.effectiveFrom !== undefined && options.initialPeriodEnd === undefined)
    throw new Error('conventionSigned: give initialPeriodEnd with effectiveFrom');
  const data = signature(options);
  return {
    type: 'ConventionSigned',
    schemaVersion: 1,
    data: {
      ...data,
      // The decider's default (FRAMEWORK_LEGAL_REFERENCE) when the command gives none.
      legalReference: options.legalReference ?? 'CP-2025-4074',
      initialPeriod: { start: data.effectiveFrom, end: day(options.initialPeriodEnd ?? '2026-12-31') },
    },
  };
}

/** The command carries a legal reference only when the test gives one: without it the decider picks its default. */
export function signConvention(
  options: Omit<SignedOptions, 'initialPeriodEnd'> & { annexes?: { serviceId: string; offerId: string; effectiveFrom: string }[] } = {},
): SignConvention {
  return {
    type: 'SignConvention',
    data: {
      ...signature(options),
      ...(options.legalReference !== undefined ? { legalReference: options.legalReference } : {}),
      ...(options.annexes
        ? { annexes: options.annexes.map((annex): AnnexRequest => ({ ...annex, effectiveFrom: day(annex.effectiveFrom) })) }
        : {}),
    },
  };
}

interface AnnexOptions {
  conventionId?: string;
  serviceId?: string;
  offerId?: string;
  effectiveFrom?: string;
}

export function annexAdded(options: AnnexOptions = {}): AnnexAdded {
  return {
    type: 'AnnexAdded',
    schemaVersion: 1,
    data: {
      conventionId: options.conventionId ?? CONVENTION_ID,
      serviceId: options.serviceId ?? 'toodego',
      offerId: options.offerId ?? 'partenaire',
      effectiveFrom: day(options.effectiveFrom ?? '2026-01-01'),
    },
  };
}

export function addAnnex(options: AnnexOptions = {}): AddAnnex {
  const { data } = annexAdded(options);
  return { type: 'AddAnnex', data };
}

interface StopOptions {
  conventionId?: string;
  serviceId?: string;
  offerId?: string;
  effectiveOn: string;
  reason?: string;
}

export function serviceStopped(options: StopOptions): ServiceStopped {
  return {
    type: 'ServiceStopped',
    schemaVersion: 1,
    data: {
      conventionId: options.conventionId ?? CONVENTION_ID,
      serviceId: options.serviceId ?? 'toodego',
      offerId: options.offerId ?? 'partenaire',
      effectiveOn: day(options.effectiveOn),
      reason: options.reason ?? 'La commune arrête le service',
    },
  };
}

export function stopService(options: Omit<StopOptions, 'offerId'>): StopService {
  const { offerId: _offerId, ...data } = serviceStopped(options).data;
  return { type: 'StopService', data };
}

interface ChangeOptions {
  conventionId?: string;
  serviceId?: string;
  previousOfferId?: string;
  offerId: string;
  effectiveFrom: string;
}

export function offerChanged(options: ChangeOptions): OfferChanged {
  return {
    type: 'OfferChanged',
    schemaVersion: 1,
    data: {
      conventionId: options.conventionId ?? CONVENTION_ID,
      serviceId: options.serviceId ?? 'toodego',
      previousOfferId: options.previousOfferId ?? 'partenaire',
      offerId: options.offerId,
      effectiveFrom: day(options.effectiveFrom),
    },
  };
}

export function changeOffer(options: Omit<ChangeOptions, 'previousOfferId'>): ChangeOffer {
  const { previousOfferId: _previous, ...data } = offerChanged(options).data;
  return { type: 'ChangeOffer', data };
}

interface NoticeOptions {
  conventionId?: string;
  notifiedOn: string;
  by?: Party;
  reason?: string;
}

/** The command's data; the event adds the period it applies to, which the decider computes. */
function notice(options: NoticeOptions): NotifyNonRenewal['data'] {
  return {
    conventionId: options.conventionId ?? CONVENTION_ID,
    notifiedOn: day(options.notifiedOn),
    by: options.by ?? 'commune',
    reason: options.reason ?? 'Délibération du conseil municipal',
  };
}

export function nonRenewalNotified(
  options: NoticeOptions & { appliesToPeriod: { number: number; start: string; end: string } },
): NonRenewalNotified {
  const { number, start, end } = options.appliesToPeriod;
  return {
    type: 'NonRenewalNotified',
    schemaVersion: 1,
    data: { ...notice(options), appliesToPeriod: { number, start: day(start), end: day(end) } },
  };
}

export function notifyNonRenewal(options: NoticeOptions): NotifyNonRenewal {
  return { type: 'NotifyNonRenewal', data: notice(options) };
}

interface TerminationOptions {
  conventionId?: string;
  effectiveOn: string;
  by?: Party;
  reason?: string;
}

/** The command's data; the event adds the last day, which the decider computes. */
function termination(options: TerminationOptions): TerminateConvention['data'] {
  return {
    conventionId: options.conventionId ?? CONVENTION_ID,
    effectiveOn: day(options.effectiveOn),
    by: options.by ?? 'metropole',
    reason: options.reason ?? 'Résiliation',
  };
}

export function conventionTerminated(options: TerminationOptions & { lastDay: string }): ConventionTerminated {
  return { type: 'ConventionTerminated', schemaVersion: 1, data: { ...termination(options), lastDay: day(options.lastDay) } };
}

export function terminateConvention(options: TerminationOptions): TerminateConvention {
  return { type: 'TerminateConvention', data: termination(options) };
}

export function conventionRenewed(options: {
  conventionId?: string;
  renewalNumber: number;
  start: string;
  end: string;
}): ConventionRenewed {
  return {
    type: 'ConventionRenewed',
    schemaVersion: 1,
    data: {
      conventionId: options.conventionId ?? CONVENTION_ID,
      renewalNumber: options.renewalNumber,
      period: { start: day(options.start), end: day(options.end) },
    },
  };
}

export function conventionExpired(options: { conventionId?: string; lastDay: string; reason: ExpiryReason }): ConventionExpired {
  return {
    type: 'ConventionExpired',
    schemaVersion: 1,
    data: { conventionId: options.conventionId ?? CONVENTION_ID, lastDay: day(options.lastDay), reason: options.reason },
  };
}

export function runLifecycle(options: { conventionId?: string; asOf: string }): RunLifecycle {
  return { type: 'RunLifecycle', data: { conventionId: options.conventionId ?? CONVENTION_ID, asOf: day(options.asOf) } };
}

// ---- reference facts -------------------------------------------------------------------------

interface PopulationOptions {
  communeInsee?: string;
  population: number;
  effectiveDate: string;
  source?: string;
}

export function populationRecorded(
  options: PopulationOptions & { corrects?: { population: number; source: string; reason: string } },
): PopulationRecorded {
  return {
    type: 'PopulationRecorded',
    schemaVersion: 1,
    data: {
      communeInsee: options.communeInsee ?? LYON.communeInsee,
      population: options.population,
      effectiveDate: day(options.effectiveDate),
      source: options.source ?? 'INSEE, populations légales',
      ...(options.corrects ? { corrects: options.corrects } : {}),
    },
  };
}

/** A correction's reason goes in the command; the decider writes what it corrects into the event. */
export function recordPopulation(options: PopulationOptions & { reason?: string }): RecordPopulation {
  const { corrects: _corrects, ...data } = populationRecorded(options).data;
  return { type: 'RecordPopulation', data: { ...data, ...(options.reason !== undefined ? { reason: options.reason } : {}) } };
}

interface SyntecOptions {
  period: string;
  value: string;
  publishedOn: string;
}

export function syntecIndexRecorded(
  options: SyntecOptions & { corrects?: { value: string; publishedOn: string; reason: string } },
): SyntecIndexRecorded {
  const { period, value, corrects } = options;
  return {
    type: 'SyntecIndexRecorded',
    schemaVersion: 1,
    data: {
      period,
      value,
      publishedOn: day(options.publishedOn),
      ...(corrects ? { corrects: { ...corrects, publishedOn: day(corrects.publishedOn) } } : {}),
    },
  };
}

export function recordSyntecIndex(options: SyntecOptions & { reason?: string }): RecordSyntecIndex {
  const { corrects: _corrects, ...data } = syntecIndexRecorded(options).data;
  return { type: 'RecordSyntecIndex', data: { ...data, ...(options.reason !== undefined ? { reason: options.reason } : {}) } };
}

interface LegacyOptions {
  communeInsee?: string;
  communeName?: string;
  serviceId?: string;
  offerId?: string;
  annualContribution?: string | null;
  year?: number;
  startDate?: string | null;
}

export function legacyConventionRecorded(
  options: LegacyOptions & {
    corrects?: { offerId: string; annualContribution: string | null; startDate: string | null; reason: string };
  } = {},
): LegacyConventionRecorded {
  const contribution = options.annualContribution === undefined ? '90000.00' : options.annualContribution;
  const corrects = options.corrects;
  return {
    type: 'LegacyConventionRecorded',
    schemaVersion: 1,
    data: {
      communeInsee: options.communeInsee ?? LYON.communeInsee,
      communeName: options.communeName ?? LYON.communeName,
      serviceId: options.serviceId ?? 'toodego',
      offerId: options.offerId ?? 'partenaire',
      annualContribution: contribution === null ? null : (contribution as MoneyString),
      year: options.year ?? 2025,
      startDate: options.startDate ? day(options.startDate) : null,
      ...(corrects
        ? {
            corrects: {
              offerId: corrects.offerId,
              annualContribution: corrects.annualContribution as MoneyString | null,
              startDate: corrects.startDate ? day(corrects.startDate) : null,
              reason: corrects.reason,
            },
          }
        : {}),
    },
  };
}

/** The command carries a start date only when the test gives one (the event always has one, null when unknown). */
export function recordLegacyConvention(options: LegacyOptions & { reason?: string } = {}): RecordLegacyConvention {
  const { corrects: _corrects, startDate, ...data } = legacyConventionRecorded(options).data;
  return {
    type: 'RecordLegacyConvention',
    data: {
      ...data,
      ...(options.startDate !== undefined ? { startDate } : {}),
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
    },
  };
}

export function legacyAccessEnded(options: {
  communeInsee?: string;
  serviceId?: string;
  lastDay: string;
  reason: LegacyEndReason;
  conventionId?: string | null;
  annexFrom?: string | null;
  corrects?: { lastDay: string; reason: LegacyEndReason; conventionId: string | null };
}): LegacyAccessEnded {
  return {
    type: 'LegacyAccessEnded',
    schemaVersion: 1,
    data: {
      communeInsee: options.communeInsee ?? LYON.communeInsee,
      serviceId: options.serviceId ?? 'toodego',
      lastDay: day(options.lastDay),
      reason: options.reason,
      conventionId: options.conventionId ?? null,
      annexFrom: options.annexFrom ? day(options.annexFrom) : null,
      ...(options.corrects ? { corrects: { ...options.corrects, lastDay: day(options.corrects.lastDay) } } : {}),
    },
  };
}

export function runLegacyTransition(options: { communeInsee?: string; asOf: string }): RunLegacyTransition {
  return { type: 'RunLegacyTransition', data: { communeInsee: options.communeInsee ?? LYON.communeInsee, asOf: day(options.asOf) } };
}
