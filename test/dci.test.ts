/**
 * The DCI Social Registry API, registry side (docs/integration.md, "DCI Social Registry API"): signed requests from
 * registered partners, sync and async search, subscribe / notify / unsubscribe, txn status, and the partner
 * registry. Every message, ours and the partner's, is validated against the spec's own schemas
 * (test/support/dci-spec.ts over the vendored YAML). Callbacks go to a real HTTP receiver on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { base64url, CompactSign, compactVerify, createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { makeNationalId } from '../src/core/national-id.js';
import { createDciSigner } from '../src/modules/dci/dci.signing.js';
import { closeTestApp, startTestApp, type JsonBody, type TestApp } from './support/app.js';
import { ACK, HTTP_ERROR, requestOf, responseOf, specErrors } from './support/dci-spec.js';
import { assess, DA_SAR, LAT, ok } from './support/people.js';

let t: TestApp;
let receiver: Server;
let base: string;
const received: { path: string; body: JsonBody }[] = [];
let waiters: { path: string; action: string; resolve: (b: JsonBody) => void }[] = [];

interface PartnerKeys {
  privateKey: CryptoKey;
  publicJwk: JWK;
}
async function keys(kid: string): Promise<PartnerKeys> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' } };
}
let spmis: PartnerKeys;
let stranger: PartnerKeys;

/** The test's own canonical JSON (keys sorted at every level), written independently of the app's. */
const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v && typeof v === 'object'
      ? `{${Object.keys(v)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v);

async function sign(k: PartnerKeys, header: unknown, message: unknown): Promise<string> {
  const jws = await new CompactSign(new TextEncoder().encode(canonical({ header, message })))
    .setProtectedHeader({ alg: 'ES256', kid: k.publicJwk.kid! })
    .sign(k.privateKey);
  const [h, , s] = jws.split('.');
  return `${h}..${s}`;
}

/** Verifies one of An Sinh's messages against the keys it publishes at /.well-known/jwks.json. */
async function verifiedByAnSinh(envelope: JsonBody): Promise<boolean> {
  const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
  const [h, , s] = String(envelope.signature).split('.');
  try {
    await compactVerify(`${h}.${base64url.encode(canonical({ header: envelope.header, message: envelope.message }))}.${s}`, createLocalJWKSet(jwks));
    return true;
  } catch {
    return false;
  }
}

let messageSerial = 0;
const header = (action: string, sender = 'spmis.test', extra: Record<string, unknown> = {}) => ({
  version: '1.0.0',
  message_id: `m-${messageSerial++}`,
  message_ts: new Date().toISOString(),
  action,
  sender_id: sender,
  receiver_id: 'an-sinh',
  total_count: 1,
  ...extra,
});

async function post(path: string, body: unknown) {
  const res = await t.app.inject({ method: 'POST', url: `/dci/registry/${path}`, payload: body as object });
  return { status: res.statusCode, body: res.json() };
}

async function signedPost(
  path: string,
  action: string,
  message: unknown,
  opts: { keys?: PartnerKeys; sender?: string; header?: Record<string, unknown> } = {},
) {
  const h = header(action, opts.sender, opts.header);
  return post(path, { signature: await sign(opts.keys ?? spmis, h, message), header: h, message });
}

/** The next callback with this header action, or the one already received. */
function nextCallback(action: string): Promise<JsonBody> {
  const i = received.findIndex((r) => r.body.header?.action === action);
  if (i >= 0) return Promise.resolve(received.splice(i, 1)[0]!.body);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no ${action} callback`));
    }, 10_000);
    waiters.push({
      path: '',
      action,
      resolve: (b) => {
        clearTimeout(timer);
        resolve(b);
      },
    });
  });
}

const searchItem = (ref: string, criteria: Record<string, unknown>, locale?: string) => ({
  reference_id: ref,
  timestamp: new Date().toISOString(),
  search_criteria: { version: '1.0.0', ...criteria },
  ...(locale ? { locale } : {}),
});
const searchMessage = (...items: ReturnType<typeof searchItem>[]) => ({ transaction_id: `txn-${messageSerial++}`, search_request: items });

async function savePartner(input: Record<string, unknown>) {
  const admin = await t.token('admin');
  return t.gql(
    `mutation($input: DciPartnerInput!) { saveDciPartner(input: $input) { senderId keyIds callbackUris scopes rateLimitPerMinute active } }`,
    { input },
    admin,
  );
}

let nidSerial = 700;
interface Seeded {
  id: string;
  nationalId: string;
  fullName: string;
  dateOfBirth: string;
  sex: 'MALE' | 'FEMALE';
  householdId: string;
}
const people: Seeded[] = [];

async function registerPerson(fullName: string, dateOfBirth: string, sex: 'MALE' | 'FEMALE', householdId: string, isHead: boolean, communeCode = DA_SAR) {
  const nationalId = makeNationalId('068', Number(dateOfBirth.slice(0, 4)), sex, nidSerial++);
  const r = await t.gql(`mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id } }`, {
    input: { nationalId, fullName, dateOfBirth, sex, ethnicity: "K'Ho", communeCode, householdId, relationToHead: isHead ? null : 'Vợ', isHead },
  });
  const p = { id: ok(r, 'registerPerson').id as string, nationalId, fullName, dateOfBirth, sex, householdId };
  if (communeCode === DA_SAR) people.push(p);
  return p;
}

