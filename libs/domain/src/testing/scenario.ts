/**
 * Given / when / then for every decider of the domain. `given` takes facts of any stream, the way
 * they arise in production: catalogue events fill the catalogue, convention events the convention
 * under test, commune and Syntec events their streams; `anotherConvention(...)` is a convention of the
 * same commune on its own stream (R-CONV-1, R-LEG-2). `when` sends the command to its decider with the
 * context the application layer would build from those facts.
 */
import { fold } from '../shared/decider';
import { Refusal, isRefusal } from '../shared/refusal';
import { CatalogueCommand } from '../catalogue/catalogue.commands';
import { catalogueDecider } from '../catalogue/catalogue.decider';
import { CatalogueEvent, isCatalogueEvent } from '../catalogue/catalogue.events';
import { CatalogueState } from '../catalogue/catalogue.state';
import { ConventionCommand } from '../convention/convention.commands';
import { conventionDecider } from '../convention/convention.decider';
import { ConventionEvent, isConventionEvent } from '../convention/convention.events';
import { ConventionState, conventionSummary } from '../convention/convention.state';
import { CommuneCommand } from '../reference/commune.commands';
import { communeDecider } from '../reference/commune.decider';
import { CommuneEvent, isCommuneEvent } from '../reference/commune.events';
import { CommuneState } from '../reference/commune.state';
import { SyntecCommand, SyntecEvent } from '../reference/syntec.events';
import { SyntecState, syntecDecider } from '../reference/syntec.decider';

export type DomainEvent = CatalogueEvent | ConventionEvent | CommuneEvent | SyntecEvent;
export type DomainCommand = CatalogueCommand | ConventionCommand | CommuneCommand | SyntecCommand;

export interface AnotherConvention {
  readonly kind: 'anotherConvention';
  readonly events: readonly ConventionEvent[];
}

/** A convention of the commune on another stream (the commune index would list it). */
export const anotherConvention = (...events: ConventionEvent[]): AnotherConvention => ({ kind: 'anotherConvention', events });

export type Fact = DomainEvent | AnotherConvention | readonly Fact[];

type Decides = 'catalogue' | 'convention' | 'commune' | 'syntec';

/** Which decider takes each command: a new command does not compile until it is placed here. */
const DECIDER_OF: { readonly [K in DomainCommand['type']]: Decides } = {
  AddServiceToCatalogue: 'catalogue',
  OpenOffer: 'catalogue',
  ReplaceFeeSchedule: 'catalogue',
  SignConvention: 'convention',
  AddAnnex: 'convention',
  StopService: 'convention',
  ChangeOffer: 'convention',
  NotifyNonRenewal: 'convention',
  TerminateConvention: 'convention',
  RunLifecycle: 'convention',
  RecordPopulation: 'commune',
  RecordLegacyConvention: 'commune',
  RunLegacyTransition: 'commune',
  RecordSyntecIndex: 'syntec',
};

export class Given {
  readonly catalogueEvents: CatalogueEvent[] = [];
  readonly conventionEvents: ConventionEvent[] = [];
  readonly communeEvents: CommuneEvent[] = [];
  readonly syntecEvents: SyntecEvent[] = [];
  readonly otherConventions: ConventionState[] = [];

  constructor(facts: readonly Fact[]) {
    for (const fact of flatten(facts)) {
      if ('kind' in fact) this.otherConventions.push(fold(conventionDecider, fact.events));
      else if (isCatalogueEvent(fact)) this.catalogueEvents.push(fact);
      else if (isConventionEvent(fact)) this.conventionEvents.push(fact);
      else if (isCommuneEvent(fact)) this.communeEvents.push(fact);
      else this.syntecEvents.push(fact);
    }
  }

  get catalogue(): CatalogueState {
    return fold(catalogueDecider, this.catalogueEvents);
  }
  get convention(): ConventionState {
    return fold(conventionDecider, this.conventionEvents);
  }
  get commune(): CommuneState {
    return fold(communeDecider, this.communeEvents);
  }
  get syntec(): SyntecState {
    return fold(syntecDecider, this.syntecEvents);
  }

  when(command: DomainCommand): When {
    return new When(this, command, this.decide(command));
  }

  private decide(command: DomainCommand): DomainEvent[] | Refusal {
    switch (DECIDER_OF[command.type]) {
      case 'catalogue':
        return catalogueDecider.decide(command as CatalogueCommand, this.catalogue);
      case 'syntec':
        return syntecDecider.decide(command as SyntecCommand, this.syntec);
      case 'commune': {
        const conventions = [this.convention, ...this.otherConventions].filter((state) => state.status !== 'none');
        return communeDecider.decide(command as CommuneCommand, this.commune, { catalogue: this.catalogue, conventions });
      }
      case 'convention': {
        const communeConventions = this.otherConventions.map(conventionSummary).filter((summary) => summary !== undefined);
        return conventionDecider.decide(command as ConventionCommand, this.convention, { catalogue: this.catalogue, communeConventions });
      }
    }
  }
}

export class When {
  constructor(
    private readonly given: Given,
    private readonly command: DomainCommand,
    readonly outcome: DomainEvent[] | Refusal,
  ) {}

  then(expected: readonly DomainEvent[]): void {
    if (isRefusal(this.outcome))
      throw new Error(`Expected events, got a refusal: ${this.outcome.rule} ${this.outcome.code} (${this.outcome.detail})`);
    expect(this.outcome).toEqual(expected);
  }

  /** Nothing new to record (an idempotent repeat). */
  thenNothing(): void {
    this.then([]);
  }

  /** Asserts the rule and code (and the category when given), never the message. */
  thenRefused(rule: string, code: string, category?: Refusal['category']): void {
    if (!isRefusal(this.outcome)) throw new Error(`Expected a refusal ${rule} ${code}, got events: ${JSON.stringify(this.outcome)}`);
    expect({ rule: this.outcome.rule, code: this.outcome.code }).toEqual({ rule, code });
    if (category) expect(this.outcome.category).toBe(category);
  }

  /** The convention under test once the decided events are applied. */
  thenConvention(): ConventionState {
    return fold(conventionDecider, [...this.given.conventionEvents, ...(this.accepted() as ConventionEvent[])]);
  }

  thenCatalogue(): CatalogueState {
    return fold(catalogueDecider, [...this.given.catalogueEvents, ...(this.accepted() as CatalogueEvent[])]);
  }

  thenCommune(): CommuneState {
    return fold(communeDecider, [...this.given.communeEvents, ...(this.accepted() as CommuneEvent[])]);
  }

  private accepted(): DomainEvent[] {
    if (isRefusal(this.outcome)) throw new Error(`${this.command.type} was refused: ${this.outcome.rule} ${this.outcome.code}`);
    return this.outcome;
  }
}

export const given = (...facts: Fact[]): Given => new Given(facts);

function flatten(facts: readonly Fact[]): (DomainEvent | AnotherConvention)[] {
  return facts.flatMap((fact) => (Array.isArray(fact) ? flatten(fact) : [fact as DomainEvent | AnotherConvention]));
}
