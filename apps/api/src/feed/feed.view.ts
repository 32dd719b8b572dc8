import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FEED_EVENT_TYPES } from '@lib/projections/feed';

/** One integration event on the wire (docs/integration-events.md); `data` is described by its JSON Schema. */
export class FeedEnvelopeView {
  @ApiProperty({ enum: FEED_EVENT_TYPES, example: 'EntitlementGranted' }) type!: string;
  @ApiProperty({ example: 1, description: "The version of this type's shape; its schema: GET /api/feed/schemas/{type}/{version}" })
  version!: number;
  @ApiProperty({
    example: '42',
    description: 'Opaque, grows in delivery order: store the last one handled, resume after it; never parse it',
  })
  position!: string;
  @ApiProperty({ example: '2026-03-01T09:30:00.000Z', description: 'When the fact behind it was recorded (ISO 8601 UTC)' })
  occurredAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "The type's payload, per its JSON Schema" }) data!: Record<
    string,
    unknown
  >;
}

export class FeedPageView {
  @ApiProperty({ type: [FeedEnvelopeView], description: 'In position order; fewer than `limit` means the head was reached' })
  items!: FeedEnvelopeView[];
  @ApiProperty({
    example: '42',
    description:
      'Pass it as `after` to read on. It may lie beyond the last item (a consumer limited by its services claim skips what it may not see)',
  })
  next!: string;
}

export class FeedSchemaSummaryView {
  @ApiProperty({ enum: FEED_EVENT_TYPES }) type!: string;
  @ApiProperty({ example: 1 }) version!: number;
  @ApiProperty({ enum: ['current', 'deprecated'] }) status!: 'current' | 'deprecated';
  @ApiPropertyOptional({
    example: '2027-12-31',
    description: 'For a deprecated version: the day after which the feed no longer carries it',
  })
  sunset?: string;
  @ApiProperty({ example: '/api/feed/schemas/EntitlementGranted/1' }) href!: string;
}
