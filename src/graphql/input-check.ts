/**
 * One check of every text input of an operation before it runs, derived from the schema so a new argument
 * or input field is covered without code: each String, ID and JSON value, literal or variable, at any depth
 * (nested fields' arguments, input objects, lists) is NFC-normalised and checked against its field's rule
 * (src/core/text.ts). A problem refuses the whole operation with VALIDATION_FAILED naming the field, e.g.
 * `input.fullName`, before any resolver (and so any write) runs.
 */
import {
  GraphQLError,
  GraphQLID,
  GraphQLString,
  Kind,
  TypeInfo,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isScalarType,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLEnumType,
  type GraphQLInputType,
  type GraphQLScalarType,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import { normaliseText, TEXT_RULES, textProblem, textRuleOf, type TextRule } from '../core/text.js';
import { ValidationError, type FieldProblem } from '../errors.js';

type Variables = Record<string, unknown>;

const CHECKED_AS_TEXT = new Set([GraphQLString.name, GraphQLID.name, 'JSON']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * How deep normalisation goes into a JSON-like value. Deeper parts are left as they are (their strings are
 * still checked, without recursion, by InputChecker.json): no argument legitimately nests this deep — a rule
 * definition is refused past a few levels by the rules module, with the path where it goes too deep — and
 * recursing further would let a request overflow the stack.
 */
const MAX_NORMALISED_DEPTH = 64;

/** Every string in a JSON-like value in NFC; the same object when nothing changes. */
function normaliseValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return normaliseText(value);
  if (depth >= MAX_NORMALISED_DEPTH) return value;
  if (Array.isArray(value)) {
    const out = value.map((v: unknown) => normaliseValue(v, depth + 1));
    return out.some((v, i) => v !== value[i]) ? out : value;
  }
  if (isRecord(value)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = normaliseText(k);
      out[key] = normaliseValue(v, depth + 1);
      changed ||= key !== k || out[key] !== v;
    }
    return changed ? out : value;
  }
  return value;
}

class InputChecker {
  readonly problems: FieldProblem[] = [];
  constructor(private readonly variables: Variables) {}

  private text(text: string, rule: TextRule, field: string) {
    const problem = textProblem(text, rule);
    if (problem) this.problems.push({ field, ...problem });
  }

