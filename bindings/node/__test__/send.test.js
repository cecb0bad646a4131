// `npx oneinbox-webhooks send` (bin/oneinbox-webhooks.js), spawned as a process, against a
// receiver built the way the README shows it (node:http and Receiver): every event delivered
// with exit 0, a forged token answered 401 with exit 1, usage errors exit 2, secrets never
// printed.
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { AuthenticationError, KNOWN_EVENTS, Receiver } = require('..')

const BIN = path.join(__dirname, '..', 'bin', 'oneinbox-webhooks.js')
const TOKEN = 'tok_SECRETTOKEN_4f1c'
const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

// The receiver of the README: the raw body, the headers and the URL go to Receiver.receive.
function startReceiver(options) {
  const receiver = new Receiver(options)
  const received = []
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      try {
        const event = receiver.receive(Buffer.concat(chunks), { headers: req.headers, url: req.url })
        received.push({ event, id: req.headers['webhook-id'] })
        res.writeHead(204).end()
      } catch (err) {
        res.writeHead(err instanceof AuthenticationError ? 401 : 400).end()
      }
    })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/webhooks/oneinbox`
      resolve({ url, received, close: () => new Promise((r) => server.close(r)) })
    })
  })
}

// Runs the command; resolves to { code, stdout, stderr } (never rejects on a non-zero exit).
function run(args, env = {}) {
  return new Promise((resolve) => {
    const clean = { ...process.env, ONEINBOX_URL_TOKEN: '', ONEINBOX_SIGNING_SECRET: '', ...env }
    for (const k of Object.keys(clean)) if (clean[k] === '') delete clean[k]
    execFile(process.execPath, [BIN, ...args], { env: clean, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr })
    })
  })
}

const lines = (text) => text.split('\n').filter((l) => l !== '')
const events = (stdout) => lines(stdout).map((l) => l.split(/\s+/)[0])

function noSecrets(...texts) {
  for (const text of texts) {
    assert.ok(!text.includes('SECRETTOKEN'), text)
    assert.ok(!text.includes('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), text)
  }
}

test('send delivers all seven events to a README receiver (token and signature): exit 0', async () => {
  const r = await startReceiver({ urlTokens: [TOKEN], signingSecrets: [WHSEC] })
  try {
    const { code, stdout, stderr } = await run(['send', '--to', r.url, '--url-token', TOKEN, '--signing-secret', WHSEC, ...KNOWN_EVENTS])
    assert.equal(code, 0, stderr)
    assert.deepEqual(events(stdout), KNOWN_EVENTS)
    for (const line of lines(stdout)) assert.match(line, /^\S+\s+204\s+\d+\.\d ms$/)
    assert.deepEqual(
      r.received.map((x) => x.event.event),
      KNOWN_EVENTS,
    )
    const callIds = new Set(r.received.map((x) => x.event.call_id))
    assert.equal(callIds.size, 1)
    assert.match([...callIds][0], /^call_[0-9a-f]{16}$/)
    assert.equal(new Set(r.received.map((x) => x.id)).size, 7, 'one message id per delivery')
    assert.match(stderr, /^7 deliveries to http:\/\/127\.0\.0\.1:\d+\/webhooks\/oneinbox: 7 answered 2xx\n$/)
    noSecrets(stdout, stderr)
  } finally {
    await r.close()
  }
})

test('send without event names plays one whole call; secrets from the environment; --call-id', async () => {
  const r = await startReceiver({ urlTokens: [TOKEN], signingSecrets: [WHSEC] })
  try {
    const { code, stdout, stderr } = await run(['send', '--to', r.url, '--call-id', 'call_fixed'], {
      ONEINBOX_URL_TOKEN: TOKEN,
      ONEINBOX_SIGNING_SECRET: WHSEC,
    })
    assert.equal(code, 0, stderr)
    const { CALL_SEQUENCE } = require('../testing')
    assert.deepEqual(events(stdout), CALL_SEQUENCE)
    assert.ok(r.received.every((x) => x.event.call_id === 'call_fixed'))
    noSecrets(stdout, stderr)
  } finally {
    await r.close()
  }
})

test('--shuffle and --duplicates: redeliveries keep their webhook-id; --seed repeats a run', async () => {
  const r = await startReceiver({ urlTokens: [TOKEN], signingSecrets: [WHSEC] })
  try {
    const args = [
      'send',
      '--to',
      r.url,
      '--url-token',
      TOKEN,
      '--signing-secret',
      WHSEC,
      '--shuffle',
      '--duplicates',
      '2',
      '--seed',
      '1234',
    ]
    const first = await run(args)
    assert.equal(first.code, 0, first.stderr)
    assert.equal(lines(first.stdout).length, 8)
    assert.equal(lines(first.stdout).filter((l) => l.endsWith('(again)')).length, 2)
    const ids = r.received.map((x) => x.id)
    assert.equal(new Set(ids).size, 6, 'two of the eight are redeliveries of the same message')
    const second = await run(args)
    assert.deepEqual(events(second.stdout), events(first.stdout))
    assert.deepEqual(
      r.received.slice(8).map((x) => x.id),
      ids,
      'the same seed, the same message ids',
    )
    // More duplicates than deliveries.
    const many = await run(['send', '--to', r.url, '--url-token', TOKEN, '--signing-secret', WHSEC, '--duplicates', '3', 'call.failed'])
    assert.equal(many.code, 0, many.stderr)
    assert.deepEqual(events(many.stdout), ['call.failed', 'call.failed', 'call.failed', 'call.failed'])
  } finally {
    await r.close()
  }
})

test('a forged delivery (wrong token) gets 401 and exit 1; so does a missing signature', async () => {
  const r = await startReceiver({ urlTokens: [TOKEN], signingSecrets: [WHSEC] })
  try {
    const forged = await run(['send', '--to', r.url, '--url-token', 'tok_wrong', '--signing-secret', WHSEC, 'call.ended'])
    assert.equal(forged.code, 1)
    assert.match(lines(forged.stdout)[0], /^call\.ended\s+401\s/)
    assert.match(forged.stderr, /^1 delivery to .*: 0 answered 2xx\n$/) // issue 28: not "1 deliveries"
    const unsigned = await run(['send', '--to', r.url, '--url-token', TOKEN, 'call.ended', 'call.failed'])
    assert.equal(unsigned.code, 1)
    assert.deepEqual(
      lines(unsigned.stdout).map((l) => l.split(/\s+/)[1]),
      ['401', '401'],
    )
    assert.equal(r.received.length, 0, 'nothing was processed')
    noSecrets(forged.stdout, forged.stderr, unsigned.stdout, unsigned.stderr)
  } finally {
    await r.close()
  }
})

test('an unreachable receiver is exit 1 with an error line; the URL token is not printed', async () => {
  const r = await startReceiver({ urlTokens: [TOKEN] })
  await r.close() // nothing listens on that port any more
  const { code, stdout, stderr } = await run(['send', '--to', r.url, '--url-token', TOKEN, '--timeout', '5', 'call.ended'])
  assert.equal(code, 1)
  assert.match(stdout, /^call\.ended\s+error: .*ECONNREFUSED/)
  assert.match(stderr, /^1 delivery to http:\/\/127\.0\.0\.1:\d+\/webhooks\/oneinbox: 0 answered 2xx\n$/)
  noSecrets(stdout, stderr)
})

test('send prints the reason the adapter gave (its 401 body), after the time', async () => {
  const { webhookMiddleware } = require('../express.js')
  const { Router, newSigningSecret } = require('../oneinbox.js')
  const { MemoryStore } = require('../stores.js')
  const middleware = webhookMiddleware({ receiver: new Receiver({ urlTokens: [TOKEN] }), router: new Router(), store: new MemoryStore() })
  const server = http.createServer((req, res) => middleware(req, res))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}/webhooks/oneinbox`
  try {
    const forged = await run(['send', '--to', url, '--url-token', 'tok_wrong', 'call.ended'])
    assert.equal(forged.code, 1)
    assert.match(lines(forged.stdout)[0], /^call\.ended\s+401\s+\d+\.\d ms {2}token_mismatch$/)
    const signed = await run(['send', '--to', url, '--signing-secret', newSigningSecret(), 'call.ended'])
    assert.match(lines(signed.stdout)[0], /^call\.ended\s+401\s+\d+\.\d ms {2}missing_token$/)
    const ok = await run(['send', '--to', url, '--url-token', TOKEN, 'call.ended'])
    assert.equal(ok.code, 0)
    assert.match(lines(ok.stdout)[0], /^call\.ended\s+204\s+\d+\.\d ms$/)
    assert.match(ok.stderr, /^1 delivery to .*: 1 answered 2xx\n$/)
  } finally {
    await new Promise((r) => server.close(r))
  }
})

