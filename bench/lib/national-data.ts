import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommuneCommandHandler, ExecuteCommuneCommand, ExecuteSyntecCommand, SyntecCommandHandler } from '@lib/application';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { eventHash } from '@lib/event-store/integrity/event-hash';
import { COMMAND_CONTEXT, commandAction, performAction, seedCatalogue } from '../../test/support/random-commands';

/**
 * The national data set: `communes` communes (35 000 at scale 1), each with a history the application's
 * own handlers decided (six yearly population figures, then random commands: legacy conventions,
 * signatures with annexes, offer changes, stops, non-renewals, terminations, lifecycle runs with their
 * renewals and legacy ends), plus the catalogue and seven years of Syntec values. Deciding 35 000
 * histories one by one would take longer than the whole benchmark, so TEMPLATES histories are decided
 * over communes of their own and each other commune gets one of them re-addressed to its own INSEE
 * code (streams, ids, names) with its own populations, ids and instants: every commune's stream is then
 * a history its handlers could have written. Written as export-history's JSON Lines (hash chained), the
 * form `cli import-events` and PostgresEventStore.importEvents take.
 */
export const GENERATOR_VERSION = 1;
const TEMPLATES = 120;
const ACTIONS_PER_TEMPLATE = 92;
const POPULATION_YEARS = [2020, 2021, 2022, 2023, 2024, 2025];
const FIRST_RECORDED = Date.parse('2020-01-01T00:00:00.000Z');
const LAST_RECORDED = Date.parse('2026-06-01T00:00:00.000Z');

export interface NationalArchive {
  file: string;
  events: number;
  communes: string[];
  types: Record<string, number>;
  /** True when this run wrote it, false when it came from the cache. */
  generated: boolean;
}

/** `count` INSEE codes of the national form: 88 departments of up to 400 communes. */
export function nationalInsee(count: number, firstDepartment = 1): string[] {
  return Array.from({ length: count }, (_, k) => {
    const department = firstDepartment + Math.floor(k / 400);
    return `${String(department).padStart(2, '0')}${String((k % 400) + 1).padStart(3, '0')}`;
  });
}

/** The archive for `communes`, from the cache (keyed by size and GENERATOR_VERSION) or written now. */
export async function nationalArchive(communes: number, cacheDir = join(tmpdir(), 'conventions-cadre-bench')): Promise<NationalArchive> {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `national-v${GENERATOR_VERSION}-${communes}.jsonl`);
  const summaryFile = `${file}.json`;
  if (existsSync(file) && existsSync(summaryFile)) {
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Omit<NationalArchive, 'generated' | 'file' | 'communes'>;
    return { ...summary, file, communes: nationalInsee(communes), generated: false };
  }
  const written = await writeNationalArchive(`${file}.partial`, communes);
  renameSync(`${file}.partial`, file);
  writeFileSync(summaryFile, JSON.stringify({ events: written.events, types: written.types }));
  return { ...written, file, generated: true };
}

interface Template {
  insee: string;
  events: RecordedEvent[];
}

async function writeNationalArchive(file: string, count: number): Promise<Omit<NationalArchive, 'file' | 'generated'>> {
  const communes = nationalInsee(count);
  const templates: Template[] = [];
  for (let t = 0; t < Math.min(TEMPLATES, count); t++) templates.push(await decideTemplate(communes[t], t));
  const shared = new InMemoryEventStore();
  await seedCatalogue(shared);
  await recordSyntec(shared);
  const global: RecordedEvent[] = [];
  for await (const event of shared.readAll()) global.push(event);

  const out = createWriteStream(file);
  const types: Record<string, number> = {};
  const perTemplate = templates.reduce((sum, template) => sum + template.events.length, 0) / templates.length;
  const expected = global.length + Math.round(perTemplate * count);
  const step = (LAST_RECORDED - FIRST_RECORDED) / expected;
  let previousHash: string | null = null;
  let index = 0;
  const write = async (event: Omit<RecordedEvent, 'position' | 'recordedAt'>) => {
    const content = { ...event, recordedAt: new Date(FIRST_RECORDED + Math.floor(index * step)).toISOString() };
    const hash = eventHash(content, previousHash);
    index++;
    types[event.type] = (types[event.type] ?? 0) + 1;
    const line = JSON.stringify({ position: `${index}/${index}`, ...content, previousHash, hash });
    previousHash = hash;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  for (const event of global) await write(strip(event));
  for (let k = 0; k < count; k++) {
    const template = templates[k % templates.length];
    for (const event of readdress(template, communes[k], k)) await write(event);
  }
  out.end();
  await once(out, 'finish');
  return { events: index, communes, types };
}

/** One commune's history through the handlers: its six population figures, then random commands on it. */
async function decideTemplate(insee: string, seed: number): Promise<Template> {
  const store = new InMemoryEventStore();
  await seedCatalogue(store);
  const communeHandler = new CommuneCommandHandler(store);
  const base = 800 + ((seed * 7919) % 60_000);
  for (const [i, year] of POPULATION_YEARS.entries()) {
    await communeHandler.execute(
      new ExecuteCommuneCommand(
        {
          type: 'RecordPopulation',
          data: {
            communeInsee: insee,
            population: Math.round(base * (1 + 0.01 * i)),
            effectiveDate: `${year}-01-01` as CalendarDate,
            source: `INSEE, populations légales ${year - 3}`,
          },
        },
        { ...COMMAND_CONTEXT, commandId: randomUUID() },
      ),
    );
  }
  for (const action of fc.sample(commandAction([insee]), { numRuns: ACTIONS_PER_TEMPLATE, seed: 1000 + seed }))
    await performAction(store, action, [insee]);
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) if (event.streamId !== 'catalogue') events.push(event);
  return { insee, events };
}

