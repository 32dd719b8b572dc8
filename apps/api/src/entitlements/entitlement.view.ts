import { ApiProperty } from '@nestjs/swagger';
import { ApiDateProperty } from '../http/openapi';
import { INSEE_FORMAT } from '../http/validators';
import { Entitlement } from '@lib/domain/entitlements';

export class EntitlementSourceView {
  @ApiProperty({ enum: ['convention', 'legacy'] }) kind!: 'convention' | 'legacy';
  @ApiProperty({ description: 'The convention id (e.g. 69123-1), or for a legacy convention `<insee>/<serviceId>`' }) id!: string;
  @ApiDateProperty({ required: false, description: 'For a convention: the first day of the annex period the access comes from' })
  annexFrom?: string;
}

/** API.md: one access of a commune, [from, until] both included (R-TIME-3). */
export class EntitlementView {
  @ApiProperty({ example: 'toodego' }) serviceId!: string;
  @ApiProperty({ example: 'partenaire' }) offerId!: string;
  @ApiDateProperty({
    nullable: true,
    example: '2026-01-01',
    description: 'null: a legacy access in force since before 2025, start unknown (R-LEG-1)',
  })
  from!: string | null;
  @ApiDateProperty({ nullable: true, description: 'The last day of access; null while it runs' }) until!: string | null;
  @ApiProperty({ type: EntitlementSourceView }) source!: EntitlementSourceView;
}

export class CommuneEntitlementsView {
  @ApiProperty({ example: '69123', pattern: INSEE_FORMAT.source }) communeInsee!: string;
  @ApiProperty({ type: [EntitlementView] }) entitlements!: EntitlementView[];
}

export function entitlementView(entitlement: Entitlement): EntitlementView {
  const { serviceId, offerId, from, until, source } = entitlement;
  return {
    serviceId,
    offerId,
    from,
    until,
    source:
      source.kind === 'convention' ? { kind: 'convention', id: source.id, annexFrom: source.annexFrom } : { kind: 'legacy', id: source.id },
  };
}

/** Grouped by commune, in commune order (the entitlements come sorted by commune). */
export function groupedByCommune(entitlements: readonly Entitlement[]): CommuneEntitlementsView[] {
  const groups: CommuneEntitlementsView[] = [];
  for (const entitlement of entitlements) {
    if (groups.at(-1)?.communeInsee !== entitlement.communeInsee) groups.push({ communeInsee: entitlement.communeInsee, entitlements: [] });
    groups.at(-1)!.entitlements.push(entitlementView(entitlement));
  }
  return groups;
}