  /** Strings anywhere in an arbitrary JSON value (keys too), without recursion: a rule may nest deeply. */
  private json(value: unknown, field: string) {
    const stack: unknown[] = [value];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v === 'string') this.text(v, TEXT_RULES.json, field);
      else if (Array.isArray(v)) {
        const items: unknown[] = v;
        stack.push(...items);
      } else if (isRecord(v)) for (const [k, inner] of Object.entries(v)) stack.push(k, inner);
    }
  }

  /**
   * A variable's other leaves (Date, Period, Vnd, Int, enums) go through their type's own parseValue here too:
   * graphql-jit coerces variables itself when it compiles a query, and its errors would not name the field.
   */
  leaf(value: unknown, type: GraphQLScalarType | GraphQLEnumType, fieldName: string, field: string) {
    if (isScalarType(type) && CHECKED_AS_TEXT.has(type.name)) {
      this.scalar(value, type.name, fieldName, field);
      return;
    }
    try {
      type.parseValue(value);
    } catch (err) {
      const extensions = err instanceof GraphQLError ? err.extensions : {};
      const vi = typeof extensions.messageVi === 'string' ? extensions.messageVi : `không phải giá trị hợp lệ của kiểu ${type.name}`;
      this.problems.push({ field, en: err instanceof Error ? err.message : `is not a valid ${type.name}`, vi });
    }
  }

  private scalar(value: unknown, typeName: string, fieldName: string, field: string) {
    if (typeName === 'JSON') {
      this.json(value, field);
      return;
    }
    if (typeof value !== 'string') return;
    if (typeName === GraphQLID.name) this.text(value, TEXT_RULES.id, field);
    else if (typeName === GraphQLString.name) this.text(value, textRuleOf(fieldName), field);
  }

  /** A value sent in variables (plain JSON). */
  value(value: unknown, type: GraphQLInputType, fieldName: string, field: string): void {
    if (value === null || value === undefined) return;
    const t = getNullableType(type);
    if (isListType(t)) {
      if (Array.isArray(value))
        value.forEach((v, i) => {
          this.value(v, t.ofType, fieldName, `${field}[${i}]`);
        });
      else this.value(value, t.ofType, fieldName, field);
    } else if (isInputObjectType(t)) {
      if (!isRecord(value)) return;
      const fields = t.getFields();
      for (const [name, v] of Object.entries(value)) {
        const def = fields[name];
        if (def) this.value(v, def.type, name, `${field}.${name}`);
      }
    } else if (isScalarType(t) || isEnumType(t)) this.leaf(value, t, fieldName, field);
  }

  /** A value written in the query, which may hold variables. */
  node(node: ValueNode, type: GraphQLInputType, fieldName: string, field: string): void {
    if (node.kind === Kind.VARIABLE) {
      this.value(this.variables[node.name.value], type, fieldName, field);
      return;
    }
    if (node.kind === Kind.NULL) return;
    const t = getNullableType(type);
    if (isListType(t)) {
      if (node.kind === Kind.LIST)
        node.values.forEach((v, i) => {
          this.node(v, t.ofType, fieldName, `${field}[${i}]`);
        });
      else this.node(node, t.ofType, fieldName, field);
    } else if (isInputObjectType(t)) {
      if (node.kind !== Kind.OBJECT) return;
      const fields = t.getFields();
      for (const f of node.fields) {
        const def = fields[f.name.value];
        if (def) this.node(f.value, def.type, f.name.value, `${field}.${f.name.value}`);
      }
    } else if (isScalarType(t)) {
      if (t.name === 'JSON') this.jsonNode(node, field);
      else if (node.kind === Kind.STRING) this.scalar(node.value, t.name, fieldName, field);
    }
  }

  private jsonNode(root: ValueNode, field: string) {
    const stack: ValueNode[] = [root];
    while (stack.length > 0) {
      const n = stack.pop();
      if (!n) break;
      if (n.kind === Kind.STRING) this.text(n.value, TEXT_RULES.json, field);
      else if (n.kind === Kind.LIST) stack.push(...n.values);
      else if (n.kind === Kind.OBJECT) {
        for (const f of n.fields) {
          this.text(f.name.value, TEXT_RULES.json, field);
          stack.push(f.value);
        }
      } else if (n.kind === Kind.VARIABLE) this.json(this.variables[n.name.value], field);
    }
  }
}

export interface CheckedInputs {
  /** Present only when normalisation changed a literal (a changed document is not compiled by graphql-jit). */
  document?: DocumentNode;
  /** Present only when normalisation changed a variable. */
  variables?: Variables;
}

/** Normalises and checks every text input of `document`; throws ValidationError listing every problem. */
export function checkOperationInputs(schema: GraphQLSchema, document: DocumentNode, variables: Variables | undefined): CheckedInputs {
  const result: CheckedInputs = {};
  const given = variables ?? {};
  const normalisedVariables = normaliseValue(given) as Variables;
  if (normalisedVariables !== given) result.variables = normalisedVariables;
  const normalisedDocument = visit(document, {
    StringValue: (node) => {
      const value = normaliseText(node.value);
      return value === node.value ? undefined : { ...node, value };
    },
  });
  if (normalisedDocument !== document) result.document = normalisedDocument;

  const checker = new InputChecker(normalisedVariables);
  const typeInfo = new TypeInfo(schema);
  visit(
    normalisedDocument,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const arg = typeInfo.getArgument();
        if (arg) checker.node(node.value, arg.type, arg.name, arg.name);
        return false;
      },
    }),
  );
  if (checker.problems.length > 0) throw new ValidationError(checker.problems);
  return result;
}
