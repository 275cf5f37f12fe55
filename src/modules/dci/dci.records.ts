/**
 * Registry records in the shapes of the DCI Social Registry data objects: a person as a `Member` whose
 * `demographic_info` is an `SRPerson` (DO.SR.03 / DO.SR.01), a household as a `Group` (DO.SR.02), as in the
 * spec's SearchResponse example. What a partner sees follows the access policy, called with the partner as an
 * `integration` principal holding its scopes: the identification number only with `person:national_id`
 * (seesFullNationalId), poverty classification and disability only with `benefits:read` (assertMayReadBenefits).
 * A field not granted is left out, not masked. Ethnicity is never sent.
 */
import { assertMayReadBenefits, seesFullNationalId } from '../auth/access-policy.js';
import type { Principal } from '../auth/auth.types.js';
import type { ReadLedger } from '../auth/read-ledger.js';
import type { PlacesService } from '../places/places.service.js';
import type { HouseholdRow, PersonRecord, RegistryService } from '../registry/registry.service.js';

export const PERSON_ID_PREFIX = 'urn:an-sinh:person:';
export const HOUSEHOLD_ID_PREFIX = 'urn:an-sinh:household:';

type Json = Record<string, unknown>;

/** Whether the access policy lets this caller read benefits-related (health, disability, poverty) data. */
export function mayReadBenefits(p: Principal): boolean {
  try {
    assertMayReadBenefits(p);
    return true;
  } catch {
    return false;
  }
}

/** A Vietnamese full name (family name first, given name last) as the DCI Name object. */
export function dciName(fullName: string): Json {
  const words = fullName.trim().split(/\s+/);
  const surname = words[0] ?? '';
  const givenName = words.length > 1 ? (words[words.length - 1] ?? '') : '';
  const second = words.slice(1, -1).join(' ');
  return { '@type': 'Name', surname, given_name: givenName, ...(second ? { second_name: second } : {}) };
}

const isoDay = (d: string) => `${d}T00:00:00Z`;

/** Everything needed to map a page of people at once (households, classification, disability), read in batches. */
export async function mapPeople(
  deps: { registry: RegistryService; places: PlacesService },
  principal: Principal,
  people: readonly PersonRecord[],
  today: string,
  reads?: ReadLedger,
): Promise<{ members: Json[]; householdOf: Map<string, HouseholdRow> }> {
  const householdIds = [...new Set(people.map((p) => p.householdId).filter((id): id is string => id !== null))];
  const households = await deps.registry.householdsByIds(householdIds);
  const householdOf = new Map(households.map((h) => [h.id, h]));
  const benefits = mayReadBenefits(principal);
  const classification = new Map<string, string>();
  const disabled = new Map<string, Json[]>();
  if (benefits && people.length > 0) {
    const inForce = await deps.registry.assessmentsInForce(householdIds.map((householdId) => ({ householdId, asOf: today })));
    householdIds.forEach((id, i) => {
      const a = inForce[i];
      if (a) classification.set(id, a.classification);
    });
    const certificates = await deps.registry.circumstancesOf(
      'disabilityCertificates',
      people.map((p) => p.id),
    );
    for (const [personId, rows] of certificates) {
      const current = rows.filter((c) => c.withdrawnAt === null && c.issuedOn <= today && (c.validTo === null || c.validTo >= today));
      if (current.length > 0)
        disabled.set(
          personId,
          current.map((c) => ({ '@type': 'DisabilityInfo', disability_type: 'certified', functional_severity: c.level.toLowerCase() })),
        );
    }
  }
  const members = people.map((p) => {
    const household = p.householdId ? householdOf.get(p.householdId) : undefined;
    // What the record carries of the sensitive groups, for the access log: `is_disabled` (health) for everyone
    // when benefits are granted, the poverty classification (financial) when there is one.
    if (benefits) reads?.note('person', p.id, p.householdId && classification.has(p.householdId) ? ['health', 'financial'] : ['health']);
    const identifier =
      p.nationalId && seesFullNationalId(principal) ? [{ '@type': 'Identifier', identifier_type: 'UIN', identifier_value: p.nationalId }] : undefined;
    const commune = deps.places.get(p.communeCode);
    const member: Json = {
      '@type': 'Member',
      '@id': `${PERSON_ID_PREFIX}${p.id}`,
      ...(identifier ? { member_identifier: identifier } : {}),
      demographic_info: {
        '@type': 'SRPerson',
        ...(identifier ? { identifier } : {}),
        name: dciName(p.fullName),
        sex: p.sex === 'MALE' ? 'male' : 'female',
        birth_date: isoDay(p.dateOfBirth),
        ...(p.dateOfDeath ? { death_date: isoDay(p.dateOfDeath) } : {}),
        address: {
          '@type': 'Address',
          ...(household?.address ? { street_address: household.address } : {}),
          city: commune?.name ?? p.communeCode,
          admin_area_code: p.communeCode,
          country: 'VN',
        },
      },
      ...(p.relationToHead ? { relationship_head: p.relationToHead } : {}),
      ...(benefits ? { is_disabled: disabled.has(p.id), ...(disabled.has(p.id) ? { disability_info: disabled.get(p.id) } : {}) } : {}),
      ...(household ? { group_identifier: household.code } : {}),
      ...(benefits && p.householdId && classification.has(p.householdId)
        ? { additional_attributes: [{ name: 'poverty_classification', value: classification.get(p.householdId) }] }
        : {}),
    };
    return member;
  });
  return { members, householdOf };
}

/** A household with its members (those living in it today) as a DCI Group. */
export async function mapGroups(
  deps: { registry: RegistryService; places: PlacesService },
  principal: Principal,
  households: readonly HouseholdRow[],
  today: string,
  reads?: ReadLedger,
): Promise<Json[]> {
  const membersOf = await deps.registry.visibleMembersOf(
    principal,
    households.map((h) => h.id),
    today,
  );
  const everyone = households.flatMap((h) => membersOf.get(h.id) ?? []);
  const { members } = await mapPeople(deps, principal, everyone, today, reads);
  const byId = new Map(everyone.map((p, i) => [p.id, members[i] ?? {}]));
  const benefits = mayReadBenefits(principal);
  const classification = benefits ? await deps.registry.assessmentsInForce(households.map((h) => ({ householdId: h.id, asOf: today }))) : [];
  return households.map((h, i) => {
    const list = (membersOf.get(h.id) ?? []).map((p) => byId.get(p.id) ?? {});
    const head = h.headPersonId ? byId.get(h.headPersonId) : undefined;
    const commune = deps.places.get(h.communeCode);
    const poverty = classification[i]?.classification;
    if (poverty) reads?.note('household', h.id, ['financial']);
    return {
      '@type': 'Group',
      '@id': `${HOUSEHOLD_ID_PREFIX}${h.id}`,
      group_identifier: [{ '@type': 'Identifier', identifier_type: 'HouseholdCode', identifier_value: h.code }],
      group_type: 'household',
      place: { '@type': 'Place', address: [h.address, commune?.name ?? h.communeCode].filter(Boolean).join(', '), admin_area_code: h.communeCode },
      ...(head ? { group_head_info: head } : {}),
      group_size: list.length,
      member_list: list,
      registration_date: h.createdAt.toISOString(),
      last_updated: h.updatedAt.toISOString(),
      ...(poverty ? { poverty_score_type: 'classification', additional_attributes: [{ name: 'poverty_classification', value: poverty }] } : {}),
    };
  });
}
