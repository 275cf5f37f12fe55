/**
 * Query depth limit that does not count introspection. The standard introspection query (GraphiQL,
 * codegen, Postman) nests `ofType` about fifteen levels under `__schema`; that costs nothing (it reads
 * the schema in memory, no database), so fields under `__schema` and `__type` are not counted. Data
 * fields are: a page of people with their households, members and certificates is 4 or 5 levels deep,
 * and anything past the limit is refused before it runs.
 */
import { GraphQLError, Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';

export const MAX_QUERY_DEPTH = 10;

export function depthLimit(max: number = MAX_QUERY_DEPTH) {
  return (context: ValidationContext): ASTVisitor => {
    /** Depth of data fields under a selection set; fragments add no level of their own. */
    const depthOf = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
      if (!set) return 0;
      let deepest = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue; // introspection: free
          deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, seen));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, seen));
        } else {
          const name = selection.name.value;
          if (seen.has(name)) continue; // a cycle: reported by the standard rules
          const fragment = context.getFragment(name);
          deepest = Math.max(deepest, depthOf(fragment?.selectionSet, new Set([...seen, name])));
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > max) {
          const name = node.name?.value ?? 'the operation';
          context.reportError(
            new GraphQLError(`${name} is nested ${depth} levels deep; at most ${max} are allowed`, {
              nodes: [node],
              extensions: {
                code: 'VALIDATION_FAILED',
                messageVi: `Câu truy vấn lồng nhau ${depth} cấp, vượt quá giới hạn ${max} cấp`,
              },
            }),
          );
        }
      },
    };
  };
}
