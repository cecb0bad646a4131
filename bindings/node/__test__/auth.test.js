// Every fixture in tests/fixtures/auth, every Standard Webhooks vector and secret_parsing case of
// tests/corpora/standard-webhooks (read in place), interpreted as the Rust runner does
// (crates/oneinbox-webhooks/tests/auth_fixtures.rs); header forms; the Receiver; redaction.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const {
  AuthenticationError,
  OneInboxError,
  Receiver,
  Secret,
  UsageError,
  ValidationError,
  addUrlToken,
  newUrlToken,
  sign,
  verifySignature,
  verifyUrlToken,
} = require('..')

const root = path.join(__dirname, '..', '..', '..')
const fixtureDir = path.join(root, 'tests', 'fixtures', 'auth')
const corpus = JSON.parse(fs.readFileSync(path.join(root, 'tests', 'corpora', 'standard-webhooks', 'vectors.json'), 'utf8'))

function outcome(f) {
  try {
    const v = f()
    return { ok: v.ok, code: v.code, matched_secret: v.matchedSecret }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    return { usage_error: err.issues[0]?.path ?? null, error: err }
  }
}

// `check: "receiver"`: the Receiver as a user builds it (JSON null items as undefined, as an
// unset environment variable gives them), then one delivery; console.warn is captured.
function receiver(f) {
  const items = (list) => list?.map((s) => s ?? undefined)
  const warned = []
  const warn = console.warn
  let r
  console.warn = (...args) => warned.push(args.join(' '))
  try {
    r = new Receiver({
      urlTokens: items(f.url_tokens),
      signingSecrets: items(f.signing_secrets),
      allowUnauthenticated: f.allow_unauthenticated,
    })
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    return { usage_error: err.issues[0]?.path ?? null, issues: err.issues.map((i) => [i.code, i.path]) }
  } finally {
    console.warn = warn
  }
  assert.ok(warned.length <= 1, warned)
  let code = 'ok'
  try {
    r.receive(f.body_text, { headers: f.headers, url: f.url, now: f.now })
  } catch (err) {
    if (!(err instanceof AuthenticationError)) throw err
    code = err.verification.code
  }
  return { ok: code === 'ok', code, warning: warned[0] ?? null }
}

function run(f) {
  const secrets = f.secrets ?? []
  let got
  switch (f.check) {
    case 'receiver':
      got = receiver(f)
      break
    case 'signature':
      got = outcome(() => verifySignature(f.headers ?? [], f.body_text ?? '', secrets, { now: f.now, tolerance: f.tolerance }))
      if (got.error) {
        const text = `${got.error.message} ${util.inspect(got.error)} ${got.error.stack}`
        for (const s of secrets) assert.ok(s === '' || !text.includes(s), 'a usage error shows the secret')
      }
      break
    case 'url_token':
      got = outcome(() => verifyUrlToken(f.url ?? '', secrets))
      break
    case 'add_url_token':
      try {
        got = { url: addUrlToken(f.url ?? '', f.token ?? '') }
      } catch (err) {
        if (!(err instanceof UsageError)) throw err
        got = { usage_error: err.issues[0]?.path ?? null }
      }
      break
    default:
      throw new Error(`unknown check ${f.check}`)
  }
  delete got.error
  assert.deepEqual(got, f.expect)
}

const files = fs
  .readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .sort()

test('the auth fixture folder holds the shared fixtures', () => {
  assert.ok(files.length >= 30, `only ${files.length} auth fixtures`)
})

for (const file of files) {
  const fixture = JSON.parse(fs.readFileSync(path.join(fixtureDir, file), 'utf8'))
  test(`auth::${path.basename(file, '.json')}`, () => run(fixture))
}

for (const v of corpus.standard_webhooks) {
  test(`standard_webhooks::${v.name}`, () => {
    const headers = [
      ['webhook-id', v.msg_id],
      ['webhook-timestamp', String(v.timestamp)],
      ['webhook-signature', v.signature_header],
    ]
    const got = verifySignature(headers, v.payload, [v.secret], { now: v.now ?? v.timestamp, tolerance: 300 })
    assert.equal(got.ok, v.expect === 'valid', `got ${JSON.stringify(got)}`)
  })
}

