/** The contract's scalars: Date (yyyy-mm-dd), Period (yyyy-mm), Vnd (whole đồng), DateTime, JSON. */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { DATE_RANGE_TEXT, parseDate, parsePeriod, PERIOD_RANGE_TEXT } from '../core/bounds.js';

function stringScalar(name: string, description: string, check: (v: string) => boolean, example: string, messageVi: string) {
  const parse = (v: unknown, node?: ValueNode) => {
    if (typeof v !== 'string' || !check(v)) {
      // The node lets the error formatter name the argument (graphql/error-field.ts).
      throw new GraphQLError(`${name} must be ${description} (e.g. ${example})`, {
        nodes: node,
        extensions: { code: 'VALIDATION_FAILED', messageVi },
      });
    }
    return v;
  };
  return new GraphQLScalarType({
    name,
    description,
    serialize: (v) => (v instanceof Date ? v.toISOString().slice(0, name === 'Period' ? 7 : 10) : String(v)),
    parseValue: (v) => parse(v),
    parseLiteral: (ast: ValueNode) => parse(ast.kind === Kind.STRING ? ast.value : undefined, ast),
  });
}

// Years 1900–2100 only: a far date would otherwise reach month loops and the database (issue 14, cases 1 and 4).
export const DateScalar = stringScalar('Date', DATE_RANGE_TEXT.en, (v) => parseDate(v) !== undefined, '2024-07-01', DATE_RANGE_TEXT.vi);
export const PeriodScalar = stringScalar('Period', PERIOD_RANGE_TEXT.en, (v) => parsePeriod(v) !== undefined, '2024-07', PERIOD_RANGE_TEXT.vi);

const parseVnd = (v: unknown) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new GraphQLError(`Vnd must be a whole number of đồng, got ${JSON.stringify(v)}`, {
      extensions: { code: 'VALIDATION_FAILED', messageVi: 'phải là số đồng nguyên' },
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