async function registerHousehold(code: string, communeCode = DA_SAR) {
  const r = await t.gql(`mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`, {
    input: { code, communeCode, villageCode: `${communeCode}.01`, address: 'Thôn 2' },
  });
  return ok(r, 'registerHousehold').id as string;
}

const idsOf = (records: JsonBody[]) => records.map((r) => String(r['@id']).replace('urn:an-sinh:person:', ''));

beforeAll(async () => {
  t = await startTestApp();
  receiver = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const body: JsonBody = JSON.parse(data);
      const w = waiters.find((x) => x.action === body.header?.action);
      if (w) {
        waiters = waiters.filter((x) => x !== w);
        w.resolve(body);
      } else received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  spmis = await keys('spmis-1');
  stranger = await keys('stranger-1');
  ok(
    await savePartner({
      senderId: 'spmis.test',
      name: 'SPMIS thử nghiệm',
      jwks: { keys: [spmis.publicJwk] },
      callbackUris: [`${base}/callback`],
      scopes: ['dci:search', 'dci:subscribe', 'person:national_id'],
      rateLimitPerMinute: 1000,
    }),
  );
  ok(
    await savePartner({
      senderId: 'narrow.test',
      name: 'Đối tác hạn chế',
      jwks: { keys: [stranger.publicJwk] },
      callbackUris: [`${base}/narrow`],
      scopes: ['dci:search'],
      rateLimitPerMinute: 1000,
    }),
  );
  // Elderly people (80 and over: a beneficiary group) in two households of Đạ Sar, a poor household among them.
  const h1 = await registerHousehold('DCI-H1');
  await registerPerson('Nguyễn Văn An', '1931-04-02', 'MALE', h1, true);
  await registerPerson('Trần Thị Bích', '1934-11-20', 'FEMALE', h1, false);
  await assess(t, h1, 'POOR');
  const h2 = await registerHousehold('DCI-H2');
  await registerPerson('Lê Văn Cường', '1938-01-15', 'MALE', h2, true);
  await registerPerson('Phạm Thị Dung', '1940-07-30', 'FEMALE', h2, false);
  await registerPerson('Hoàng Văn Em', '1943-03-09', 'MALE', h2, false);
  // Someone elsewhere, who a Đạ Sar search must not return.
  const h3 = await registerHousehold('DCI-H3', LAT);
  await registerPerson('Đỗ Văn Giang', '1935-05-05', 'MALE', h3, true, LAT);
}, 120_000);

afterAll(async () => {
  await closeTestApp(t);
  await new Promise((resolve) => receiver.close(resolve));
});

