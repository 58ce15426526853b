// Cross-checks the simulated org with jsforce, an independent and widely used Salesforce
// client: it authenticates with the sandbox's token endpoint (client credentials through
// jsforce's own OAuth2 code, and JWT bearer signed here with Node's crypto), reads a record by
// external ID, upserts (create, then update), queries with paging, and checks that every answer
// has the shape Salesforce gives. Any mismatch makes the process exit non-zero.
//
// Usage: node crosscheck.js BASE_URL   (run.sh starts the sandbox and passes its URL)
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const jsforce = require('jsforce');

const base = process.argv[2];
const VERSION = '66.0';
const CC_CLIENT = '3MVG9JSFORCECROSSCHECK';
const CC_SECRET = 'test-only-jsforce-secret';
const JWT_CLIENT = '3MVG9JSFORCEJWT';
const USERNAME = 'sf_account_sync_app@acme.example';
const USER_ID = '005Hn00000A0001IAB';
const ACME_ID = '001Hn00000A0001IAB';

let failures = 0;
function check(cond, what, detail) {
  if (cond) {
    console.log(`ok - ${what}`);
  } else {
    failures += 1;
    console.log(`not ok - ${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  }
}

async function expectError(promise) {
  try {
    const v = await promise;
    return { value: v };
  } catch (e) {
    return { error: e };
  }
}

function jwtAssertion() {
  const b64 = (buf) => Buffer.from(buf).toString('base64url');
  const header = b64(JSON.stringify({ alg: 'RS256' }));
  const claims = b64(JSON.stringify({ iss: JWT_CLIENT, sub: USERNAME, aud: 'https://login.salesforce.com', exp: Math.floor(Date.now() / 1000) + 180 }));
  const key = fs.readFileSync(path.join(__dirname, '..', 'data', 'test_only_rsa_key.pem'), 'utf8');
  const sig = crypto.createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key);
  return `${header}.${claims}.${b64(sig)}`;
}

async function main() {
  if (!base || !/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) {
    throw new Error(`expected the sandbox base URL as the argument, got ${JSON.stringify(base)}`);
  }

  // --- Auth: client credentials through jsforce's OAuth2 ---
  const conn = new jsforce.Connection({ oauth2: { loginUrl: base, clientId: CC_CLIENT, clientSecret: CC_SECRET }, version: VERSION });
  const userInfo = await conn.authorize({ grant_type: 'client_credentials' });
  check(userInfo.id === USER_ID, 'client credentials: the token acts as the run-as user', userInfo);
  check(userInfo.organizationId && userInfo.organizationId.startsWith('00D'), 'client credentials: the id URL names the org', userInfo);
  check(conn.instanceUrl === base, 'client credentials: instance_url is the sandbox', conn.instanceUrl);

  const identity = await conn.request('/services/oauth2/userinfo');
  check(identity.preferred_username === USERNAME && identity.user_id === USER_ID, 'userinfo names the integration user', identity);

  // --- Auth: JWT bearer, assertion signed by Node, sent through jsforce's OAuth2 ---
  const jwtConn = new jsforce.Connection({ oauth2: { loginUrl: base, clientId: JWT_CLIENT }, version: VERSION });
  const jwtUser = await jwtConn.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion() });
  check(jwtUser.id === USER_ID, 'JWT bearer: a Node-signed RS256 assertion is accepted', jwtUser);
  const badJwt = await expectError(new jsforce.Connection({ oauth2: { loginUrl: base, clientId: JWT_CLIENT }, version: VERSION })
    .authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion().replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) }));
  check(badJwt.error && /invalid_grant/.test(String(badJwt.error.name) + String(badJwt.error.message)), 'JWT bearer: a broken signature is invalid_grant', badJwt.error && { name: badJwt.error.name, message: badJwt.error.message });

  // --- Read by external ID (jsforce's generic REST call) and by Id (jsforce's retrieve) ---
  const byExt = await conn.request(`/services/data/v${VERSION}/sobjects/Account/billing_account_id__c/BA-1001`);
  check(byExt.Id === ACME_ID && byExt.Name === 'Acme GmbH', 'read by external ID returns the record', byExt);
  check(byExt.attributes && byExt.attributes.type === 'Account' && byExt.attributes.url === `/services/data/v${VERSION}/sobjects/Account/${ACME_ID}`, 'the record carries Salesforce attributes', byExt.attributes);
  check(byExt.LastModifiedDate === '2026-11-20T10:00:00.000+0000', 'datetimes use Salesforce\'s form', byExt.LastModifiedDate);
  check(Object.keys(byExt)[0] === 'attributes', 'attributes come first', Object.keys(byExt));
  const byId = await conn.sobject('Account').retrieve(ACME_ID);
  check(byId.Id === ACME_ID && byId.billing_account_id__c === 'BA-1001', 'retrieve by Id returns the same record', byId);
  check(conn.limitInfo && conn.limitInfo.apiUsage && conn.limitInfo.apiUsage.limit === 100000 && conn.limitInfo.apiUsage.used > 10, 'jsforce reads Sforce-Limit-Info', conn.limitInfo);

  const missing = await expectError(conn.request(`/services/data/v${VERSION}/sobjects/Account/billing_account_id__c/BA-NONE`));
  check(missing.error && missing.error.errorCode === 'NOT_FOUND', 'no match by external ID: NOT_FOUND', missing.error && { code: missing.error.errorCode, message: missing.error.message });
  const several = await expectError(conn.request(`/services/data/v${VERSION}/sobjects/Account/billing_account_id__c/BA-DUP`));
  // jsforce turns a 300 into a MULTIPLE_CHOICES error carrying the body (the record URLs).
  const urls = several.error && several.error.errorCode === 'MULTIPLE_CHOICES' ? several.error.data : undefined;
  check(Array.isArray(urls) && urls.length === 2 && urls.every((u) => u.startsWith(`/services/data/v${VERSION}/sobjects/Account/001`)), 'several matches: 300 with the record URLs', urls || several.value || (several.error && several.error.message));

  // --- Upsert: create, then update (jsforce's own upsert) ---
  const created = await conn.sobject('Account').upsert({ Name: 'jsforce Created', billing_account_id__c: 'BA-JS-1', Tier__c: 'Silver' }, 'billing_account_id__c');
  check(created.success === true && created.created === true && /^001\w{15}$/.test(created.id) && Array.isArray(created.errors) && created.errors.length === 0, 'upsert with no match creates (201, created:true)', created);
  const updated = await conn.sobject('Account').upsert({ Tier__c: 'Gold', billing_account_id__c: 'BA-JS-1' }, 'billing_account_id__c');
  check(updated.success === true && updated.created === false && updated.id === created.id, 'upsert with one match updates (200, created:false)', updated);
  const after = await conn.sobject('Account').retrieve(created.id);
  check(after.Tier__c === 'Gold' && after.Name === 'jsforce Created' && after.LastModifiedById === USER_ID, 'the update is visible and LastModifiedById is the integration user', after);
  const ambiguous = await expectError(conn.sobject('Account').upsert({ Tier__c: 'Gold', billing_account_id__c: 'BA-DUP' }, 'billing_account_id__c'));
  check(ambiguous.error && ambiguous.error.errorCode === 'MULTIPLE_CHOICES' && Array.isArray(ambiguous.error.data) && ambiguous.error.data.length === 2, 'upsert with several matches answers 300', ambiguous.value || (ambiguous.error && ambiguous.error.message));
  const invalid = await expectError(conn.sobject('Account').upsert({ Tier__c: 'Gold', billing_account_id__c: 'BA-JS-2' }, 'billing_account_id__c'));
  check(invalid.error && invalid.error.errorCode === 'REQUIRED_FIELD_MISSING', 'a create without Name is REQUIRED_FIELD_MISSING', invalid.error && { code: invalid.error.errorCode, message: invalid.error.message });

  // --- Query with paging (the sandbox runs with batch size 2) ---
  const all = await conn.query('SELECT Id, Name FROM Account ORDER BY Name', { autoFetch: true, maxFetch: 100 });
  // Five accounts: nothing was written by the refused upserts above.
  check(all.totalSize === 5 && all.records.length === 5, 'query: jsforce follows nextRecordsUrl to every record (and the refused writes wrote nothing)', { totalSize: all.totalSize, n: all.records.length });
  check(new Set(all.records.map((r) => r.Id)).size === 5, 'query: paging returns each record once', all.records.map((r) => r.Id));
  check(all.records.every((r) => r.attributes && r.attributes.type === 'Account' && r.Id && r.Name), 'query records carry attributes, Id and Name', all.records[0]);
  const firstPage = await conn.query('SELECT Id FROM Account');
  check(firstPage.done === false && typeof firstPage.nextRecordsUrl === 'string' && firstPage.nextRecordsUrl.includes(`/services/data/v${VERSION}/query/01g`), 'query: a first batch with nextRecordsUrl', firstPage);
  const owners = await conn.query(`SELECT Id, Name, IsActive FROM User WHERE Id IN ('${USER_ID}')`);
  check(owners.totalSize === 1 && owners.records[0].IsActive === true, 'owner look-up on User', owners.records);
  const queues = await conn.query("SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND DeveloperName = 'revenue_ops_queue'");
  check(queues.totalSize === 1 && queues.records[0].Id === '00GHn00000A0001MAB', 'queue look-up by DeveloperName', queues.records);
  const escaped = await conn.query("SELECT Id FROM Account WHERE Name = 'O\\'Brien'");
  check(escaped.totalSize === 0 && escaped.done === true, 'an escaped quote is a valid literal', escaped);
  const bad = await expectError(conn.query('SELECT COUNT() FROM Account'));
  check(bad.error && bad.error.errorCode === 'MALFORMED_QUERY', 'SOQL outside the subset is MALFORMED_QUERY', bad.error && { code: bad.error.errorCode });

  // --- Composite: a preflight's reads in one call, references, a halted dependent ---
  const v = `/services/data/v${VERSION}`;
  const usedBefore = conn.limitInfo && conn.limitInfo.apiUsage ? conn.limitInfo.apiUsage.used : -1;
  const composite = await conn.requestPost(`${v}/composite`, {
    allOrNone: false,
    compositeRequest: [
      { method: 'GET', url: `${v}/sobjects/Account/billing_account_id__c/BA-1001`, referenceId: 'rec' },
      { method: 'GET', url: `${v}/query?q=SELECT+Id,Name,IsActive+FROM+User+WHERE+Id+=+'@{rec.LastModifiedById}'`, referenceId: 'modifier' },
      { method: 'GET', url: `${v}/sobjects/Account/billing_account_id__c/BA-NONE`, referenceId: 'missing' },
      { method: 'GET', url: `${v}/sobjects/User/@{missing.OwnerId}`, referenceId: 'halted' },
    ],
  });
  const parts = composite && composite.compositeResponse;
  check(Array.isArray(parts) && parts.length === 4 && parts.map((p) => p.referenceId).join() === 'rec,modifier,missing,halted', 'composite: one answer per subrequest, in order', parts);
  check(parts[0].httpStatusCode === 200 && parts[0].body.Id === ACME_ID && Object.keys(parts[0].body)[0] === 'attributes', 'composite: the record by external ID, attributes first', parts[0]);
  check(parts[1].httpStatusCode === 200 && parts[1].body.totalSize === 1 && parts[1].body.records[0].Id === parts[0].body.LastModifiedById, 'composite: @{rec.LastModifiedById} resolved into the query', parts[1]);
  check(parts[2].httpStatusCode === 404 && parts[2].body[0].errorCode === 'NOT_FOUND', 'composite: a missing record is a 404 inside a 200', parts[2]);
  check(parts[3].httpStatusCode === 400 && parts[3].body[0].errorCode === 'PROCESSING_HALTED', 'composite: a subrequest referring to a failed one is not run', parts[3]);
  check(usedBefore >= 0 && conn.limitInfo.apiUsage.used === usedBefore + 1, 'composite: the whole call counts once', { before: usedBefore, after: conn.limitInfo && conn.limitInfo.apiUsage });

  // --- A dead token: INVALID_SESSION_ID ---
  const dead = new jsforce.Connection({ instanceUrl: base, accessToken: '00Dxx!dead', version: VERSION });
  const expired = await expectError(dead.sobject('Account').retrieve(ACME_ID));
  check(expired.error && expired.error.errorCode === 'INVALID_SESSION_ID', 'a dead token gets INVALID_SESSION_ID', expired.error && { code: expired.error.errorCode, message: expired.error.message });
}

main()
  .catch((e) => {
    failures += 1;
    console.log(`not ok - unexpected failure: ${e && (e.stack || e.message || e)}`);
  })
  .finally(() => {
    console.log(failures === 0 ? 'jsforce cross-check: all checks passed' : `jsforce cross-check: ${failures} check(s) failed`);
    process.exitCode = failures === 0 ? 0 : 1;
  });
