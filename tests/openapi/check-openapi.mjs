// SPDX-License-Identifier: GPL-3.0-or-later
// Checks docs/openapi.yaml against the OpenAPI 3.1 schema, that it names
// every route of the router and no other, that its JSON examples fit their
// schemas, and that every answer the API
// tests recorded (tests/leap-test-util.c: one JSON line per exchange in
// $LEAP_TEST_EXCHANGES/PROGRAM.jsonl) has a documented status and a body
// of the documented type and schema. Prints each mismatch; exits 1 on any.
//
// usage: node check-openapi.mjs OPENAPI.yaml ROUTER.c LIVE.c EXCHANGES_DIR [MISMATCHES]
// With MISMATCHES (the self-test, on drift/), it exits 0 only when exactly
// that many answers mismatch and the document is right.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

let Validator, Ajv2020, addFormats, YAML;
try {
  ({ Validator } = await import('@seriousme/openapi-schema-validator'));
  Ajv2020 = (await import('ajv/dist/2020.js')).default;
  addFormats = (await import('ajv-formats')).default;
  YAML = (await import('yaml')).default;
} catch (e) {
  console.error(`The validator is not installed (${e.message}).\n` +
                'Install it with: sh tools/deps.sh (npm ci in tests/openapi)');
  process.exit(1);
}

const [docPath, routerPath, livePath, exchangesDir, expected] = process.argv.slice(2);
const doc = YAML.parse(readFileSync(docPath, 'utf8'));
const problems = [];
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// 1. The document itself.
const checked = await new Validator().validate(structuredClone(doc));
if (!checked.valid)
  for (const e of [].concat(checked.errors))
    problems.push(`openapi.yaml: ${e.instancePath ?? ''} ${e.message ?? JSON.stringify(e)}`);