describe('sync search', () => {
  it('finds a person by the 12-digit identification number, answers in the spec schema, signed by An Sinh', async () => {
    const target = people[1]!;
    const message = searchMessage(searchItem('r1', { query_type: 'idtype-value', query: { type: 'UIN', value: target.nationalId } }));
    const h = header('search');
    const body = { signature: await sign(spmis, h, message), header: h, message };
    expect(specErrors('social', requestOf('/registry/sync/search'), body)).toEqual([]);
    const r = await post('sync/search', body);
    expect(r.status).toBe(200);
    expect(specErrors('social', responseOf('/registry/sync/search'), r.body)).toEqual([]);
    expect(await verifiedByAnSinh(r.body)).toBe(true);
    expect(r.body.header).toMatchObject({ action: 'on-search', status: 'succ', sender_id: 'an-sinh', receiver_id: 'spmis.test' });
    const item = r.body.message.search_response[0];
    expect(item).toMatchObject({ reference_id: 'r1', status: 'succ', pagination: { total_count: 1, page_number: 1 } });
    const [record] = item.data.reg_records;
    expect(idsOf([record])).toEqual([target.id]);
    expect(record.demographic_info).toMatchObject({
      identifier: [{ identifier_type: 'UIN', identifier_value: target.nationalId }],
      name: { surname: 'Trần', second_name: 'Thị', given_name: 'Bích' },
      sex: 'female',
      birth_date: '1934-11-20T00:00:00Z',
    });
    // No benefits:read scope: neither disability nor poverty classification; ethnicity is never sent.
    expect(record).not.toHaveProperty('is_disabled');
    expect(record).not.toHaveProperty('additional_attributes');
    expect(JSON.stringify(record)).not.toContain('Ho');
  });

  it('finds by expression the people of a commune born before a date, sorted and paged', async () => {
    const query = {
      type: 'ns:an-sinh:QueryType:NoSql',
      value: { expression: { collection: 'Person', query: { $and: [{ commune_code: { $eq: DA_SAR } }, { birth_date: { $lt: '1940-01-01' } }] } } },
    };
    const message = searchMessage(
      searchItem('p1', {
        query_type: 'expression',
        query,
        sort: [{ attribute_name: 'birth_date', sort_order: 'desc' }],
        pagination: { page_size: 2, page_number: 1 },
      }),
      searchItem('p2', {
        query_type: 'expression',
        query,
        sort: [{ attribute_name: 'birth_date', sort_order: 'desc' }],
        pagination: { page_size: 2, page_number: 2 },
      }),
    );
    const h = header('search');
    const body = { signature: await sign(spmis, h, message), header: h, message };
    expect(specErrors('social', requestOf('/registry/sync/search'), body)).toEqual([]);
    const r = await post('sync/search', body);
    expect(specErrors('social', responseOf('/registry/sync/search'), r.body)).toEqual([]);
    const expected = people
      .filter((p) => p.dateOfBirth < '1940-01-01')
      .sort((a, b) => b.dateOfBirth.localeCompare(a.dateOfBirth))
      .map((p) => p.id);
    const [page1, page2] = r.body.message.search_response;
    expect(page1.pagination).toEqual({ page_size: 2, page_number: 1, total_count: expected.length });
    expect([...idsOf(page1.data.reg_records), ...idsOf(page2.data.reg_records)]).toEqual(expected);
  });

  it('answers a predicate query exactly as the dates say, whatever the threshold (property)', async () => {
    const dates = people.map((p) => p.dateOfBirth);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...dates, '1930-01-01', '1950-01-01'),
        fc.constantFrom('lt', 'le', 'gt', 'ge', 'eq'),
        fc.constantFrom('male', 'female'),
        async (d, op, sex) => {
          const query = [
            { seq_num: 1, expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } },
            {
              seq_num: 2,
              expression1: { attribute_name: 'birth_date', operator: op, attribute_value: d },
              condition: 'not',
              expression2: { attribute_name: 'sex', operator: 'eq', attribute_value: sex },
            },
          ];
          const message = searchMessage(searchItem('q', { query_type: 'predicate', query, pagination: { page_size: 200 } }));
          const h = header('search');
          const body = { signature: await sign(spmis, h, message), header: h, message };
          expect(specErrors('social', requestOf('/registry/sync/search'), body)).toEqual([]);
          const r = await post('sync/search', body);
          const cmp = { lt: (a: string) => a < d, le: (a: string) => a <= d, gt: (a: string) => a > d, ge: (a: string) => a >= d, eq: (a: string) => a === d }[
            op
          ];
          const expected = people.filter((p) => cmp(p.dateOfBirth) && p.sex !== sex.toUpperCase()).map((p) => p.id);
          expect(new Set(idsOf(r.body.message.search_response[0].data.reg_records))).toEqual(new Set(expected));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('returns households as Groups when asked, with their members', async () => {
    const query = [{ expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } }];
    const r = await signedPost('sync/search', 'search', searchMessage(searchItem('g', { query_type: 'predicate', query, response_entity: 'Group' })));
    expect(specErrors('social', responseOf('/registry/sync/search'), r.body)).toEqual([]);
    const groups = r.body.message.search_response[0].data.reg_records;
    expect(groups.map((g: JsonBody) => g.group_identifier[0].identifier_value).sort()).toEqual(['DCI-H1', 'DCI-H2']);
    expect(groups.find((g: JsonBody) => g.group_identifier[0].identifier_value === 'DCI-H2').group_size).toBe(3);
  });

  it('leaves out the identification number for a partner without person:national_id', async () => {
    const target = people[0]!;
    const r = await signedPost(
      'sync/search',
      'search',
      searchMessage(searchItem('n', { query_type: 'idtype-value', query: { type: 'UIN', value: target.nationalId } })),
      {
        keys: stranger,
        sender: 'narrow.test',
      },
    );
    const [record] = r.body.message.search_response[0].data.reg_records;
    expect(idsOf([record])).toEqual([target.id]);
    expect(JSON.stringify(record)).not.toContain(target.nationalId);
    expect(record).not.toHaveProperty('member_identifier');
  });

  it('rejects a bad query item by item with the spec reason codes, in Vietnamese when the locale says so', async () => {
    const r = await signedPost(
      'sync/search',
      'search',
      searchMessage(
        searchItem('bad-id', { query_type: 'idtype-value', query: { type: 'UIN', value: '123' } }, 'vie'),
        searchItem('bad-sort', {
          query_type: 'predicate',
          query: [{ expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } }],
          sort: [{ attribute_name: 'income', sort_order: 'asc' }],
        }),
        searchItem('bad-page', {
          query_type: 'predicate',
          query: [{ expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } }],
          pagination: { page_size: 0 },
        }),
        searchItem('group', {
          query_type: 'predicate',
          query: [
            { expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } },
            { expression1: { attribute_name: 'group', operator: 'eq', attribute_value: 'POOR_HOUSEHOLD' } },
          ],
        }),
      ),
    );
    expect(specErrors('social', responseOf('/registry/sync/search'), r.body)).toEqual([]);
    expect(r.body.header.status).toBe('rjct');
    expect(r.body.message.search_response.map((i: JsonBody) => [i.reference_id, i.status, i.status_reason_code])).toEqual([
      ['bad-id', 'rjct', 'rjct.search_criteria.invalid'],
      ['bad-sort', 'rjct', 'rjct.sort.invalid'],
      ['bad-page', 'rjct', 'rjct.pagination.invalid'],
      ['group', 'rjct', 'rjct.search_criteria.invalid'],
    ]);
    expect(r.body.message.search_response[0].status_reason_message).toBe('số định danh phải gồm đúng 12 chữ số');
  });
});

