import { readFileSync } from 'node:fs';
import { Refusal, refusal } from '@lib/domain/shared/refusal';

/**
 * The official geography (Code officiel géographique as shipped by @etalab/decoupage-administratif):
 * which INSEE codes are communes today, which are former codes and what they became, and which
 * communes are members of the Métropole de Lyon. The one place the package's JSON is read, once per
 * process (docs/communes.md: R-COM-1, R-COM-2, R-COM-3).
 *
 * The files are read with fs rather than imported: a 12 MB JSON import would make tsc type it.
 */

/** The Métropole de Lyon's SIREN, its code in the package's EPCI file. */
export const METROPOLE_DE_LYON_SIREN = '200046977';

export interface OfficialCommune {
  readonly insee: string;
  readonly name: string;
}

/** What a code is in the official geography. */
export type CodeStatus =
  | { readonly kind: 'current'; readonly commune: OfficialCommune; readonly member: boolean }
  | { readonly kind: 'former'; readonly formerName: string | null; readonly now: OfficialCommune }
  | { readonly kind: 'arrondissement'; readonly name: string; readonly of: OfficialCommune }
  | { readonly kind: 'unknown' };

interface RawCommune {
  code: string;
  nom: string;
  type: 'commune-actuelle' | 'commune-deleguee' | 'commune-associee' | 'arrondissement-municipal';
  chefLieu?: string;
  commune?: string;
  anciensCodes?: string[];
}

interface RawEpci {
  code: string;
  membres: { code: string }[];
}

export class CommuneGeography {
  private constructor(
    private readonly current: ReadonlyMap<string, OfficialCommune>,
    private readonly former: ReadonlyMap<string, { formerName: string | null; now: string }>,
    private readonly arrondissements: ReadonlyMap<string, { name: string; of: string }>,
    private readonly members_: ReadonlySet<string>,
  ) {}

  private static loaded?: CommuneGeography;

  /** The package's data, read at the first call and kept for the life of the process. */
  static official(): CommuneGeography {
    return (CommuneGeography.loaded ??= CommuneGeography.of(
      readJson<RawCommune[]>('communes.json'),
      readJson<RawEpci[]>('epci.json')
        .find((epci) => epci.code === METROPOLE_DE_LYON_SIREN)
        ?.membres.map((m) => m.code) ?? [],
    ));
  }

  static of(communes: readonly RawCommune[], memberCodes: readonly string[]): CommuneGeography {
    const current = new Map<string, OfficialCommune>();
    for (const commune of communes)
      if (commune.type === 'commune-actuelle') current.set(commune.code, { insee: commune.code, name: commune.nom });
    const former = new Map<string, { formerName: string | null; now: string }>();
    for (const commune of communes) {
      // A commune déléguée keeping the new commune's own code (Oullins, 69149) is that commune's code.
      if ((commune.type === 'commune-deleguee' || commune.type === 'commune-associee') && commune.chefLieu && !current.has(commune.code))
        former.set(commune.code, { formerName: commune.nom, now: commune.chefLieu });
    }
    for (const commune of communes)
      if (commune.type === 'commune-actuelle')
        for (const code of commune.anciensCodes ?? [])
          if (!current.has(code) && !former.has(code)) former.set(code, { formerName: null, now: commune.code });
    const arrondissements = new Map<string, { name: string; of: string }>();
    for (const commune of communes)
      if (commune.type === 'arrondissement-municipal' && commune.commune)
        arrondissements.set(commune.code, { name: commune.nom, of: commune.commune });
    if (memberCodes.length === 0) throw new Error(`The geography names no member of EPCI ${METROPOLE_DE_LYON_SIREN}`);
    return new CommuneGeography(current, former, arrondissements, new Set(memberCodes));
  }

  status(insee: string): CodeStatus {
    const commune = this.current.get(insee);
    if (commune) return { kind: 'current', commune, member: this.members_.has(insee) };
    const former = this.former.get(insee);
    const now = former && this.current.get(former.now);
    if (former && now) return { kind: 'former', formerName: former.formerName, now };
    const arrondissement = this.arrondissements.get(insee);
    const of = arrondissement && this.current.get(arrondissement.of);
    if (arrondissement && of) return { kind: 'arrondissement', name: arrondissement.name, of };
    return { kind: 'unknown' };
  }

  /** The Métropole's member communes, in INSEE order. */
  members(): OfficialCommune[] {
    return [...this.members_].sort((a, b) => (a < b ? -1 : 1)).map((insee) => this.current.get(insee)!);
  }

  /** A current commune member of the Métropole, by its code; undefined for any other code. */
  member(insee: string): OfficialCommune | undefined {
    const status = this.status(insee);
    return status.kind === 'current' && status.member ? status.commune : undefined;
  }

  /**
   * Why facts about this code cannot be recorded (R-COM-1: not a current commune; R-COM-2: not a member
   * of the Métropole), or the commune.
   */
  check(insee: string): OfficialCommune | Refusal {
    const status = this.status(insee);
    switch (status.kind) {
      case 'current':
        return status.member
          ? status.commune
          : refusal(
              'R-COM-2',
              'not_a_member',
              `${insee} ${status.commune.name} is not a commune of the Métropole de Lyon: only its member communes sign conventions with it`,
              { communeInsee: insee, communeName: status.commune.name },
            );
      case 'former':
        return refusal(
          'R-COM-1',
          'former_code',
          `${insee}${status.formerName ? ` ${status.formerName}` : ''} is a former commune, now part of ${status.now.insee} ${status.now.name}: record its facts under ${status.now.insee}`,
          { communeInsee: insee, currentInsee: status.now.insee, currentName: status.now.name },
        );
      case 'arrondissement':
        return refusal(
          'R-COM-1',
          'arrondissement',
          `${insee} is ${status.name}, a municipal arrondissement, not a commune: record its facts under ${status.of.insee} ${status.of.name}`,
          { communeInsee: insee, currentInsee: status.of.insee, currentName: status.of.name },
        );
      case 'unknown':
        return refusal('R-COM-1', 'unknown_commune', `${insee} is not the INSEE code of any commune of the official geography`, {
          communeInsee: insee,
        });
    }
  }
}

/**
 * R-COM-3: a name matches the official one up to case, accents and the separators people type for
 * one another (hyphen, space, apostrophes): "Marcy-l'Etoile" is Marcy-l'Étoile, "Saint Priest" is
 * Saint-Priest. Abbreviations ("St-Priest") and other communes' names do not match.
 */
export function sameCommuneName(given: string, official: string): boolean {
  return nameKey(given) === nameKey(official);
}

function nameKey(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/[\s\-'’ʼ]+/g, ' ')
    .trim();
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(require.resolve(`@etalab/decoupage-administratif/data/${file}`), 'utf8')) as T;
}