/** Seven years of monthly Syntec values, each published at the end of the following month (R-FEE-3). */
async function recordSyntec(store: InMemoryEventStore): Promise<void> {
  const handler = new SyntecCommandHandler(store);
  let value = 270;
  for (let year = 2019; year <= 2025; year++) {
    for (let month = 1; month <= 12; month++) {
      value += 0.3 + ((year * 12 + month) % 5) * 0.1;
      const next = month === 12 ? { y: year + 1, m: 1 } : { y: year, m: month + 1 };
      await handler.execute(
        new ExecuteSyntecCommand(
          {
            type: 'RecordSyntecIndex',
            data: {
              period: `${year}-${String(month).padStart(2, '0')}`,
              value: value.toFixed(1),
              publishedOn: `${next.y}-${String(next.m).padStart(2, '0')}-28` as CalendarDate,
            },
          },
          { ...COMMAND_CONTEXT, commandId: randomUUID() },
        ),
      );
    }
  }
}

const strip = ({ id, streamId, revision, type, schemaVersion, data, metadata }: RecordedEvent) => ({
  id,
  streamId,
  revision,
  type,
  schemaVersion,
  data,
  metadata,
});

/**
 * The template's history as commune `insee`'s: its code in stream ids, convention ids and names; its own
 * population figures (scaled by a factor of its own); fresh event ids, and fresh command ids shared by
 * the events of one command as they were.
 */
function readdress(template: Template, insee: string, k: number): Array<Omit<RecordedEvent, 'position' | 'recordedAt'>> {
  const factor = 0.3 + ((k * 2654435761) % 1000) / 400;
  const commandIds = new Map<string, string>();
  const swap = (value: string): string => {
    if (value === template.insee) return insee;
    if (value.startsWith(`${template.insee}-`)) return insee + value.slice(template.insee.length);
    if (value.startsWith(`convention-${template.insee}-`))
      return `convention-${insee}${value.slice(`convention-${template.insee}`.length)}`;
    if (value === `commune-${template.insee}`) return `commune-${insee}`;
    if (value === `Commune ${template.insee}`) return `Commune ${insee}`;
    return value;
  };
  const rewrite = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return swap(value);
    if (typeof value === 'number' && key === 'population') return Math.max(50, Math.round(value * factor));
    if (Array.isArray(value)) return value.map((item) => rewrite(item));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, rewrite(item, name)]));
    return value;
  };
  const fresh = (id: unknown) => {
    if (typeof id !== 'string') return id;
    let next = commandIds.get(id);
    if (!next) commandIds.set(id, (next = randomUUID()));
    return next;
  };
  return template.events.map((event) => ({
    id: randomUUID(),
    streamId: swap(event.streamId),
    revision: event.revision,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: rewrite(event.data) as Record<string, unknown>,
    metadata: {
      ...event.metadata,
      commandId: fresh(event.metadata.commandId),
      correlationId: fresh(event.metadata.correlationId),
      causationId: fresh(event.metadata.causationId),
    } as RecordedEvent['metadata'],
  }));
}