describe('signatures and senders', () => {
  const message = () => searchMessage(searchItem('s', { query_type: 'idtype-value', query: { type: 'UIN', value: people[0]!.nationalId } }));

  it('refuses an unsigned request with err.signature.missing', async () => {
    const r = await post('sync/search', { header: header('search'), message: message() });
    expect(r.status).toBe(401);
    expect(specErrors('social', HTTP_ERROR, r.body)).toEqual([]);
    expect(r.body.errors[0]).toMatchObject({ code: 'err.signature.missing' });
  });

  it('refuses a request signed with another key, or altered after signing, with err.signature.invalid', async () => {
    const h = header('search');
    const m = message();
    const wrongKey = await post('sync/search', { signature: await sign(stranger, h, m), header: h, message: m });
    const altered = await post('sync/search', {
      signature: await sign(spmis, h, m),
      header: h,
      message: {
        ...m,
        search_request: [{ ...m.search_request[0]!, search_criteria: { query_type: 'idtype-value', query: { type: 'UIN', value: people[1]!.nationalId } } }],
      },
    });
    for (const r of [wrongKey, altered]) {
      expect(r.status).toBe(401);
      expect(specErrors('social', HTTP_ERROR, r.body)).toEqual([]);
      expect(r.body.errors[0].code).toBe('err.signature.invalid');
    }
  });

  it('refuses an unknown sender, a wrong receiver and an unsupported version with their codes', async () => {
    const unknown = await signedPost('sync/search', 'search', message(), { sender: 'nobody.test' });
    expect([unknown.status, unknown.body.errors[0].code]).toEqual([401, 'err.sender_id.invalid']);
    const receiver = await signedPost('sync/search', 'search', message(), { header: { receiver_id: 'someone-else' } });
    expect(receiver.status).toBe(400);
    expect(specErrors('social', ACK, receiver.body)).toEqual([]);
    expect(receiver.body.message).toMatchObject({ ack_status: 'ERR', error: { code: 'err.receiver_id.invalid' } });
    const version = await signedPost('sync/search', 'search', message(), { header: { version: '2.0.0' } });
    expect(version.body.message.error.code).toBe('err.version.not_supported');
  });

  it('holds a partner to its rate limit with err.request.too_many_requests; forged requests do not count', async () => {
    const k = await keys('tight-1');
    ok(
      await savePartner({
        senderId: 'tight.test',
        name: 'Tight',
        jwks: { keys: [k.publicJwk] },
        callbackUris: [`${base}/tight`],
        scopes: ['dci:search'],
        rateLimitPerMinute: 2,
      }),
    );
    // Requests in the partner's name that it did not sign are refused without using up its quota.
    const forged: number[] = [];
    for (let i = 0; i < 3; i++) forged.push((await signedPost('sync/search', 'search', message(), { keys: stranger, sender: 'tight.test' })).status);
    expect(forged).toEqual([401, 401, 401]);
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await signedPost('sync/search', 'search', message(), { keys: k, sender: 'tight.test' })).status);
    expect(codes).toEqual([200, 200, 429]);
  });
});

describe('async search and txn status', () => {
  it('ACKs, then POSTs the signed result to the on-search callback; txn/status tells it succeeded', async () => {
    const target = people[2]!;
    const message = searchMessage(searchItem('a1', { query_type: 'idtype-value', query: { type: 'NationalID', value: target.nationalId } }));
    const h = header('search', 'spmis.test', { sender_uri: `${base}/callback` });
    const body = { signature: await sign(spmis, h, message), header: h, message };
    expect(specErrors('social', requestOf('/registry/search'), body)).toEqual([]);
    const r = await post('search', body);
    expect(r.status).toBe(202);
    expect(specErrors('social', ACK, r.body)).toEqual([]);
    expect(r.body.message.ack_status).toBe('ACK');
    const callback = await nextCallback('on-search');
    expect(specErrors('social', requestOf('/registry/on-search'), callback)).toEqual([]);
    expect(await verifiedByAnSinh(callback)).toBe(true);
    expect(callback.message.correlation_id).toBe(r.body.message.correlation_id);
    expect(idsOf(callback.message.search_response[0].data.reg_records)).toEqual([target.id]);

    const statusMessage = {
      transaction_id: 'status-1',
      txnstatus_request: { reference_id: 's1', txn_type: 'search', attribute_type: 'transaction_id', attribute_value: message.transaction_id },
    };
    const sh = header('txn-status');
    const statusBody = { signature: await sign(spmis, sh, statusMessage), header: sh, message: statusMessage };
    expect(specErrors('core', requestOf('/registry/sync/txn/status'), statusBody)).toEqual([]);
    const status = await post('sync/txn/status', statusBody);
    expect(status.status).toBe(200);
    expect(specErrors('core', responseOf('/registry/sync/txn/status'), status.body)).toEqual([]);
    expect(status.body.message.txnstatus_response).toMatchObject({
      txn_type: 'on-search',
      txn_status: { correlation_id: r.body.message.correlation_id, search_response: [{ reference_id: 'a1', status: 'succ' }] },
    });
    // Statuses only: the records are not served again.
    expect(JSON.stringify(status.body)).not.toContain(target.nationalId);
  });

  it('never calls a sender_uri that is not on the partner list: err.sender_uri.invalid', async () => {
    const before = received.length;
    const r = await signedPost(
      'search',
      'search',
      searchMessage(searchItem('x', { query_type: 'idtype-value', query: { type: 'UIN', value: people[0]!.nationalId } })),
      {
        header: { sender_uri: `${base}/elsewhere` },
      },
    );
    expect(r.status).toBe(403);
    expect(specErrors('social', HTTP_ERROR, r.body)).toEqual([]);
    expect(r.body.errors[0].code).toBe('err.sender_uri.invalid');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.slice(before).filter((x) => x.path === '/elsewhere')).toEqual([]);
    expect(received.length).toBe(before);
  });
});

