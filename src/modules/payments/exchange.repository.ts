/**
 * SQL of the exchange files (docs/payments.md#exchange-files): a cycle's lines with what a bank or post office file
 * carries (recipient, account, the person's name and identification number), and the lines a reconciliation file
 * names.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { paymentRecipients, payments, persons, programs } from '../../db/schema/index.js';

export interface ExportLineRow {
  id: string;
  programCode: string;
  programNameVi: string;
  programNameEn: string;
  period: string;
  kind: string;
  amount: number;
  method: string;
  status: string;
  recipientName: string | null;
  accountNo: string | null;
  provider: string | null;
  personName: string;
  nationalId: string | null;
}

/** Every line of a cycle with its recipient and person, in a stable order (program, person, month, kind). */
export function findExportLines(db: DbOrTx, cycleId: string): Promise<ExportLineRow[]> {
  return db
    .select({
      id: payments.id,
      programCode: payments.programCode,
      programNameVi: programs.nameVi,
      programNameEn: programs.nameEn,
      period: payments.period,
      kind: payments.kind,
      amount: payments.amount,
      method: payments.method,
      status: payments.status,
      recipientName: paymentRecipients.recipientName,
      accountNo: paymentRecipients.accountNo,
      provider: paymentRecipients.provider,
      personName: persons.fullName,
      nationalId: persons.nationalId,
    })
    .from(payments)
    .innerJoin(persons, eq(persons.id, payments.personId))
    .innerJoin(programs, eq(programs.code, payments.programCode))
    .leftJoin(paymentRecipients, eq(paymentRecipients.id, payments.recipientId))
    .where(eq(payments.cycleId, cycleId))
    .orderBy(asc(payments.programCode), asc(payments.personId), asc(payments.period), asc(payments.kind), asc(payments.id));
}

/** The cycle and kind of some lines, by id (a reconciliation file names lines of any cycle, or none). */
export async function findLineCycles(db: DbOrTx, ids: readonly string[]): Promise<Map<string, { cycleId: string; kind: string }>> {
  const out = new Map<string, { cycleId: string; kind: string }>();
  for (let i = 0; i < ids.length; i += 5000) {
    const batch = ids.slice(i, i + 5000);
    const rows = await db.select({ id: payments.id, cycleId: payments.cycleId, kind: payments.kind }).from(payments).where(inArray(payments.id, batch));
    for (const r of rows) out.set(r.id, { cycleId: r.cycleId, kind: r.kind });
  }
  return out;
}