// 2. The router's routes, and only those.
const routes = new Set();
for (const file of [routerPath, livePath])
  for (const m of readFileSync(file, 'utf8').matchAll(/\{ "([A-Z]+)", "(\/[^"]*)",/g))
    routes.add(`${m[1]} ${m[2]}`);
const operations = new Set();
for (const [path, item] of Object.entries(doc.paths))
  for (const method of methods)
    if (item[method])
      operations.add(`${method.toUpperCase()} ${path}`);
for (const route of routes)
  if (!operations.has(route))
    problems.push(`openapi.yaml does not describe the route ${route}`);
for (const operation of operations)
  if (!routes.has(operation))
    problems.push(`openapi.yaml describes ${operation}, which the router does not serve`);

// 3. Every recorded answer.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
const base = 'urn:leap:openapi';
// Schemas refer to '#/components/schemas/X': here that is base#/$defs/X.
ajv.addSchema({ $id: base, $defs: rebase(doc.components.schemas) });
const validators = new Map();
function validatorFor(pointer, schema) {
  if (!validators.has(pointer))
    validators.set(pointer, ajv.compile({ $id: `${base}:${validators.size}`,
                                          ...rebase(schema) }));
  return validators.get(pointer);
}
function rebase(node) {
  if (Array.isArray(node))
    return node.map(rebase);
  if (node === null || typeof node !== 'object')
    return node;
  const out = {};
  for (const [key, value] of Object.entries(node))
    out[key] = key === '$ref' ? value.replace('#/components/schemas/', `${base}#/$defs/`)
                              : rebase(value);
  return out;
}
function resolve(object) {
  while (object && object.$ref)
    object = object.$ref.slice(2).split('/').reduce((o, k) => o[k], doc);
  return object;
}

// 3a. The document's own examples, of bodies sent and answered.
for (const [path, item] of Object.entries(doc.paths))
  for (const method of methods) {
    const operation = item[method];
    if (!operation)
      continue;
    const bodies = [[`${method} ${path} request`, resolve(operation.requestBody)]];
    for (const [status, response] of Object.entries(operation.responses))
      bodies.push([`${method} ${path} ${status}`, resolve(response)]);
    for (const [where, body] of bodies)
      for (const [type, media] of Object.entries(body?.content ?? {})) {
        if (type !== 'application/json')
          continue;
        const examples = Object.entries(media.examples ?? {})
          .map(([k, e]) => [k, resolve(e).value]);
        if (media.example !== undefined)
          examples.push(['example', media.example]);
        const validate = validatorFor(where, media.schema);
        for (const [name, example] of examples)
          if (!validate(example))
            for (const e of validate.errors)
              problems.push(`openapi.yaml: ${where}, ${name}${e.instancePath} ${e.message}`);
      }
  }

const templates = Object.keys(doc.paths).map((template) => ({
  template,
  regex: new RegExp('^' + template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));
const errorSchema = { $ref: '#/components/schemas/Error' };

// The router's own answers, which no operation lists: a path it does not
// serve (404), a method it does not serve there (405), and CORS preflights
// (204, or 403 for an origin that is not allowed) on every path it serves.
function routerAnswer(x, item) {
  if (!item)
    return x.status === 404 ? { schema: errorSchema, key: 'unknown path 404' } : null;
  if (x.method === 'OPTIONS' && x.status === 204)
    return { empty: true, key: `${x.template} OPTIONS 204` };
  if (x.method === 'OPTIONS' && x.status === 403)
    return { schema: errorSchema, key: `${x.template} OPTIONS 403` };
  if (x.method !== 'OPTIONS' && x.status === 405)
    return { schema: errorSchema, key: `${x.template} ${x.method} 405` };
  return null;
}

const seen = new Set();
const mismatches = new Map();
let count = 0;
let programs = 0;
const badAnswers = new Set();
function mismatch(x, what) {
  badAnswers.add(x);
  const key = `${x.method} ${x.template ?? x.path} ${x.status}: ${what}`;
  if (!mismatches.has(key))
    mismatches.set(key, { n: 0, example: x });
  mismatches.get(key).n++;
}

function checkBody(x, pointer, schema) {
  let body;
  try {
    body = JSON.parse(x.body);
  } catch {
    mismatch(x, 'the body is not JSON');
    return;
  }
  const validate = validatorFor(pointer, schema);
  if (!validate(body))
    for (const e of validate.errors)
      mismatch(x, `body${e.instancePath} ${e.message}` +
                  (e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : '') +
                  (e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : ''));
}

function check(x) {
  const found = templates.find((t) => t.regex.test(x.path));
  x.template = found?.template;
  const item = found && doc.paths[found.template];
  const operation = item?.[x.method.toLowerCase()];
  const response = operation && resolve(operation.responses[String(x.status)] ??
                                        operation.responses[`${String(x.status)[0]}XX`]);

  if (!response) {
    const answer = routerAnswer(x, item);
    if (!answer)
      mismatch(x, operation ? 'status not documented' : 'no such operation');
    else if (answer.empty && x.body)
      mismatch(x, 'a body where none is documented');
    else if (answer.schema && x.content_type !== 'application/json')
      mismatch(x, `content type ${x.content_type}, documented application/json`);
    else if (answer.schema)
      checkBody(x, answer.key, answer.schema);
    return;
  }
  seen.add(`${x.method} ${x.template} ${x.status}`);
  const content = response.content;
  if (!content) {
    if (x.content_type !== null || x.body)
      mismatch(x, `a body (${x.content_type}) where none is documented`);
    return;
  }
  const media = content[x.content_type];
  if (!media)
    mismatch(x, `content type ${x.content_type}, documented ${Object.keys(content).join(', ')}`);
  else if (x.content_type === 'application/json')
    checkBody(x, `${x.method} ${x.template} ${x.status}`, media.schema);
}

if (existsSync(exchangesDir)) {
  for (const name of readdirSync(exchangesDir).filter((n) => n.endsWith('.jsonl')).sort()) {
    programs++;
    for (const line of readFileSync(join(exchangesDir, name), 'utf8').split('\n')) {
      if (line === '')
        continue;
      const x = JSON.parse(line);
      x.program = name.replace(/\.jsonl$/, '');
      count++;
      check(x);
    }
  }
}

for (const [what, { n, example }] of mismatches) {
  const body = example.body === null ? '' : ` ${example.body.slice(0, 300)}`;
  problems.push(`${what}\n    ${n}×, e.g. ${example.program} ${example.test}: ` +
                `${example.method} ${example.path} → ${example.status}${body}`);
}
for (const problem of problems)
  console.log(`MISMATCH ${problem}`);

let documented = 0;
const unseen = [];
for (const [path, item] of Object.entries(doc.paths))
  for (const method of methods)
    for (const status of Object.keys(item[method]?.responses ?? {})) {
      documented++;
      if (!seen.has(`${method.toUpperCase()} ${path} ${status}`))
        unseen.push(`${method.toUpperCase()} ${path} ${status}`);
    }
console.log(`Answers no test recorded (${unseen.length} of ${documented}):`);
for (const u of unseen)
  console.log(`  ${u}`);
if (count === 0)
  console.log(`No answers recorded in ${exchangesDir}: run the API tests first.`);
console.log(`${count} answers of ${programs} test programs checked against ${docPath}; ` +
            `${operations.size} operations, ${routes.size} routes; ` +
            `${badAnswers.size} answers and ${problems.length - mismatches.size} ` +
            'points of the document mismatch');
if (expected !== undefined)
  process.exit(problems.length === mismatches.size && badAnswers.size === Number(expected) ? 0 : 1);
process.exit(problems.length > 0 ? 1 : 0);
