// A OneInbox webhook receiver with Express: typed events, a URL token, and a store that keeps
// one record per call across retries and reordering (MemoryStore here; RedisStore from
// 'oneinbox-webhooks/stores' shares it between workers).
//
// Run it (the demo does):  PORT=8001 ONEINBOX_URL_TOKEN=... node examples/node_receiver.js
// Register https://your-host/webhooks/oneinbox?token=... with OneInbox. GET /calls/:id answers
// the call's record as JSON.
'use strict'

const express = require('express')
const { Receiver, Router } = require('oneinbox-webhooks')
const { webhookMiddleware } = require('oneinbox-webhooks/express')
const { MemoryStore } = require('oneinbox-webhooks/stores')

const store = new MemoryStore()
const router = new Router()
const say = (e, what) => console.log(`  [node]   ${e.event.padEnd(25)} ${e.call_id}  ${what}`)

router
  .on('call.started', (e) => say(e, `agent ${e.agent_id} dialled ${e.to_number} from ${e.from_number}`))
  .on('transcript.partial', (e) => say(e, `${e.messages.length} messages so far`))
  .on('transcript.final', (e) => say(e, `${e.messages.length} messages, last: '${e.messages.at(-1).content}'`))
  .on('call.ended', (e) => say(e, `${e.status} after ${e.duration_seconds} s: ${e.outcome}`))
  .on('call.analyzed', (e) => say(e, `summary: ${e.ai_summary}`))
  .on('call.recording.available', (e) => say(e, `recording at ${e.recording_url}`))
  .on('call.failed', (e) => say(e, `could not reach ${e.to_number}: ${e.reason}`))

const app = express()
const receiver = new Receiver({ urlTokens: [process.env.ONEINBOX_URL_TOKEN] })
app.post('/webhooks/oneinbox', webhookMiddleware({ receiver, router, store }))
app.get('/calls/:id', async (req, res) => {
  const record = await store.get(req.params.id)
  if (record === null) return res.status(404).end()
  res.type('application/json').send(record.toJson())
})

app.listen(Number(process.env.PORT ?? 8001), '127.0.0.1')