test('--dry-run --seed 7 call.started call.ended prints the shared plan (the same lines as Python)', async () => {
  // The expected lines are stored once, in the fixture both bindings' commands are held to.
  const fixture = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'send', 'two-events-seed-7.json'), 'utf8'),
  )
  const { code, stdout, stderr } = await run(['send', '--dry-run', '--seed', '7', 'call.started', 'call.ended'])
  assert.equal(code, 0, stderr)
  assert.equal(stdout, fixture.deliveries.map((d) => `${d.line}\n`).join(''))
})

test('--dry-run sends nothing; a run with the same arguments follows its plan', async () => {
  const r = await startReceiver({ urlTokens: [TOKEN], signingSecrets: [WHSEC] })
  try {
    const args = ['send', '--to', r.url, '--url-token', TOKEN, '--signing-secret', WHSEC, '--seed', '99', '--duplicates', '2', '--shuffle']
    const dry = await run([...args, '--dry-run'])
    assert.equal(dry.code, 0, dry.stderr)
    assert.equal(dry.stderr, '')
    assert.equal(lines(dry.stdout).length, 8)
    assert.equal(r.received.length, 0, 'nothing was sent')
    noSecrets(dry.stdout)
    const real = await run(args)
    assert.equal(real.code, 0, real.stderr)
    // Each line: event, call id, message id, and "(again)" for a repeat.
    assert.deepEqual(
      r.received.map((x) => [x.event.event, x.event.call_id, x.id]),
      lines(dry.stdout).map((l) => l.split(/\s+/).slice(0, 3)),
    )
    assert.equal(lines(dry.stdout).filter((l) => l.endsWith('  (again)')).length, 2)
    // Without --seed, two dry runs draw their own seeds.
    assert.notEqual((await run(['send', '--dry-run'])).stdout, (await run(['send', '--dry-run'])).stdout)
    // A URL and secret given with --dry-run are checked as a real run would.
    const bad = await run(['send', '--dry-run', '--to', 'ftp://example.com/h', '--signing-secret', 'whsec_SECRETTOKEN!!'])
    assert.equal(bad.code, 2)
    assert.equal(bad.stdout, '')
    assert.match(bad.stderr, /\/url: /)
    noSecrets(bad.stderr)
  } finally {
    await r.close()
  }
})