/** A subscription to the deaths of Đạ Sar's people, as a partner sends it. */
function deathSubscription(transactionId: string, referenceId: string) {
  return {
    transaction_id: transactionId,
    subscribe_request: [
      {
        reference_id: referenceId,
        timestamp: new Date().toISOString(),
        subscribe_criteria: {
          reg_event_type: 'DEATH',
          filter_type: 'predicate',
          filter: [{ expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } }],
          notify_record_type: 'spdci-social:Member',
        },
      },
    ],
  };
}

describe('subscribe, notify, unsubscribe', () => {
  it('notifies a death to a subscriber with a valid signature, and stops after unsubscribe', async () => {
    const subscribeMessage = deathSubscription('sub-1', 'd1');
    const h = header('subscribe', 'spmis.test', { sender_uri: `${base}/callback` });
    const body = { signature: await sign(spmis, h, subscribeMessage), header: h, message: subscribeMessage };
    expect(specErrors('core', requestOf('/registry/subscribe'), body)).toEqual([]);
    const r = await post('subscribe', body);
    expect(r.status).toBe(202);
    expect(specErrors('core', ACK, r.body)).toEqual([]);
    const onSubscribe = await nextCallback('on-subscribe');
    expect(specErrors('core', requestOf('/registry/on-subscribe'), onSubscribe)).toEqual([]);
    expect(await verifiedByAnSinh(onSubscribe)).toBe(true);
    const code = onSubscribe.message.subscribe_response[0].subscriptions[0].code as string;

    // The death is recorded through GraphQL; the change-event dispatcher (one tick of it here) sends the notify.
    const dead = people[4]!;
    ok(await t.gql(`mutation($id: ID!) { recordDeath(personId: $id, dateOfDeath: "2026-01-10") { id } }`, { id: dead.id }));
    await t.app.services.changes.dispatcher.runOnce();
    const notify = await nextCallback('notify');
    expect(specErrors('core', requestOf('/registry/notify'), notify)).toEqual([]);
    expect(await verifiedByAnSinh(notify)).toBe(true);
    const dci = t.app.services.dci;
    const event = { id: 'evt-death-1', type: 'DEATH' as const, personId: dead.id, occurredAt: new Date() };
    const subscriptions = await dci.subscriptionsFor(event);
    expect(subscriptions.map((s) => s.code)).toEqual([code]);
    expect(notify.message.notify_event[0]).toMatchObject({
      reference_id: expect.stringMatching(/^an-sinh-\d+$/),
      data: {
        reg_event_type: 'DEATH',
        subscription_code: code,
        reg_records: { '@id': `urn:an-sinh:person:${dead.id}`, demographic_info: { death_date: '2026-01-10T00:00:00Z' } },
      },
    });

    // Someone outside the filtered commune is not notified.
    const elsewhere = await registerPerson('Vũ Văn Hải', '1936-02-02', 'MALE', await registerHousehold('DCI-H4', LAT), true, LAT);
    expect(await dci.deliverNotify(subscriptions[0]!, { ...event, id: 'evt-2', personId: elsewhere.id })).toEqual({ delivered: false, reason: 'FILTERED' });

    const unsubscribeMessage = { transaction_id: 'unsub-1', timestamp: new Date().toISOString(), subscription_codes: [code] };
    const uh = header('unsubscribe', 'spmis.test', { sender_uri: `${base}/callback` });
    const ubody = { signature: await sign(spmis, uh, unsubscribeMessage), header: uh, message: unsubscribeMessage };
    expect(specErrors('core', requestOf('/registry/unsubscribe'), ubody)).toEqual([]);
    expect((await post('unsubscribe', ubody)).status).toBe(202);
    const onUnsubscribe = await nextCallback('on-unsubscribe');
    expect(specErrors('core', requestOf('/registry/on-unsubscribe'), onUnsubscribe)).toEqual([]);
    expect(onUnsubscribe.message).toMatchObject({ status: 'succ', subscription_status: [{ code, status: 'unsubscribe' }] });
    const before = received.length;
    expect(await dci.deliverNotify(subscriptions[0]!, event)).toEqual({ delivered: false, reason: 'UNSUBSCRIBED' });
    expect(received.length).toBe(before);
    // Audited: the subscription's start and end.
    const audit = await t.db.database.db.execute(
      `SELECT action FROM audit_events WHERE entity_type = 'dci_subscription' AND entity_id = '${code}' ORDER BY seq`,
    );
    expect(audit.rows.map((row) => row.action)).toEqual(['dci.subscribe', 'dci.unsubscribe']);
  });

  it('does not notify at a URI the partner list no longer holds, and refuses benefits events without benefits:read', async () => {
    const k = await keys('moving-1');
    const input = {
      senderId: 'moving.test',
      name: 'Moving',
      jwks: { keys: [k.publicJwk] },
      callbackUris: [`${base}/old`],
      scopes: ['dci:subscribe'],
      rateLimitPerMinute: 100,
    };
    ok(await savePartner(input));
    const message = {
      transaction_id: 'sub-2',
      subscribe_request: ['DEATH', 'POVERTY_CLASSIFICATION_CHANGE'].map((type, i) => ({
        reference_id: `m${i}`,
        timestamp: new Date().toISOString(),
        subscribe_criteria: {
          reg_event_type: type,
          filter: [{ expression1: { attribute_name: 'commune_code', operator: 'in', attribute_value: [DA_SAR] } }],
          notify_record_type: 'spdci-social:Member',
        },
      })),
    };
    const r = await signedPost('subscribe', 'subscribe', message, { keys: k, sender: 'moving.test' });
    expect(r.status).toBe(202);
    const onSubscribe = await nextCallback('on-subscribe');
    expect(onSubscribe.message.subscribe_response.map((i: JsonBody) => [i.status, i.status_reason_code])).toEqual([
      ['succ', undefined],
      ['rjct', 'rjct.notify_types.invalid'],
    ]);
    const [subscription] = await t.app.services.dci.subscriptionsFor({ type: 'DEATH' }).then((s) => s.filter((x) => x.senderId === 'moving.test'));
    ok(await savePartner({ ...input, callbackUris: [`${base}/new`] }));
    const before = received.length;
    expect(await t.app.services.dci.deliverNotify(subscription!, { id: 'evt-3', type: 'DEATH', personId: people[4]!.id, occurredAt: new Date() })).toEqual({
      delivered: false,
      reason: 'URI_NOT_ALLOWED',
    });
    expect(received.length).toBe(before);
  });
});