corpus.secret_parsing.forEach((c, i) => {
  test(`secret_parsing::${i}`, () => {
    // Parsing a secret is observable through verifySignature: misuse is a UsageError.
    const parse = () => verifySignature([], '', [c.secret], { now: 0 })
    if (c.expect === 'construction_error') {
      assert.throws(parse, (err) => err instanceof UsageError && !err.message.includes(c.secret.slice(6) || '\u0000'))
    } else {
      assert.doesNotThrow(parse)
    }
  })
})

// ---------------------------------------------------------------------------------------------

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const BODY = '{"event":"call.started","call_id":"call_1"}'
const TS = 1_780_000_000

test('sign and verifySignature round trip; every header form gives the same verdict', () => {
  const sig = sign(SECRET, 'msg_1', TS, BODY)
  assert.match(sig, /^v1,[A-Za-z0-9+/]+=*$/)
  assert.equal(sign(new Secret(SECRET), 'msg_1', new Date(TS * 1000), Buffer.from(BODY)), sig)
  const forms = [
    { 'webhook-id': 'msg_1', 'webhook-timestamp': String(TS), 'webhook-signature': sig },
    { 'Webhook-Id': ['msg_1'], 'WEBHOOK-TIMESTAMP': String(TS), 'webhook-signature': [sig], 'x-other': undefined },
    new Headers({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(TS), 'webhook-signature': sig }),
    [
      ['webhook-id', 'msg_1'],
      ['webhook-timestamp', String(TS)],
      ['webhook-signature', sig],
    ],
    new Map([
      ['webhook-id', 'msg_1'],
      ['webhook-timestamp', String(TS)],
      ['webhook-signature', sig],
    ]),
  ]
  for (const headers of forms) {
    assert.deepEqual(verifySignature(headers, BODY, [SECRET], { now: TS }), { ok: true, code: 'ok', matchedSecret: 0 })
    assert.deepEqual(verifySignature(headers, Buffer.from(BODY), SECRET, { now: TS + 300 }), { ok: true, code: 'ok', matchedSecret: 0 })
    assert.equal(verifySignature(headers, BODY, SECRET, { now: TS + 301 }).code, 'timestamp_too_old')
    assert.equal(verifySignature(headers, BODY, SECRET, { now: TS + 301, tolerance: 301 }).code, 'ok')
  }
  // Rotation: the second secret matches.
  assert.equal(verifySignature(forms[0], BODY, ['whsec_AAAAAAAAAAAAAAAAAAAAAAAA', SECRET], { now: TS }).matchedSecret, 1)
  // now defaults to the current time: a signature from 2026-06 is too old or too new today.
  const fresh = Math.floor(Date.now() / 1000)
  const current = sign(SECRET, 'msg_2', fresh, BODY)
  assert.ok(verifySignature({ 'webhook-id': 'msg_2', 'webhook-timestamp': String(fresh), 'webhook-signature': current }, BODY, SECRET).ok)
  // A re-serialized body fails.
  assert.equal(verifySignature(forms[0], JSON.stringify(JSON.parse(BODY), null, 1), SECRET, { now: TS }).code, 'no_matching_signature')
  assert.ok(Object.isFrozen(verifySignature(forms[0], BODY, SECRET, { now: TS })))
})

test('wrong argument types are TypeErrors, misuse is UsageError', () => {
  assert.throws(() => verifySignature({ a: 1 }, BODY, SECRET), TypeError)
  assert.throws(() => verifySignature('x', BODY, SECRET), TypeError)
  assert.throws(
    () => verifySignature({}, JSON.parse(BODY), SECRET),
    (err) => err instanceof TypeError && /express\.raw/.test(err.message),
  )
  assert.throws(() => verifySignature({}, BODY, [42]), TypeError)
  assert.throws(
    () => verifySignature({}, BODY, SECRET, { now: 1.5 }),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/now',
  )
  assert.throws(
    () => verifySignature({}, BODY, SECRET, { now: new Date(NaN) }),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/now',
  )
  assert.throws(() => verifySignature({}, BODY, SECRET, { now: '1' }), TypeError)
  assert.throws(
    () => verifySignature({}, BODY, SECRET, { tolerance: -1 }),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/tolerance',
  )
  assert.throws(() => verifySignature({}, BODY, SECRET, { tolrance: 5 }), UsageError)
  assert.throws(
    () => verifySignature({}, BODY, []),
    (err) => err instanceof UsageError && err.issues[0].path === '/secrets',
  )
  assert.throws(() => sign(SECRET, '', TS, BODY), UsageError)
  assert.throws(() => sign(SECRET, 'm', undefined, BODY), TypeError)
  assert.throws(() => addUrlToken('/relative', 't'), UsageError)
})