test('usage errors exit 2 and send nothing; --help exits 0', async () => {
  const r = await startReceiver({ urlTokens: [TOKEN] })
  try {
    for (const args of [
      [],
      ['sned', '--to', r.url],
      ['send'],
      ['send', '--to', r.url, 'call.endd'],
      ['send', '--to', r.url, '--dupes', '2'],
      ['send', '--to', r.url, '--duplicates', '-1'],
      ['send', '--to', r.url, '--duplicates', 'two'],
      ['send', '--to', r.url, '--duplicates', '1001'],
      ['send', '--to', r.url, '--seed=-5'],
      ['send', '--to', r.url, '--seed', '18446744073709551616'],
      ['send', '--to', r.url, '--timeout', '0'],
      ['send', '--to', 'ftp://example.com/hook'],
      ['send', '--to', r.url, '--signing-secret', 'whsec_SECRETTOKEN!!'],
    ]) {
      const { code, stdout, stderr } = await run(args)
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
      assert.equal(stdout, '')
      assert.match(stderr, /^usage: oneinbox-webhooks send/)
      assert.match(stderr, /oneinbox-webhooks send: error: /)
      noSecrets(stderr)
    }
    assert.equal(r.received.length, 0)
    const help = await run(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--duplicates N/)
  } finally {
    await r.close()
  }
})

test('a typo never prints the secret that follows it', async () => {
  for (const args of [
    ['send', '--url-tokn', TOKEN, '--to', 'http://127.0.0.1:9/h'],
    ['send', `--url-tokn=${TOKEN}`, '--to', 'http://127.0.0.1:9/h'],
    ['send', '--to', 'http://127.0.0.1:9/h', `--signing-secert=${WHSEC}`],
    ['send', '--to', 'http://127.0.0.1:9/h', '--timeout', TOKEN],
    ['send', '--dry-run', TOKEN], // the secret typed where an event name goes
    ['sned', '--url-token', TOKEN],
  ]) {
    const { code, stdout, stderr } = await run(args)
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
    assert.equal(stdout, '')
    assert.match(stderr, /error: /)
    noSecrets(stderr)
  }
})

test('secrets from files and the environment: option > file > environment', async () => {
  const os = require('node:os')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oneinbox-secrets-'))
  const tokenFile = path.join(dir, 'token')
  const secretFile = path.join(dir, 'whsec')
  fs.writeFileSync(tokenFile, `${TOKEN}\n`)
  fs.writeFileSync(secretFile, `${WHSEC}\n`)
  const files = ['--url-token-file', tokenFile, '--signing-secret-file', secretFile]
  const r = await startReceiver({ urlTokens: [TOKEN], signingSecrets: [WHSEC] })
  try {
    const wrong = { ONEINBOX_URL_TOKEN: 'tok_wrong', ONEINBOX_SIGNING_SECRET: `whsec_${'B'.repeat(32)}` }
    let res = await run(['send', '--to', r.url, ...files, 'call.ended'], wrong) // files win
    assert.equal(res.code, 0, res.stderr)
    res = await run(['send', '--to', r.url, 'call.ended'], { ONEINBOX_URL_TOKEN: TOKEN, ONEINBOX_SIGNING_SECRET: WHSEC })
    assert.equal(res.code, 0, res.stderr) // the environment alone
    res = await run(['send', '--to', r.url, '--url-token', 'tok_wrong', ...files, 'call.ended']) // the option wins
    assert.equal(res.code, 1)
    assert.equal(lines(res.stdout)[0].split(/\s+/)[1], '401')
    assert.deepEqual(
      r.received.map((d) => d.event.event),
      ['call.ended', 'call.ended'],
    )
    fs.writeFileSync(tokenFile, `${TOKEN}\n${TOKEN}\n`)
    res = await run(['send', '--to', r.url, ...files, 'call.ended'])
    assert.equal(res.code, 2)
    assert.match(res.stderr, /\/url_token_file/)
    noSecrets(res.stderr)
    res = await run(['send', '--to', r.url, '--url-token-file', path.join(dir, 'missing'), 'call.ended'])
    assert.equal(res.code, 2)
    assert.match(res.stderr, /--url-token-file: cannot read the file/)
  } finally {
    await r.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
