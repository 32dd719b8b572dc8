import { isRefusal } from '@lib/domain/shared/refusal';
import { CommuneGeography, sameCommuneName } from './commune-geography';

const geography = CommuneGeography.official();
const ruleOf = (insee: string) => {
  const checked = geography.check(insee);
  return isRefusal(checked) ? `${checked.rule} ${checked.code}` : checked.name;
};

describe('the official geography (R-COM-1, R-COM-2)', () => {
  it('knows the Métropole de Lyon’s 58 communes, and only them as members', () => {
    expect(ruleOf('69123')).toBe('Lyon');
    expect(ruleOf('69266')).toBe('Villeurbanne');
    expect(ruleOf('69003')).toBe('Albigny-sur-Saône');
    // Paris is a commune, not one of the Métropole's (R-COM-2); so is Affoux, in the Rhône département.
    expect(ruleOf('75056')).toBe('R-COM-2 not_a_member');
    expect(ruleOf('69001')).toBe('R-COM-2 not_a_member');
    expect(ruleOf('2A004')).toBe('R-COM-2 not_a_member');
  });

  it('refuses a code that is no commune (R-COM-1)', () => {
    expect(ruleOf('69998')).toBe('R-COM-1 unknown_commune');
    expect(ruleOf('99999')).toBe('R-COM-1 unknown_commune');
    // A postal code is not an INSEE code.
    expect(ruleOf('69600')).toBe('R-COM-1 unknown_commune');
  });

  it('takes a commune nouvelle under its code and refuses its former communes’ codes, naming the current one', () => {
    expect(ruleOf('69149')).toBe('Oullins-Pierre-Bénite');
    const pierreBenite = geography.check('69152');
    expect(isRefusal(pierreBenite) && pierreBenite).toMatchObject({
      rule: 'R-COM-1',
      code: 'former_code',
      facts: { communeInsee: '69152', currentInsee: '69149', currentName: 'Oullins-Pierre-Bénite' },
    });
    expect(geography.status('69152')).toEqual({
      kind: 'former',
      formerName: 'Pierre-Bénite',
      now: { insee: '69149', name: 'Oullins-Pierre-Bénite' },
    });
  });

  it('refuses a municipal arrondissement, naming its commune', () => {
    const first = geography.check('69381');
    expect(isRefusal(first) && first).toMatchObject({ rule: 'R-COM-1', code: 'arrondissement', facts: { currentInsee: '69123' } });
  });

  it('matches names up to case, accents and separators, not another spelling (R-COM-3)', () => {
    expect(sameCommuneName("marcy-l'etoile", "Marcy-l'Étoile")).toBe(true);
    expect(sameCommuneName('Saint Priest', 'Saint-Priest')).toBe(true);
    expect(sameCommuneName('Oullins–Pierre-Bénite', 'Oullins-Pierre-Bénite')).toBe(false);
    expect(sameCommuneName('St-Priest', 'Saint-Priest')).toBe(false);
    expect(sameCommuneName('Oullins', 'Oullins-Pierre-Bénite')).toBe(false);
  });
});
