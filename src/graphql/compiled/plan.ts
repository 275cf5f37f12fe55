/**
 * Document → selection plan, for the compiled reads (see hook.ts).
 *
 * A plan is the operation's single root field with its selections resolved the way the executor resolves
 * them: fragments and inline fragments flattened, fields with the same response name merged (in order of
 * first appearance, which is the key order of the executor's response). Anything this does not model —
 * directives, several root fields, mutations, an invalid document, a query deeper than Mercurius allows —
 * yields no plan, and the request goes to the general executor.
 */
import type {
  ArgumentNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLObjectType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import { graphql } from './graphql-runtime.js';

const { getNamedType, getOperationAST, isObjectType, Kind, OperationTypeNode, parse, validate } = graphql;

export interface FieldPlan {
  /** The key in the response (alias or field name). */
  responseName: string;
  fieldName: string;
  /** The object type the field is selected on. */
  parentType: GraphQLObjectType;
  /** The field's definition; undefined for `__typename`, which the compilers answer from parentType. */
  field: GraphQLField<unknown, unknown> | undefined;
  /** The first node of the field (the executor reads arguments from it too). */
  node: FieldNode;
  arguments: readonly ArgumentNode[];
  /** Sub-selections, merged over every node with this response name; empty for leaves. */
  children: FieldPlan[];
}

export interface OperationPlan {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  root: FieldPlan;
}

class Unsupported extends Error {}

/**
 * Depth as the executor's depth limit counts it (src/graphql/depth-limit.ts: each data field is a level;
 * introspection fields, inline fragments and fragment spreads are not): a deeper query is an error from the
 * executor, so it must not be compiled.
 */
function depthOf(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let max = 0;
  for (const s of set?.selections ?? []) {
    if (s.kind === Kind.FRAGMENT_SPREAD) {
      const f = fragments.get(s.name.value);
      if (!f || seen.has(s.name.value)) throw new Unsupported();
      max = Math.max(max, depthOf(f.selectionSet, fragments, new Set([...seen, s.name.value])));
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(s.selectionSet, fragments, seen));
    } else if (!s.name.value.startsWith('__')) {
      max = Math.max(max, 1 + depthOf(s.selectionSet, fragments, seen));
    }
  }
  return max;
}

function collect(type: GraphQLObjectType, sets: readonly SelectionSetNode[], fragments: Map<string, FragmentDefinitionNode>): FieldPlan[] {
  const byName = new Map<string, { plan: FieldPlan; sets: SelectionSetNode[] }>();
  const walk = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.directives?.length) throw new Unsupported();
      if (s.kind === Kind.FIELD) {
        const responseName = s.alias?.value ?? s.name.value;
        const known = byName.get(responseName);
        if (known) {
          if (s.selectionSet) known.sets.push(s.selectionSet);
          continue;
        }
        const field = s.name.value === '__typename' ? undefined : type.getFields()[s.name.value];
        if (s.name.value !== '__typename' && !field) throw new Unsupported();
        byName.set(responseName, {
          plan: {
            responseName,
            fieldName: s.name.value,
            parentType: type,
            field,
            node: s,
            arguments: s.arguments ?? [],
            children: [],
          },
          sets: s.selectionSet ? [s.selectionSet] : [],
        });
      } else {
        const condition = s.kind === Kind.INLINE_FRAGMENT ? s.typeCondition : fragments.get(s.name.value)?.typeCondition;
        // Every type the compilers read is an object type: a fragment applies when it names that type.
        if (condition && condition.name.value !== type.name) throw new Unsupported();
        const inner = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : fragments.get(s.name.value)?.selectionSet;
        if (!inner) throw new Unsupported();
        walk(inner);
      }
    }
  };
  for (const set of sets) walk(set);
  return [...byName.values()].map(({ plan, sets: childSets }) => {
    if (childSets.length && plan.field) {
      const named = getNamedType(plan.field.type);
      if (!isObjectType(named)) throw new Unsupported();
      plan.children = collect(named, childSets, fragments);
    }
    return plan;
  });
}

/**
 * The plan of `query` (with `operationName`), or undefined when the compiled path does not apply. Parsing
 * and validation are the executor's own (graphql-js with the schema's rules), so a document that would be
 * an error is never compiled.
 */
export function planOperation(schema: GraphQLSchema, query: string, operationName: string | undefined, maxDepth: number): OperationPlan | undefined {
  try {
    const document = parse(query);
    if (validate(schema, document).length > 0) return undefined;
    // With several operations, Mercurius' jit runs the one it compiled first whatever operationName says:
    // leave such documents to it rather than answer differently.
    if (document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length !== 1) return undefined;
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== OperationTypeNode.QUERY || operation.directives?.length) return undefined;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    // The depth limit checks every operation in the document, not only the one that runs.
    for (const d of document.definitions) {
      if (d.kind === Kind.OPERATION_DEFINITION && depthOf(d.selectionSet, fragments, new Set()) > maxDepth) return undefined;
    }
    const queryType = schema.getQueryType();
    if (!queryType) return undefined;
    const roots = collect(queryType, [operation.selectionSet], fragments);
    const [root] = roots;
    if (roots.length !== 1 || !root || root.fieldName === '__typename') return undefined;
    return { document, operation, root };
  } catch (err) {
    if (err instanceof Unsupported || (err instanceof Error && err.name === 'GraphQLError')) return undefined;
    throw err;
  }
}