test('URL tokens: newUrlToken is 32 random bytes in base64url; add and verify round trip', () => {
  const a = newUrlToken()
  const b = newUrlToken()
  assert.match(a, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(Buffer.from(a, 'base64url').length, 32)
  assert.notEqual(a, b)
  const url = addUrlToken('https://example.com/hooks?team=a#frag', a)
  assert.ok(verifyUrlToken(url, [b, a]).ok)
  assert.equal(verifyUrlToken(new URL(url), [b, a]).matchedSecret, 1)
  assert.equal(verifyUrlToken(new URL(url).pathname + new URL(url).search, new Secret(a)).code, 'ok')
  assert.equal(verifyUrlToken('/hooks', a).code, 'missing_token')
})

test('newSigningSecret: whsec_ and 32 random bytes in padded base64, accepted by every verifier', () => {
  const { newSigningSecret, Receiver: R } = require('..')
  const native = require('../index.js')
  const { Webhook: StandardWebhook } = require('standardwebhooks')
  const made = new Set(Array.from({ length: 50 }, () => newSigningSecret()))
  assert.equal(made.size, 50)
  for (const s of made) {
    assert.match(s, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.equal(Buffer.from(s.slice(6), 'base64').length, 32)
  }
  const secret = [...made][0]
  const now = Math.floor(Date.now() / 1000)
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': sign(secret, 'msg_1', now, BODY) }
  assert.deepEqual(new R({ signingSecrets: [secret] }).receive(BODY, { headers, now }), JSON.parse(BODY))
  assert.ok(verifySignature(headers, BODY, [secret], { now }).ok)
  // The Standard Webhooks reference library verifies what this package signs with it.
  assert.deepEqual(new StandardWebhook(secret).verify(BODY, headers), JSON.parse(BODY))
  // The format is the core's: the addon's for exactly 32 bytes.
  const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => i))
  assert.equal(native.signingSecretFromBytes(bytes), `whsec_${bytes.toString('base64')}`)
  assert.equal(native.signingSecretFromBytes(Buffer.alloc(31)), null)
})

test('Receiver: authenticates, then parses; AuthenticationError carries the verification', () => {
  const token = newUrlToken()
  const receiver = new Receiver({ urlTokens: [token], signingSecrets: [SECRET] })
  const sig = sign(SECRET, 'msg_1', TS, BODY)
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(TS), 'webhook-signature': sig }
  const e = receiver.receive(Buffer.from(BODY), { headers, url: `/hooks?token=${token}`, now: TS })
  assert.deepEqual(e, JSON.parse(BODY))
  let caught
  try {
    receiver.receive(BODY, { headers, url: '/hooks?token=guess', now: TS })
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof AuthenticationError && caught instanceof OneInboxError)
  assert.equal(caught.code, 'ERR_ONEINBOX_AUTHENTICATION')
  assert.equal(caught.name, 'AuthenticationError')
  assert.deepEqual(caught.verification, { ok: false, code: 'token_mismatch', matchedSecret: null })
  assert.throws(
    () => receiver.receive(BODY, { headers, now: TS }),
    (err) => err.verification.code === 'missing_token',
  )
  assert.throws(
    () => receiver.receive(BODY, { headers, url: `/h?token=${token}` }),
    (err) => err.verification.code === 'timestamp_too_old',
  )
  // Authenticated but not an event: ValidationError.
  const bad = '{"event":"call.started"}'
  const badHeaders = { ...headers, 'webhook-signature': sign(SECRET, 'msg_1', TS, bad) }
  assert.throws(() => receiver.receive(bad, { headers: badHeaders, url: `/h?token=${token}`, now: TS }), ValidationError)
  // Parse options apply.
  const strict = new Receiver({ urlTokens: token, strict: true })
  assert.throws(() => strict.receive(BODY, { url: `/h?token=${token}` }), ValidationError)
  // An open receiver (nothing configured, allowed on purpose) only parses.
  const warn = console.warn
  console.warn = () => {}
  try {
    assert.equal(new Receiver({ allowUnauthenticated: true }).receive(BODY).call_id, 'call_1')
  } finally {
    console.warn = warn
  }
})

