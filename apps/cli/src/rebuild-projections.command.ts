import { Command, CommandRunner, Option } from 'nest-commander';
import { ApiClient, describeProblem } from './api-client';
import type { RebuildView } from '@lib/contract';

interface RebuildOptions {
  swap?: boolean;
  intervalMs: number;
}

/**
 * `rebuild-projections [--swap]`: through the API (POST /api/admin/projections/rebuild), rebuilds every
 * projection from position 0 into fresh tables beside the live ones, drawing a progress bar (events
 * done, rate, time left); then prints, per projection, whether the rebuilt tables equal the live ones
 * (row counts and md5, at the same checkpoint). With --swap the rebuilt tables then replace the live
 * ones, without stopping the API; without it they are dropped. Exit code 2 when a projection differs
 * and was not swapped.
 */
@Command({
  name: 'rebuild-projections',
  description: 'rebuild every projection into fresh tables, compare them with the live ones, and swap them in (--swap)',
})
export class RebuildProjectionsCommand extends CommandRunner {
  async run(_: string[], options: RebuildOptions): Promise<void> {
    const client = new ApiClient(process.env, 'admin');
    const started = await client.request<RebuildView>('POST', '/admin/projections/rebuild');
    if (started.status !== 202) throw new Error(describeProblem(started.status, started.body));
    let view = started.body;
    const bar = new ProgressBar(process.stderr);
    while (view.state === 'rebuilding' || view.state === 'checking') {
      bar.draw(view);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
      const polled = await client.request<RebuildView>('GET', `/admin/projections/rebuild/${view.jobId}`);
      if (polled.status !== 200) throw new Error(describeProblem(polled.status, polled.body));
      view = polled.body;
    }
    bar.draw(view);
    bar.end();
    if (view.state !== 'ready') throw new Error(`Rebuild ${view.jobId} ${view.state}${view.error ? `: ${view.error}` : ''}`);

    process.stdout.write(checksTable(view));
    const differing = view.projections.filter((projection) => !projection.check?.equal);
    const next = options.swap
      ? await client.request<RebuildView>('POST', `/admin/projections/rebuild/${view.jobId}/swap`)
      : await client.request<RebuildView>('DELETE', `/admin/projections/rebuild/${view.jobId}`);
    if (next.status !== 200) throw new Error(describeProblem(next.status, next.body));
    if (next.body.state === 'swapped') process.stdout.write('Swapped in: the API now reads the rebuilt tables.\n');
    else if (next.body.state === 'cancelled') process.stdout.write('Rebuilt tables dropped (run with --swap to replace the live ones).\n');
    else throw new Error(`Rebuild ${view.jobId} ${next.body.state}${next.body.error ? `: ${next.body.error}` : ''}`);
    if (differing.length > 0 && !options.swap) process.exitCode = 2;
  }

  @Option({ flags: '--swap', description: 'replace the live tables with the rebuilt ones once checked' })
  parseSwap(): boolean {
    return true;
  }

  @Option({ flags: '--interval-ms <ms>', description: 'how often to ask for progress (default 500)', defaultValue: 500 })
  parseInterval(value: string): number {
    const ms = Number(value);
    if (!Number.isInteger(ms) || ms < 50) throw new Error('--interval-ms must be a whole number of milliseconds, at least 50');
    return ms;
  }
}

/** One line redrawn in place on a terminal; a line per second elsewhere (a log file). */
export class ProgressBar {
  private lastPrinted = 0;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  draw(view: Pick<RebuildView, 'state' | 'totalEvents' | 'eventsDone' | 'eventsPerSecond' | 'remainingSeconds'>): void {
    const text = progressLine(view);
    if (this.out.isTTY) {
      this.out.write(`\r${text}\x1b[K`);
      this.drawn = true;
    } else if (Date.now() - this.lastPrinted >= 1000 || view.state !== 'rebuilding') {
      this.out.write(`${text}\n`);
      this.lastPrinted = Date.now();
    }
  }

  end(): void {
    if (this.drawn) this.out.write('\n');
  }
}

export function progressLine(
  view: Pick<RebuildView, 'state' | 'totalEvents' | 'eventsDone' | 'eventsPerSecond' | 'remainingSeconds'>,
  width = 30,
): string {
  const ratio = view.totalEvents === 0 ? 1 : Math.min(1, view.eventsDone / view.totalEvents);
  const filled = Math.round(ratio * width);
  const left = view.remainingSeconds === null ? '?' : `${view.remainingSeconds} s`;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ` +
    `${view.eventsDone}/${view.totalEvents} events, ${view.eventsPerSecond} events/s, ${left} left (${view.state})`
  );
}

function checksTable(view: RebuildView): string {
  const rows = view.projections.flatMap((projection) =>
    (projection.check?.live ?? []).map((live, i) => {
      const rebuilt = projection.check!.rebuilt[i];
      const same = live.rows === rebuilt.rows && live.md5 === rebuilt.md5;
      return `${projection.name.padEnd(14)} ${live.table.padEnd(22)} live ${String(live.rows).padStart(7)} rows ${live.md5}  rebuilt ${String(rebuilt.rows).padStart(7)} rows ${rebuilt.md5}  ${same ? 'equal' : 'DIFFERENT'}`;
    }),
  );
  const unsettled = view.projections
    .filter((projection) => projection.check && !projection.check.samePosition)
    .map((projection) => projection.name);
  return [
    `Rebuilt ${view.totalEvents} events in ${view.projections.length} projections; checked at the same checkpoint as the live tables:`,
    ...rows,
    ...(unsettled.length ? [`Not compared (the live tables kept moving): ${unsettled.join(', ')}`] : []),
    '',
  ].join('\n');
}
