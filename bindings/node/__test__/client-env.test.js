// Client reads ONEINBOX_API_KEY and ONEINBOX_BASE_URL when not given them: an argument wins, an
// empty variable is unset, and a missing key or a bad value is a UsageError naming the argument
// and the variable (the core's rule, `Api.configure`).
'use strict'

const { test, beforeEach, afterEach } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { Api, Client, UsageError } = require('..')
const { FakeOneInbox } = require('../testing')

const KEY = 'oi_sk_test_ENVSECRETKEY'
const NAMES = ['ONEINBOX_API_KEY', 'ONEINBOX_BASE_URL']
/** @type {Record<string, string | undefined>} */
let saved = {}

beforeEach(() => {
  saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]))
  for (const n of NAMES) delete process.env[n]
})

afterEach(() => {
  for (const n of NAMES) {
    if (saved[n] === undefined) delete process.env[n]
    else process.env[n] = saved[n]
  }
})

function issuesOf(fn) {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err))
    return err.issues
  }
  assert.fail('expected a UsageError')
}

test('key and base URL from the environment', () => {
  process.env.ONEINBOX_API_KEY = KEY
  process.env.ONEINBOX_BASE_URL = 'http://127.0.0.1:8080/'
  const client = new Client()
  assert.equal(client.baseUrl, 'http://127.0.0.1:8080')
  assert.equal(client.api.listWebhooks().headers.Authorization, `Bearer ${KEY}`)
  assert.ok(!util.inspect(client).includes(KEY))
  assert.ok(!JSON.stringify(client).includes(KEY))
})

test('the environment key reaches the fake', async () => {
  const fake = new FakeOneInbox({ apiKey: KEY })
  process.env.ONEINBOX_API_KEY = KEY
  process.env.ONEINBOX_BASE_URL = fake.url
  const client = new Client(undefined, { fetch: fake.fetch })
  assert.deepEqual(await client.listWebhooks(), [])
})

test('arguments win over the environment', () => {
  process.env.ONEINBOX_API_KEY = 'oi_pk_not_used'
  process.env.ONEINBOX_BASE_URL = 'not a url'
  const client = new Client('oi_sk_given', { baseUrl: 'https://staging.example/' })
  assert.equal(client.baseUrl, 'https://staging.example')
  assert.equal(client.api.listWebhooks().headers.Authorization, 'Bearer oi_sk_given')
})

test('the default base URL, and empty variables are unset', () => {
  process.env.ONEINBOX_API_KEY = KEY
  process.env.ONEINBOX_BASE_URL = ''
  assert.equal(new Client().baseUrl, 'https://api.oneinbox.ai')
  process.env.ONEINBOX_API_KEY = ''
  const issues = issuesOf(() => new Client())
  assert.deepEqual(
    issues.map((i) => [i.code, i.path]),
    [['missing_field', '/api_key']],
  )
})

test('no key anywhere names the argument and the variable', () => {
  const [issue, ...rest] = issuesOf(() => new Client())
  assert.equal(rest.length, 0)
  assert.deepEqual([issue.code, issue.path], ['missing_field', '/api_key'])
  assert.match(issue.message, /`api_key`/)
  assert.match(issue.message, /ONEINBOX_API_KEY/)
})

test('bad values from the environment name the variable', () => {
  process.env.ONEINBOX_API_KEY = 'oi_pk_live_PUBLISHABLE'
  process.env.ONEINBOX_BASE_URL = 'ftp://files.example'
  let thrown
  try {
    new Client()
  } catch (err) {
    thrown = err
  }
  assert.ok(thrown instanceof UsageError)
  const issues = thrown.issues
  assert.deepEqual(
    issues.map((i) => [i.code, i.path]),
    [
      ['invalid_value', '/api_key'],
      ['invalid_value', '/base_url'],
    ],
  )
  assert.match(issues[0].message, /ONEINBOX_API_KEY/)
  assert.match(issues[1].message, /ONEINBOX_BASE_URL/)
  assert.ok(!thrown.message.includes('PUBLISHABLE'))
})

test('a wrong type is still a TypeError', () => {
  process.env.ONEINBOX_API_KEY = KEY
  assert.throws(() => new Client(42), TypeError)
  assert.throws(() => new Client(undefined, { baseUrl: 8080 }), TypeError)
})

test('Api.configure is the rule the client follows', () => {
  const api = Api.configure({ envApiKey: KEY, envBaseUrl: 'http://localhost:9' })
  assert.ok(api instanceof Api)
  assert.equal(api.baseUrl, 'http://localhost:9')
  assert.equal(Api.configure({ apiKey: KEY, envBaseUrl: 'http://localhost:9', baseUrl: 'https://x.example' }).baseUrl, 'https://x.example')
  assert.throws(() => Api.configure({}), UsageError)
  const [unknown] = issuesOf(() => Api.configure({ apiKey: KEY, nope: 1 }))
  assert.deepEqual([unknown.code, unknown.path], ['unknown_field', '/nope'])
})
