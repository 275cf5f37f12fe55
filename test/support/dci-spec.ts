/**
 * The DCI spec's own schemas as a validator: the published OpenAPI YAML of spdci/standards (vendored in
 * test/dci-spec/, see its README), loaded whole into Ajv so that every $ref, including those into `paths`,
 * resolves as published. The few errata the README lists are patched here, each named.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Doc = Record<string, unknown>;

function load(file: string): Doc {
  return parse(readFileSync(new URL(`../dci-spec/${file}`, import.meta.url), 'utf8')) as Doc;
}

/** Walks a document, calling `fn` on every object. */
function walk(node: unknown, fn: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, fn);
  } else if (node && typeof node === 'object') {
    fn(node as Record<string, unknown>);
    for (const n of Object.values(node)) walk(n, fn);
  }
}

const THROUGH_REF = '#/paths/~1registry~1search/post/requestBody/content/application~1json/schema/properties/message/oneOf/0/';

function patch(doc: Doc): Doc {
  walk(doc, (o) => {
    // Erratum 1: social_api's predicate refs point *through* a $ref (message/oneOf/0 is a $ref to SearchRequest);
    // a JSON pointer does not follow $ref, so they are pointed at SearchRequest itself.
    if (typeof o.$ref === 'string' && o.$ref.startsWith(THROUGH_REF)) o.$ref = `#/components/schemas/SearchRequest/${o.$ref.slice(THROUGH_REF.length)}`;
    // Erratum 2: the query alternatives (expression template vs identifier type-value) overlap: an object whose
    // `value` is an object matches both, so `oneOf` rejects every expression query. Read as anyOf.
    const alternatives = o.oneOf as Record<string, unknown>[] | undefined;
    if (Array.isArray(alternatives) && alternatives.some((a) => a.type === 'array' || a.$ref === '#/components/schemas/ExpTemplate')) {
      const isQuery =
        alternatives.length === 3 && (alternatives.some((a) => a.$ref === '#/components/schemas/ExpTemplate') || alternatives[2]?.type === 'array');
      if (isQuery) {
        o.anyOf = alternatives;
        delete o.oneOf;
      }
    }
    // Erratum 4: txn status's attribute_value alternatives overlap too (a transaction id and a correlation id are
    // both strings; SubscriptionCodeList has no type), so `oneOf` rejects every value. Read as anyOf.
    const value = o.attribute_value as Record<string, unknown> | undefined;
    if (value && Array.isArray(value.oneOf) && o.attribute_type) {
      value.anyOf = value.oneOf;
      delete value.oneOf;
    }
  });
  // Pointers into a query's alternatives follow them to anyOf (erratum 2).
  walk(doc, (o) => {
    if (typeof o.$ref === 'string') o.$ref = o.$ref.replace('/properties/query/oneOf/', '/properties/query/anyOf/');
  });
  const schemas = (doc.components as Doc).schemas as Record<string, Doc>;
  // Erratum 3: UnSubscribeRequest requires "sunscription_codes", a typo of its own property subscription_codes.
  if (schemas.UnSubscribeRequest) schemas.UnSubscribeRequest.required = ['transaction_id', 'timestamp', 'subscription_codes'];
  return doc;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('int32', true);
ajv.addFormat('binary', true);
ajv.addSchema({ ...patch(load('social_api_v1.0.0.yaml')), $id: 'social' });
ajv.addSchema({ ...patch(load('registry_core_api_v1.0.0.yaml')), $id: 'core' });

const cache = new Map<string, ValidateFunction>();

/** JSON pointer of an operation's request body, of its default response, of a shared response. */
export const requestOf = (path: string) => `#/paths/${path.replaceAll('/', '~1')}/post/requestBody/content/application~1json/schema`;
export const responseOf = (path: string, status = 'default') =>
  `#/paths/${path.replaceAll('/', '~1')}/post/responses/${status}/content/application~1json/schema`;
export const ACK = '#/components/responses/Response/content/application~1json/schema';
export const HTTP_ERROR = '#/components/responses/HttpErrorResponse/content/application~1json/schema';

/** The validation errors of `data` against a schema of the spec ('social' or 'core'); [] when valid. */
export function specErrors(doc: 'social' | 'core', pointer: string, data: unknown): string[] {
  const ref = `${doc}${pointer}`;
  let validate = cache.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    cache.set(ref, validate);
  }
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
