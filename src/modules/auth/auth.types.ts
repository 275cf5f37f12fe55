export const ROLES = ['commune_officer', 'district_officer', 'auditor', 'integration', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, taken from the verified token's claims. */
export interface Principal {
  subject: string;
  role: Role;
  /** Commune codes a commune officer acts on; district-level roles reach every commune. */
  communes: string[];
  scopes: Set<string>;
}