test('Receiver fails closed: no secrets, or undefined/null/empty ones, is a UsageError unless allowUnauthenticated', () => {
  const warned = []
  const warn = console.warn
  console.warn = (...args) => warned.push(args.join(' '))
  try {
    for (const options of [undefined, {}, { urlTokens: process.env.ONEINBOX_TEST_SURELY_UNSET }, { allowUnauthenticated: false }]) {
      assert.throws(
        () => new Receiver(options),
        (err) =>
          err instanceof UsageError &&
          err.issues.length === 1 &&
          err.issues[0].code === 'missing_field' &&
          /url_tokens/.test(err.message) &&
          /signing_secrets/.test(err.message),
      )
    }
    for (const urlTokens of [[undefined], [null], [''], ['ok', undefined]]) {
      assert.throws(
        () => new Receiver({ urlTokens, allowUnauthenticated: true }),
        (err) => err instanceof UsageError && err.issues[0].path.startsWith('/url_tokens/'),
      )
    }
    assert.throws(
      () => new Receiver({ signingSecrets: [undefined] }),
      (err) => err instanceof UsageError && err.issues[0].path === '/signing_secrets/0' && err.issues[0].code === 'wrong_type',
    )
    assert.throws(() => new Receiver({ allowUnauthenticated: 'yes' }), TypeError)
    assert.deepEqual(warned, [])
    const open = new Receiver({ allowUnauthenticated: true })
    assert.equal(warned.length, 1)
    assert.match(warned[0], /allow_unauthenticated/)
    assert.equal(open.receive(BODY, { url: '/h' }).call_id, 'call_1')
    new Receiver({ urlTokens: ['t'], allowUnauthenticated: true }) // a secret: nothing open, no warning
    assert.equal(warned.length, 1)
  } finally {
    console.warn = warn
  }
})

test('Receiver.maxBodyBytes is the limit it applies (the default, a given one, Infinity as no limit)', () => {
  assert.equal(new Receiver({ urlTokens: ['t'] }).maxBodyBytes, 1024 * 1024)
  assert.equal(new Receiver({ urlTokens: ['t'], maxBodyBytes: 10 }).maxBodyBytes, 10)
  assert.ok(new Receiver({ urlTokens: ['t'], maxBodyBytes: Infinity }).maxBodyBytes > Number.MAX_SAFE_INTEGER)
  assert.throws(() => {
    new Receiver({ urlTokens: ['t'] }).maxBodyBytes = 5
  }, TypeError)
})

test('Receiver refuses misspelt options and empty or undecodable secrets', () => {
  assert.throws(
    () => new Receiver({ urlToken: 'x' }),
    (err) => err instanceof UsageError && err.issues[0].code === 'unknown_field',
  )
  assert.throws(
    () => new Receiver({ urlTokens: [] }),
    (err) => err instanceof UsageError && err.issues[0].path === '/url_tokens',
  )
  assert.throws(
    () => new Receiver({ signingSecrets: ['whsec_!!!TOPSECRET!!!'] }),
    (err) => err instanceof UsageError && err.issues[0].path === '/signing_secrets/0' && !err.message.includes('TOPSECRET'),
  )
  assert.throws(() => new Receiver({ urlTokens: [1] }), TypeError)
  assert.throws(
    () => new Receiver({ tolerance: -5 }),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/tolerance',
  )
  assert.throws(
    () => new Receiver({ maxDepth: -1 }),
    (err) =>
      err instanceof UsageError && err.issues.length === 1 && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/maxDepth',
  )
  assert.throws(() => new Receiver({ maxDepth: 'x' }), TypeError)
})

