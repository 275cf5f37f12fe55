/** The contract's scalars: Date (yyyy-mm-dd), Period (yyyy-mm), Vnd (whole đồng), DateTime, JSON. */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { isValidDate } from '../core/period.js';

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
export const PeriodScalar = stringScalar('Period', 'a calendar month yyyy-mm', (v) => /^\d{4}-(0[1-9]|1[0-2])$/.test(v), '2024-07');

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
