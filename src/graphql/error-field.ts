/**
 * Which argument a GraphQL input error is about. The scalars (Date, Period, …) reject a value before any
 * resolver runs, through graphql's own literal validation or variable coercion, which do not say which
 * argument it was; the contract wants `extensions.field` (e.g. `to`, `input.dateOfBirth`). This finds it
 * from the error's location in the query text.
 */
import { BREAK, Kind, parse, visit, type ASTNode, type DocumentNode, type GraphQLError } from 'graphql';

/** The field path of the argument holding `target` (an AST node of the document), e.g. `input.members[1].name`. */
function pathAt(doc: DocumentNode, matches: (node: ASTNode) => boolean): string | undefined {
  let found: string | undefined;
  visit(doc, {
    // A variable's declaration is not a use of it.
    VariableDefinition: () => false,
    enter(node, _key, parent, path, ancestors) {
      if (!matches(node)) return undefined;
      const parts: string[] = [];
      // `ancestors` stops at the grandparent; path[i] leads from chain[i] to chain[i + 1].
      const chain = parent === undefined ? ancestors : [...ancestors, parent];
      chain.forEach((a, i) => {
        if (Array.isArray(a)) return;
        const n = a as ASTNode;
        if (n.kind === Kind.ARGUMENT || n.kind === Kind.OBJECT_FIELD) parts.push(`.${n.name.value}`);
        else if (n.kind === Kind.LIST) parts.push(`[${String(path[i + 1] ?? '')}]`);
      });
      found = parts.join('').replace(/^\./, '');
      return BREAK;
    },
  });
  return found === '' ? undefined : found;
}

/** `at "i.fullName"` in graphql's variable coercion message, relative to the variable: `.fullName`. */
function pathInsideVariable(error: GraphQLError, variable: string): string {
  const original = error.originalError?.message;
  const prefix = original && error.message.endsWith(`; ${original}`) ? error.message.slice(0, -original.length - 2) : error.message;
  const m = / at "([^"]*)"$/.exec(prefix);
  return m?.[1]?.startsWith(variable) ? m[1].slice(variable.length) : '';
}

export function fieldOfInputError(error: GraphQLError): string | undefined {
  const node = error.nodes?.[0];
  const body = node?.loc?.source.body;
  if (!node?.loc || body === undefined) return undefined;
  let doc: DocumentNode;
  try {
    doc = parse(body);
  } catch {
    return undefined;
  }
  if (node.kind === Kind.VARIABLE_DEFINITION) {
    const name = node.variable.name.value;
    const usage = pathAt(doc, (n) => n.kind === Kind.VARIABLE && n.name.value === name);
    return usage === undefined ? undefined : usage + pathInsideVariable(error, name);
  }
  const start = node.loc.start;
  return pathAt(doc, (n) => n.kind === node.kind && n.loc?.start === start);
}
