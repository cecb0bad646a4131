// Every shared fixture in tests/fixtures/events as its own named test: the lenient and strict
// verdicts of parseEvent, `extra` on the objects with unlisted members only, and (where a schema
// can say anything) the strict verdict of ajv over schemas/events, with the same exclusions as
// the Rust runner (tests/event_fixtures.rs).
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020').default
const addFormats = require('ajv-formats').default
const { parseEvent, ValidationError } = require('..')
const { MEMBERS } = require('../events.generated.js')

const root = path.join(__dirname, '..', '..', '..')
const fixtureDir = path.join(root, 'tests', 'fixtures', 'events')
const schemaDir = path.join(root, 'schemas', 'events')

/** Codes a JSON Schema cannot express (bytes, limits, duplicate keys). */
const NOT_IN_SCHEMA = new Set(['invalid_json', 'too_large', 'too_deep', 'duplicate_field'])

/**
 * Where ajv-formats 3 is laxer than RFC 3339 (section 5.6): its `date-time` accepts a space
 * between date and time and an offset without a colon. The core and the schemas (checked by the
 * Rust runner with the `jsonschema` crate) reject both; here ajv's verdict is asserted to be
 * exactly this known deviation, so the list stays accurate if ajv-formats changes.
 */
const AJV_FORMATS_LAXER = new Set(['call-started-created-at-offset-without-colon', 'call-started-created-at-space-separator'])

const VARIANTS = {
  'call.started': 'CallStarted',
  'call.ended': 'CallEnded',
  'call.analyzed': 'CallAnalyzed',
  'call.failed': 'CallFailed',
  'call.recording.available': 'CallRecordingAvailable',
  'transcript.partial': 'TranscriptPartial',
  'transcript.final': 'TranscriptFinal',
}

function bodyOf(fixture) {
  if ('body_text' in fixture) return Buffer.from(fixture.body_text, 'utf8')
  if ('body_base64' in fixture) return Buffer.from(fixture.body_base64, 'base64')
  return Buffer.from(JSON.stringify(fixture.body), 'utf8')
}

function verdict(body, options) {
  try {
    const event = parseEvent(body, options)
    return { variant: VARIANTS[event.event] ?? 'UnknownEvent' }
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    return { issues: err.issues.map(({ code, path }) => ({ code, path })) }
  }
}

/**
 * Checks `extra` on an accepted lenient event: each object of it (the event, `analysis`, each
 * message) has `extra` exactly when the payload `sent` (the body as `JSON.parse` reads it) has
 * members the contract does not list there, and then holds those; an unknown event's is the whole
 * payload.
 */
function checkExtra(event, sent) {
  const known = MEMBERS[sent.event] !== undefined && VARIANTS[sent.event] !== undefined
  const pairs = [[event, sent, known ? MEMBERS[sent.event] : new Set()]]
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
  if (sent.event === 'call.ended' && isObject(sent.analysis)) pairs.push([event.analysis, sent.analysis, MEMBERS.Analysis])
  if (sent.event.startsWith('transcript.') && Array.isArray(sent.messages)) {
    for (const [i, m] of sent.messages.entries()) pairs.push([event.messages[i], m, MEMBERS.Message])
  }
  for (const [got, payload, listed] of pairs) {
    const unlisted = Object.fromEntries(Object.entries(payload).filter(([k]) => !listed.has(k)))
    if (Object.keys(unlisted).length === 0) {
      assert.ok(!Object.hasOwn(got, 'extra'), `no extra expected on ${JSON.stringify(payload).slice(0, 80)}`)
    } else {
      assert.deepEqual({ ...got.extra }, unlisted)
      assert.ok(Object.isFrozen(got.extra))
    }
  }
}

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
for (const file of fs
  .readdirSync(schemaDir)
  .filter((f) => f.endsWith('.schema.json'))
  .sort()) {
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')))
}
const schema = ajv.getSchema('https://schemas.oneinbox-webhooks.dev/events/event.schema.json')

const files = fs
  .readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
let schemaChecked = 0

test('the fixture folder holds the shared fixtures', () => {
  assert.ok(files.length >= 363, `only ${files.length} fixtures found in ${fixtureDir}`)
})

for (const file of files) {
  const name = path.basename(file, '.json')
  const fixture = JSON.parse(fs.readFileSync(path.join(fixtureDir, file), 'utf8'))
  test(`events::${name}`, () => {
    const body = bodyOf(fixture)
    const limits = {}
    if (fixture.options?.max_body_bytes !== undefined) limits.maxBodyBytes = fixture.options.max_body_bytes
    if (fixture.options?.max_depth !== undefined) limits.maxDepth = fixture.options.max_depth
    for (const mode of ['lenient', 'strict']) {
      const got = verdict(body, { ...limits, strict: mode === 'strict' })
      assert.deepEqual(got, fixture[mode], `${mode} verdict`)
      if ('variant' in got) checkExtra(parseEvent(body, { ...limits, strict: mode === 'strict' }), JSON.parse(body.toString('utf8')))
      // The same body passed as a string (when it is text) gives the same verdict.
      if ('body_base64' in fixture === false) {
        assert.deepEqual(
          verdict(body.toString('utf8'), { ...limits, strict: mode === 'strict' }),
          fixture[mode],
          `${mode} verdict (string body)`,
        )
      }
    }
    const strictCodes = (fixture.strict.issues ?? []).map((i) => i.code)
    if (fixture.options === undefined && !strictCodes.some((c) => NOT_IN_SCHEMA.has(c))) {
      schemaChecked++
      const valid = schema(JSON.parse(body.toString('utf8')))
      const expected = AJV_FORMATS_LAXER.has(name) ? true : 'variant' in fixture.strict
      assert.equal(valid, expected, `ajv says valid=${valid}: ${ajv.errorsText(schema.errors)}`)
    }
  })
}

test('the schema cross-check covered fixtures', { concurrency: false }, () => {
  assert.ok(schemaChecked > 100, `only ${schemaChecked} fixtures were checked against the schemas`)
})