describe('scopes', () => {
  it('gives poverty classification and disability, and group searches, to a partner holding benefits:read', async () => {
    const k = await keys('social-1');
    ok(
      await savePartner({
        senderId: 'social.test',
        name: 'Social',
        jwks: { keys: [k.publicJwk] },
        callbackUris: [`${base}/social`],
        scopes: ['dci:search', 'benefits:read'],
      }),
    );
    const query = [
      { expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } },
      { expression1: { attribute_name: 'group', operator: 'eq', attribute_value: 'POOR_HOUSEHOLD' } },
    ];
    const r = await signedPost('sync/search', 'search', searchMessage(searchItem('poor', { query_type: 'predicate', query })), {
      keys: k,
      sender: 'social.test',
    });
    expect(specErrors('social', responseOf('/registry/sync/search'), r.body)).toEqual([]);
    const records = r.body.message.search_response[0].data.reg_records;
    const poorHousehold = people.filter((p) => p.householdId === people[0]!.householdId).map((p) => p.id);
    expect(new Set(idsOf(records))).toEqual(new Set(poorHousehold));
    for (const record of records) {
      expect(record).toMatchObject({ is_disabled: false, additional_attributes: [{ name: 'poverty_classification', value: 'POOR' }] });
      // No person:national_id scope: the number is left out.
      expect(record).not.toHaveProperty('member_identifier');
    }
  });
});