test('Receiver options are converted and checked by the addon: Secrets, messages, unknown members, holes', () => {
  const r = new Receiver({ urlTokens: [new Secret('tok_a'), 'tok_b'], signingSecrets: new Secret(SECRET), tolerance: 7, maxDepth: 5 })
  assert.deepEqual(JSON.parse(JSON.stringify(r)), {
    urlTokens: '[2 [redacted]]',
    signingSecrets: '[1 [redacted]]',
    tolerance: 7,
    strict: false,
    maxBodyBytes: 1024 * 1024,
    maxDepth: 5,
  })
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(TS), 'webhook-signature': sign(SECRET, 'msg_1', TS, BODY) }
  assert.equal(r.receive(BODY, { url: '/h?token=tok_b', headers, now: TS }).call_id, 'call_1')
  assert.throws(
    () => new Receiver({ 'a/b~c': 1, 'q"\n': 2 }),
    (err) =>
      err instanceof UsageError &&
      err.issues.map((i) => i.path).join('|') === '/a~1b~0c|/q"\n' &&
      err.issues[1].message.startsWith('new Receiver(options) has no member "q\\"\\n";') &&
      err.issues[0].message ===
        'new Receiver(options) has no member "a/b~c"; expected one of urlTokens, signingSecrets, tolerance, strict, maxBodyBytes, maxDepth, allowUnauthenticated',
  )
  assert.throws(() => new Receiver({ urlTokens: ['a', 1] }), {
    name: 'TypeError',
    message: 'urlTokens[1] must be a string or a Secret, got number',
  })
  assert.throws(() => new Receiver({ signingSecrets: new Map() }), {
    name: 'TypeError',
    message: 'signingSecrets must be a string or a Secret, got an object (Map)',
  })
  // A hole of a sparse array is `undefined`: as an unset environment variable, the core's
  // misuse at its index (the fail-closed rule), not a TypeError.
  assert.throws(
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    () => new Receiver({ urlTokens: [, 'x'] }),
    (err) => err instanceof UsageError && err.issues.map((i) => `${i.code} ${i.path}`).join('|') === 'wrong_type /url_tokens/0',
  )
  assert.throws(() => new Receiver({ urlTokens: ['x'], allowUnauthenticated: 'yes' }), {
    name: 'TypeError',
    message: 'new Receiver(options): allowUnauthenticated must be a boolean, got string',
  })
  assert.throws(() => new Receiver(new Map()), {
    name: 'TypeError',
    message: 'new Receiver(options) must be a plain object, got an object (Map)',
  })
  assert.throws(
    () => new Receiver({ urlTokens: ['\uD800'] }),
    (err) => err instanceof UsageError && err.issues[0].path === '/urlTokens/0' && err.issues[0].code === 'invalid_value',
  )
  assert.throws(() => new Receiver({ strict: null }), { name: 'TypeError', message: 'options.strict must be a boolean, got object' })
  assert.throws(() => new Receiver({ tolerance: 'x' }), { name: 'TypeError', message: 'tolerance must be a number, got string' })
})

test('secrets never appear in inspect, JSON or errors', () => {
  const token = 'tok_TOPSECRET_url_token_value'
  const whsec = 'whsec_TOPSECRETTOPSECRETTOPSECRET'
  const receiver = new Receiver({ urlTokens: [token], signingSecrets: [whsec] })
  const texts = [
    util.inspect(receiver),
    util.inspect(receiver, { showHidden: true, depth: 5 }),
    JSON.stringify(receiver),
    String(receiver),
    util.inspect(new Secret(whsec)),
    JSON.stringify({ s: new Secret(whsec) }),
  ]
  for (const call of [
    () => receiver.receive(BODY, { url: '/h?token=nope' }),
    () =>
      receiver.receive(BODY, {
        url: `/h?token=${token}`,
        headers: { 'webhook-id': 'm', 'webhook-timestamp': '1', 'webhook-signature': 'v1,AAAA' },
      }),
    () => verifySignature({}, BODY, ['whsec_TOPSECRET!!!']),
    () => verifyUrlToken('/h', ['']),
    () => sign('whsec_TOPSECRET***', 'm', 1, ''),
  ]) {
    try {
      call()
      assert.fail('expected an error')
    } catch (err) {
      assert.ok(err instanceof OneInboxError, String(err))
      texts.push(err.message, err.stack, util.inspect(err, { depth: 5 }), JSON.stringify(err))
    }
  }
  for (const text of texts) assert.ok(!text.includes('TOPSECRET'), text)
})

test('a secret with a lone surrogate is refused, not altered', () => {
  const { verifyUrlToken, UsageError } = require('..')
  assert.throws(() => verifyUrlToken('/h?token=x', ['tok\ud800']), UsageError)
})
