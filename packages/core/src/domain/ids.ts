import * as t from 'io-ts';

/**
 * Identifiers arrive from other systems, so they are opaque strings. They must
 * be storable as PostgreSQL `text` (no NUL, no lone surrogates) and bounded, so
 * that bad input is refused at the edge instead of failing a query.
 */
const MAX_ID_LENGTH = 128;

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

export const isIdentifier = (s: string): boolean =>
  s.length > 0 && s.length <= MAX_ID_LENGTH && s.trim() === s && !FORBIDDEN.test(s);

interface IdentifierBrand {
  readonly Identifier: unique symbol;
}
const Identifier = t.brand(t.string, (s): s is t.Branded<string, IdentifierBrand> => isIdentifier(s), 'Identifier');

interface OrderIdBrand {
  readonly OrderId: unique symbol;
}
export const OrderId = t.brand(Identifier, (_s): _s is t.Branded<t.TypeOf<typeof Identifier>, OrderIdBrand> => true, 'OrderId');
export type OrderId = t.TypeOf<typeof OrderId>;

interface AreaIdBrand {
  readonly AreaId: unique symbol;
}
export const AreaId = t.brand(Identifier, (_s): _s is t.Branded<t.TypeOf<typeof Identifier>, AreaIdBrand> => true, 'AreaId');
export type AreaId = t.TypeOf<typeof AreaId>;

interface ParkDbIdBrand {
  readonly ParkDbId: unique symbol;
}
export const ParkDbId = t.brand(
  Identifier,
  (_s): _s is t.Branded<t.TypeOf<typeof Identifier>, ParkDbIdBrand> => true,
  'ParkDbId',
);
export type ParkDbId = t.TypeOf<typeof ParkDbId>;

interface DriverIdBrand {
  readonly DriverId: unique symbol;
}
export const DriverId = t.brand(
  Identifier,
  (_s): _s is t.Branded<t.TypeOf<typeof Identifier>, DriverIdBrand> => true,
  'DriverId',
);
export type DriverId = t.TypeOf<typeof DriverId>;

interface UserIdBrand {
  readonly UserId: unique symbol;
}
export const UserId = t.brand(Identifier, (_s): _s is t.Branded<t.TypeOf<typeof Identifier>, UserIdBrand> => true, 'UserId');
export type UserId = t.TypeOf<typeof UserId>;

/** A driver profile: the pair (park_db_id, driver_id). */
export interface Driver {
  readonly parkDbId: ParkDbId;
  readonly driverId: DriverId;
}

export const sameDriver = (a: Driver | null | undefined, b: Driver | null | undefined): boolean =>
  a != null && b != null && a.parkDbId === b.parkDbId && a.driverId === b.driverId;

/**
 * Trusted constructors for identifiers that were already validated (read back
 * from storage, or built in tests). Edge input goes through the codecs instead.
 */
export const orderId = (s: string): OrderId => s as OrderId;
export const areaId = (s: string): AreaId => s as AreaId;
export const driver = (parkDbId: string, driverId: string): Driver => ({
  parkDbId: parkDbId as ParkDbId,
  driverId: driverId as DriverId,
});