describe('access log', () => {
  /** The access events of a person, as an auditor reads them. */
  const eventsOf = async (personId: string) =>
    ok(
      await t.gql(
        `query($id: ID!) { accessLog(personId: $id) { actor actorRole requestId operation fieldGroups } }`,
        { id: personId },
        await t.token('auditor'),
      ),
      'accessLog',
    ) as JsonBody[];

  it('logs each sync and async search and each notify that sends sensitive groups, with the partner as the reader', async () => {
    const k = await keys('logged-1');
    ok(
      await savePartner({
        senderId: 'logged.test',
        name: 'Logged',
        jwks: { keys: [k.publicJwk] },
        callbackUris: [`${base}/logged`],
        scopes: ['dci:search', 'dci:subscribe', 'benefits:read'],
      }),
    );
    const target = people[0]!;
    const before = (await eventsOf(target.id)).length;
    // Sync: by identification number (the record carries disability and poverty: health and financial).
    const byId = searchMessage(searchItem('l1', { query_type: 'idtype-value', query: { type: 'UIN', value: target.nationalId } }));
    const sync = await signedPost('sync/search', 'search', byId, { keys: k, sender: 'logged.test' });
    expect(idsOf(sync.body.message.search_response[0].data.reg_records)).toEqual([target.id]);
    let events = await eventsOf(target.id);
    expect(events).toHaveLength(before + 1);
    expect(events[0]).toMatchObject({ actor: 'dci:logged.test', actorRole: 'integration', operation: 'dci.search', fieldGroups: ['FINANCIAL', 'HEALTH'] });

    // Async: households of a commune (Groups), logged before the callback is sent.
    const groups = searchMessage(
      searchItem('l2', {
        query_type: 'predicate',
        query: [{ expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } }],
        response_entity: 'Group',
      }),
    );
    const h = header('search', 'logged.test', { sender_uri: `${base}/logged` });
    const ack = await post('search', { signature: await sign(k, h, groups), header: h, message: groups });
    expect(ack.status).toBe(202);
    const callback = await nextCallback('on-search');
    expect(callback.message.correlation_id).toBe(ack.body.message.correlation_id);
    events = await eventsOf(target.id);
    expect(events).toHaveLength(before + 2);
    expect(events[0]).toMatchObject({ actor: 'dci:logged.test', operation: 'dci.search', requestId: ack.body.message.correlation_id });

    // Notify: a subscription to deaths, one notify sent to the partner.
    const subscribe = deathSubscription('sub-logged', 'ld1');
    const sh = header('subscribe', 'logged.test', { sender_uri: `${base}/logged` });
    expect((await post('subscribe', { signature: await sign(k, sh, subscribe), header: sh, message: subscribe })).status).toBe(202);
    const code = (await nextCallback('on-subscribe')).message.subscribe_response[0].subscriptions[0].code as string;
    const dci = t.app.services.dci;
    const [subscription] = (await dci.subscriptionsFor({ type: 'DEATH' })).filter((x) => x.code === code);
    expect(await dci.deliverNotify(subscription!, { id: 'evt-logged-1', type: 'DEATH', personId: target.id, occurredAt: new Date() })).toMatchObject({
      delivered: true,
    });
    await nextCallback('notify');
    events = await eventsOf(target.id);
    expect(events).toHaveLength(before + 3);
    expect(events[0]).toMatchObject({
      actor: 'dci:logged.test',
      operation: 'dci.notify',
      requestId: 'evt-logged-1',
      fieldGroups: ['HEALTH', 'FINANCIAL'].sort(),
    });
  });

  it('writes no event for a partner that got no sensitive group (identity and residence only, as GraphQL)', async () => {
    const target = people[1]!;
    const before = (await eventsOf(target.id)).length;
    const message = searchMessage(searchItem('l3', { query_type: 'idtype-value', query: { type: 'UIN', value: target.nationalId } }));
    const r = await signedPost('sync/search', 'search', message);
    expect(idsOf(r.body.message.search_response[0].data.reg_records)).toEqual([target.id]);
    expect(await eventsOf(target.id)).toHaveLength(before);
  });
});

describe('more refusals', () => {
  it('answers a malformed message with an ERR acknowledgement and err.request.bad', async () => {
    const r = await signedPost('sync/search', 'search', { transaction_id: 'bad', search_request: [{ reference_id: 'x' }] });
    expect(r.status).toBe(400);
    expect(specErrors('social', ACK, r.body)).toEqual([]);
    expect(r.body.message).toMatchObject({ ack_status: 'ERR', error: { code: 'err.request.bad', message: expect.stringContaining('search_request.0') } });
  });

  it('refuses a suspended partner with err.sender_id.invalid', async () => {
    const k = await keys('paused-1');
    const input = {
      senderId: 'paused.test',
      name: 'Paused',
      jwks: { keys: [k.publicJwk] },
      callbackUris: [`${base}/paused`],
      scopes: ['dci:search'],
      active: false,
    };
    expect(ok(await savePartner(input), 'saveDciPartner').active).toBe(false);
    const r = await signedPost(
      'sync/search',
      'search',
      searchMessage(searchItem('s', { query_type: 'idtype-value', query: { type: 'UIN', value: people[0]!.nationalId } })),
      {
        keys: k,
        sender: 'paused.test',
      },
    );
    expect([r.status, r.body.errors[0].code]).toEqual([401, 'err.sender_id.invalid']);
  });

  it('does not let a partner end another partner subscription', async () => {
    const subscribeMessage = {
      transaction_id: 'sub-other',
      subscribe_request: [
        {
          reference_id: 'o1',
          timestamp: new Date().toISOString(),
          subscribe_criteria: {
            reg_event_type: 'REGISTER',
            filter: [{ expression1: { attribute_name: 'commune_code', operator: 'eq', attribute_value: DA_SAR } }],
            notify_record_type: 'spdci-social:Member',
          },
        },
      ],
    };
    await signedPost('subscribe', 'subscribe', subscribeMessage);
    const code = (await nextCallback('on-subscribe')).message.subscribe_response[0].subscriptions[0].code as string;
    const k = await keys('other-1');
    ok(await savePartner({ senderId: 'other.test', name: 'Other', jwks: { keys: [k.publicJwk] }, callbackUris: [`${base}/other`], scopes: ['dci:subscribe'] }));
    const r = await signedPost(
      'unsubscribe',
      'unsubscribe',
      { transaction_id: 'u-other', timestamp: new Date().toISOString(), subscription_codes: [code] },
      { keys: k, sender: 'other.test' },
    );
    expect(r.status).toBe(202);
    const answer = await nextCallback('on-unsubscribe');
    expect(specErrors('core', requestOf('/registry/on-unsubscribe'), answer)).toEqual([]);
    expect(answer.message).toMatchObject({ status: 'rjct', status_reason_code: 'rjct.subscription_code.invalid', subscription_status: [] });
    expect((await t.app.services.dci.subscriptionsFor({ type: 'REGISTER' })).map((x) => x.code)).toContain(code);
  });
});

