/** The contract's scalars: Date (yyyy-mm-dd), Period (yyyy-mm), Vnd (whole đồng), DateTime, JSON. */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

export function isValidDate(v: string): boolean {
  // Year 0000 does not exist in PostgreSQL's calendar (1 BC is followed by AD 1): it would fail in the database.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || v.startsWith('0000')) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

function stringScalar(name: string, description: string, check: (v: string) => boolean, example: string) {
  const parse = (v: unknown) => {
    if (typeof v !== 'string' || !check(v)) {
      throw new GraphQLError(`${name} must be ${description} (e.g. ${example}), got ${JSON.stringify(v)}`, {
        extensions: { code: 'VALIDATION_FAILED' },
      });
    }
    return v;
  };
  return new GraphQLScalarType({
    name,
    description,
    serialize: (v) => (v instanceof Date ? v.toISOString().slice(0, name === 'Period' ? 7 : 10) : String(v)),
    parseValue: parse,
    parseLiteral: (ast: ValueNode) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
  });
}

export const DateScalar = stringScalar('Date', 'a calendar date yyyy-mm-dd', isValidDate, '2024-07-01');
export const PeriodScalar = stringScalar(
  'Period',
  'a calendar month yyyy-mm',
  (v) => /^\d{4}-(0[1-9]|1[0-2])$/.test(v),
  '2024-07',
);

const parseVnd = (v: unknown) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new GraphQLError(`Vnd must be a whole number of đồng, got ${JSON.stringify(v)}`, {
      extensions: { code: 'VALIDATION_FAILED' },
    });
  }
  return v;
};
export const VndScalar = new GraphQLScalarType({
  name: 'Vnd',
  serialize: (v) => Number(v),
  parseValue: parseVnd,
  parseLiteral: (ast) => parseVnd(ast.kind === Kind.INT ? Number(ast.value) : undefined),
});

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (v) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString()),
  parseValue: (v) => new Date(String(v)),
});

export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (v) => v,
  parseValue: (v) => v,
});

export const scalarResolvers = {
  Date: DateScalar,
  Period: PeriodScalar,
  Vnd: VndScalar,
  DateTime: DateTimeScalar,
  JSON: JsonScalar,
};
