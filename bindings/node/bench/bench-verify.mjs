// verifySignature on a 40 KB body against the npm `standardwebhooks` package (Webhook#verify),
// measured in the same run: interleaved rounds, median ns/op. `node bench/bench-verify.mjs`
// after `just build-node` (release).
import { createRequire } from 'node:module'
import { Webhook } from 'standardwebhooks'

const require = createRequire(import.meta.url)
const { verifySignature, sign } = require('../oneinbox.js')

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
// A `transcript.final` of about 40 KB (standardwebhooks' verify also JSON.parses the body).
const messages = []
let body = ''
for (let i = 0; JSON.stringify({ event: 'transcript.final', call_id: 'call_abc123', messages }).length < 40 * 1024; i++) {
  body = JSON.stringify({ event: 'transcript.final', call_id: 'call_abc123', messages })
  messages.push({ role: i % 2 ? 'user' : 'agent', content: `message ${i} `.repeat(8) })
}
const buf = Buffer.from(body)
const ts = Math.floor(Date.now() / 1000)
const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': sign(secret, 'msg_1', ts, buf) }
const wh = new Webhook(secret)

const cases = {
  'oneinbox verifySignature(Buffer)': () => verifySignature(headers, buf, secret).ok,
  'oneinbox verifySignature(string)': () => verifySignature(headers, body, secret).ok,
  'standardwebhooks verify(string)': () => wh.verify(body, headers) !== undefined,
  'standardwebhooks verify(Buffer)': () => wh.verify(buf, headers) !== undefined,
}
for (const [name, f] of Object.entries(cases)) if (!f()) throw new Error(`${name} did not verify`)

const ROUNDS = 15
const ITER = 400
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, f] of Object.entries(cases)) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < ITER; i++) f()
    samples[name].push(Number(process.hrtime.bigint() - t0) / ITER)
  }
}
const median = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]
const base = median([...samples['standardwebhooks verify(string)']])
console.log(`body ${buf.length} bytes, node ${process.version}, ${ROUNDS} rounds x ${ITER}`)
console.log('| case | median µs/op | vs standardwebhooks(string) |')
console.log('|---|---:|---:|')
for (const [name, s] of Object.entries(samples)) {
  const m = median(s)
  console.log(`| ${name} | ${(m / 1000).toFixed(1)} | ${(m / base).toFixed(2)}× |`)
}