describe('async txn status', () => {
  it('ACKs and POSTs the status to txn/on-status, in the spec schema', async () => {
    const message = searchMessage(searchItem('t1', { query_type: 'idtype-value', query: { type: 'UIN', value: people[0]!.nationalId } }));
    const sync = await signedPost('sync/search', 'search', message);
    const statusMessage = {
      transaction_id: 'status-2',
      txnstatus_request: { reference_id: 's2', txn_type: 'search', attribute_type: 'correlation_id', attribute_value: sync.body.message.correlation_id },
    };
    const h = header('txn-status', 'spmis.test', { sender_uri: `${base}/callback` });
    const body = { signature: await sign(spmis, h, statusMessage), header: h, message: statusMessage };
    expect(specErrors('core', requestOf('/registry/txn/status'), body)).toEqual([]);
    const r = await post('txn/status', body);
    expect(r.status).toBe(202);
    expect(specErrors('core', ACK, r.body)).toEqual([]);
    const callback = await nextCallback('txn-on-status');
    expect(specErrors('core', requestOf('/registry/txn/on-status'), callback)).toEqual([]);
    expect(await verifiedByAnSinh(callback)).toBe(true);
    expect(callback.message.txnstatus_response.txn_status.search_response).toEqual([{ reference_id: 't1', timestamp: expect.any(String), status: 'succ' }]);
  });

  it('answers an unknown transaction with err.request.not_found', async () => {
    const r = await signedPost('sync/txn/status', 'txn-status', {
      transaction_id: 'status-3',
      txnstatus_request: { reference_id: 's3', txn_type: 'search', attribute_type: 'transaction_id', attribute_value: 'never-sent' },
    });
    expect(r.status).toBe(404);
    expect(specErrors('core', HTTP_ERROR, r.body)).toEqual([]);
    expect(r.body.errors[0].code).toBe('err.request.not_found');
  });
});

describe('configuration of An Sinh key', () => {
  it('requires DCI_SIGNING_KEY in production and refuses one that is not a private JWK', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })).toThrow(/DCI_SIGNING_KEY: DCI_SIGNING_KEY is required in production/);
    expect(() => loadConfig({ DCI_SIGNING_KEY: '{"kty":"EC"}' })).toThrow(ConfigError);
    expect(loadConfig({}).dci).toEqual({ senderId: 'an-sinh', signingKey: undefined });
  });

  it('signs with the configured key and publishes only its public half', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'an-sinh-2026', alg: 'ES256' };
    const c = loadConfig({ DCI_SIGNING_KEY: JSON.stringify(privateJwk), DCI_SENDER_ID: 'an-sinh.example.vn' });
    expect(c.dci.senderId).toBe('an-sinh.example.vn');
    const signer = await createDciSigner(c.dci.signingKey);
    expect(signer.publicJwks.keys).toEqual([{ kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y, kid: 'an-sinh-2026', alg: 'ES256', use: 'sig' }]);
    const sig = await signer.sign({ a: 1 }, { b: 2 });
    const [h, , s2] = sig.split('.');
    const publicKey = createLocalJWKSet(signer.publicJwks);
    await expect(compactVerify(`${h}.${base64url.encode(canonical({ header: { a: 1 }, message: { b: 2 } }))}.${s2}`, publicKey)).resolves.toBeTruthy();
  });
});

describe('partner registry (admin)', () => {
  it('audits each registration with the key ids, not the keys', async () => {
    const r = await t.db.database.db.execute(
      `SELECT action, after FROM audit_events WHERE entity_type = 'dci_partner' AND entity_id = 'spmis.test' ORDER BY seq`,
    );
    expect(r.rows.map((row) => row.action)).toEqual(['dci.partner.register']);
    expect((r.rows[0]!.after as JsonBody).jwks).toEqual(['spmis-1']);
  });

  it('is for administrators only', async () => {
    const officer = await t.token('district_officer');
    const r = await t.gql(`{ dciPartners { senderId } }`, undefined, officer);
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses a private key, a bad URI and an unknown scope, field by field, writing nothing', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'p', alg: 'ES256' };
    const r = await savePartner({ senderId: 'bad.test', name: 'Bad', jwks: { keys: [privateJwk] }, callbackUris: ['ftp://x'], scopes: ['everything'] });
    const err = r.body.errors[0];
    expect(err.extensions.code).toBe('VALIDATION_FAILED');
    expect(err.extensions.problems.map((p: JsonBody) => p.field)).toEqual(['input.jwks.keys.0', 'input.callbackUris.0', 'input.scopes.0']);
    expect(err.extensions.messageVi).toBeTruthy();
    const admin = await t.token('admin');
    const list = ok(await t.gql(`{ dciPartners { senderId keyIds } }`, undefined, admin), 'dciPartners');
    expect(list.map((p: JsonBody) => p.senderId)).not.toContain('bad.test');
    expect(list.find((p: JsonBody) => p.senderId === 'spmis.test').keyIds).toEqual(['spmis-1']);
  });

  it('publishes An Sinh keys as the spec JWKS, public parts only', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(r.statusCode).toBe(200);
    const [key] = r.json().keys;
    expect(key).toMatchObject({ kty: 'EC', use: 'sig', alg: 'ES256' });
    expect(key.kid).toBeTruthy();
    expect(key).not.toHaveProperty('d');
  });
});
