// Checked by `tsc --strict --noEmit` (`just test-node`): the published types narrow on `event`
// and reject misuse. Never run, only compiled.
import { parseEvent, ValidationError, OneInboxError, type Event, type Issue } from 'oneinbox-webhooks'

declare const raw: Buffer

function handle(e: Event): string {
  switch (e.event) {
    case 'call.started':
      return `${e.call_id} from ${e.from_number ?? '?'} at ${e.created_at ?? '?'}`
    case 'call.ended': {
      const seconds: number | null | undefined = e.duration_seconds
      const summary: string | null | undefined = e.analysis?.summary
      // @ts-expect-error duration_seconds is a number, not a string
      const wrong: string = e.duration_seconds
      return `${seconds} ${summary} ${wrong}`
    }
    case 'call.analyzed':
      return e.ai_summary ?? ''
    case 'call.failed':
      // @ts-expect-error call.failed has no recording_url
      return e.reason ?? e.recording_url
    case 'call.recording.available':
      return e.recording_url ?? ''
    case 'transcript.partial':
    case 'transcript.final':
      return e.messages.map((m) => `${m.role}: ${m.content}`).join('\n')
    default: {
      // An event this version does not know: its name is still a string.
      const name: string = e.event
      return `${name} for ${e.call_id}`
    }
  }
}

const event = parseEvent(raw, { strict: true, maxBodyBytes: 65536, maxDepth: 16 })
handle(event)
parseEvent(new Uint8Array(4))
parseEvent('{"event":"call.ended","call_id":"c"}')

// @ts-expect-error a parsed object is not a raw body
parseEvent({ event: 'call.ended', call_id: 'c' })
// @ts-expect-error options are camelCase
parseEvent(raw, { max_depth: 3 })
// @ts-expect-error strict is a boolean
parseEvent(raw, { strict: 'yes' })
// @ts-expect-error not a known event name
if (event.event === 'call.endd') handle(event)
// @ts-expect-error call_id is a string
const callId: number = event.call_id
console.log(callId)

try {
  parseEvent(raw)
} catch (err) {
  if (err instanceof ValidationError) {
    const issues: readonly Issue[] = err.issues
    const code: 'ERR_ONEINBOX_VALIDATION' = err.code
    for (const i of issues) {
      // @ts-expect-error codes are a closed set of snake_case strings
      const bad: 'MissingField' = i.code
      console.log(i.path, i.message, code, bad)
    }
  } else if (err instanceof OneInboxError) {
    console.log(err.code)
  }
}

// Management: wire-name arguments, typed results, prepared requests usable with fetch.
import {
  Api,
  ApiError,
  AuthenticationError,
  Receiver,
  Secret,
  type Webhook,
  newUrlToken,
  newSigningSecret,
  sign,
  verifySignature,
  verifyUrlToken,
  addUrlToken,
  retryAfter,
  type DeliveryPage,
  type Verification,
} from 'oneinbox-webhooks'

async function manage(): Promise<void> {
  const api = new Api('oi_sk_live_x', { baseUrl: 'http://127.0.0.1:8080' })
  const req = api.createWebhook({ name: 'n', url: addUrlToken('https://e.com/h', newUrlToken()), events: ['call.ended'] })
  const res = await fetch(req.url, req)
  const hook: Webhook = req.parseResponse(res.status, await res.text())
  const secret: string | undefined = hook.secret?.reveal()
  const hooks: Webhook[] = api.listWebhooks().parseResponse(200, '[]')
  const page: DeliveryPage = api.listDeliveries(hook.id, { limit: 10 }).parseResponse(200, new Uint8Array())
  const next = api.listDeliveries(hook.id).nextPage(page)
  if (next !== null) console.log(next.url)
  const call = api
    .createCall({
      agent_id: 'a',
      to_number: '+1555',
      from_number: '+1556',
      variables: { n: 1, tags: ['x'] },
      scheduled_at: '2026-01-31T09:30:00Z',
      overrides: { first_message: 'Hi' },
    })
    .parseResponse(201, '{}')
  console.log(secret, hooks, call.status, call.duration_seconds, retryAfter(res.headers))
  api.deleteWebhook('wh').parseResponse(204, '') satisfies void
  const step = api.listWebhooks().afterStatus({ attempt: 0, maxRetries: 2, status: 503, headers: res.headers, draw: 0.5 })
  const wait: number | null = step.wait
  const lost = api.listWebhooks().afterFailure({ attempt: 1, maxRetries: 2, sent: true, cause: 'reset', draw: 0.5 })
  const message: string | null = lost.message
  console.log(wait, message, lost.retryable satisfies boolean)
  // @ts-expect-error sent is a boolean
  api.listWebhooks().afterFailure({ attempt: 1, maxRetries: 2, sent: 'yes', cause: 'reset', draw: 0.5 })
  // @ts-expect-error arguments use the wire names
  api.createCall({ agentId: 'a', toNumber: '+1', fromNumber: '+1' })
  // @ts-expect-error not an event name
  api.createWebhook({ name: 'n', url: 'https://e.com', events: ['call.ending'] })
  // @ts-expect-error status is a closed set
  api.updateWebhook('wh', { status: 'paused' })
  // @ts-expect-error limit is a number
  api.listDeliveries('wh', { limit: '5' })
  // @ts-expect-error nextPage only exists for pages
  api.listWebhooks().nextPage(hooks)
  // @ts-expect-error the secret is not a string
  const leaked: string = hook.secret
  // @ts-expect-error variables are JSON (no functions)
  api.createCall({ agent_id: 'a', to_number: '+1', from_number: '+1', variables: { f: () => 1 } })
  try {
    api.testWebhook('wh').parseResponse(500, '')
  } catch (err) {
    if (err instanceof ApiError) console.log(err.status, err.retryable, err.details[0]?.path, leaked)
  }
}
manage()

// Authentication.
declare const headers: import('node:http').IncomingHttpHeaders
const v: Verification = verifySignature(headers, raw, ['whsec_x', new Secret('whsec_y')], { now: new Date(), tolerance: 60 })
if (!v.ok && v.code === 'timestamp_too_old') console.log(v.matchedSecret)
// @ts-expect-error not a verification code
if (v.code === 'expired') console.log(v)
verifySignature(new Headers(), '{}', 'whsec_x')
verifySignature([['webhook-id', 'm']], new Uint8Array(), 'whsec_x')
// @ts-expect-error options are camelCase
verifySignature(headers, raw, 'whsec_x', { max_age: 5 })
const header: string = sign('whsec_x', 'msg_1', 1_700_000_000, raw)
console.log(header, verifyUrlToken(new URL('https://e.com/?token=t'), 't').ok)
const receiver = new Receiver({ urlTokens: [newUrlToken()], signingSecrets: 'whsec_x', tolerance: 300, strict: false })
try {
  const e: Event = receiver.receive(raw, { headers, url: '/hooks?token=t' })
  handle(e)
} catch (err) {
  if (err instanceof AuthenticationError) {
    const code: Verification['code'] = err.verification.code
    console.log(code)
  }
}
// @ts-expect-error a misspelt option
new Receiver({ urlToken: 'x' })
// @ts-expect-error options are required: a receiver with no secret fails closed
new Receiver()
const open: Receiver = new Receiver({ allowUnauthenticated: true })
console.log(open.maxBodyBytes)
// @ts-expect-error allowUnauthenticated is a boolean
new Receiver({ allowUnauthenticated: 'yes' })
// @ts-expect-error a parsed object is not a raw body
receiver.receive({ event: 'call.ended' })

// The router: `on(name, handler)` types the handler's parameter as that event.
import { Router, MissingHandlersError, KNOWN_EVENTS, type EventMap, type KnownEventName } from 'oneinbox-webhooks'
import type { CallEnded, CallStarted, TranscriptFinal, TranscriptPartial, UnknownEvent } from 'oneinbox-webhooks'

const router = new Router({ exhaustive: true })
  .on('call.ended', (e) => {
    const ended: CallEnded = e
    const seconds: number | null | undefined = e.duration_seconds
    // @ts-expect-error call.ended has no recording_url (an unknown member is `unknown`)
    const url: string | null | undefined = e.recording_url
    return [ended, seconds, url]
  })
  .on('transcript.final', async (e) => {
    const messages: TranscriptFinal['messages'] = e.messages
    return messages.length
  })
  .on('call.started', (e: CallStarted) => e.created_at)
  .on('call.analyzed', (e: Event) => handle(e)) // a broader parameter is fine
  .onUnknown((e) => {
    const unknown: UnknownEvent = e
    const name: string = e.event
    return [unknown, name]
  })
  .onAny((e) => handle(e))
for (const name of KNOWN_EVENTS) {
  const known: KnownEventName = name
  router.on(known, (e: EventMap[typeof known]) => e.call_id)
}
const transcriptHandler = (e: TranscriptPartial | TranscriptFinal) => e.messages.length
router.on('transcript.partial', transcriptHandler).on('transcript.final', transcriptHandler)
const ran: Promise<number> = router.dispatch(event)
ran.then((n: number) => n)
try {
  router.check()
} catch (err) {
  if (err instanceof MissingHandlersError) {
    const missing: readonly KnownEventName[] = err.missing
    console.log(missing, err.code === 'ERR_ONEINBOX_MISSING_HANDLERS')
  }
}
// A hand-made event needs no `extra` (a parsed one has it only when some members are unlisted).
const endedType: EventMap['call.ended'] = { event: 'call.ended', call_id: 'c' }
console.log(endedType)
// @ts-expect-error a handler for call.ended cannot take a CallStarted
router.on('call.ended', (e: CallStarted) => e.created_at)
// @ts-expect-error not a known event name (use onUnknown)
router.on('call.endd', (e) => e)
// @ts-expect-error onUnknown handlers take an UnknownEvent
router.onUnknown((e: CallEnded) => e.outcome)
// @ts-expect-error exhaustive is a boolean
new Router({ exhaustive: 'yes' })
// @ts-expect-error dispatch takes an event, not a raw body
router.dispatch(raw)

// Call records and dedupe keys.
import { CallRecord, dedupeKey, type Applied, type CallRecordJson, type CallStatus } from 'oneinbox-webhooks'

const record = new CallRecord('call_1')
const applied: Applied = record.apply(event)
const changedFlag: boolean = applied.changed
const ignoredWhy: string | null = applied.ignored
const key: string = dedupeKey(event)
const recordStatus: CallStatus = record.status
const seconds: number | null = record.duration_seconds
const seenNames: readonly string[] = record.events_seen
const firstRole = record.transcript?.[0]?.role
const summaryText: string | null | undefined = record.analysis?.summary
const mergedFlag: boolean = record.merge(CallRecord.fromJson(record.toJson()))
const plain: CallRecordJson = record.toJSON()
const outcomeSource: string | undefined = plain.sources.outcome
CallRecord.fromJson(raw)
console.log(changedFlag, ignoredWhy, key, recordStatus, seconds, seenNames, firstRole, summaryText, mergedFlag, outcomeSource)
switch (record.status) {
  case 'in_progress':
  case 'completed':
  case 'failed':
  case 'unknown':
    break
  default: {
    const never: never = record.status
    console.log(never)
  }
}
// @ts-expect-error apply takes an event, not a raw body
record.apply(raw)
// @ts-expect-error dedupeKey takes an event, not a raw body
dedupeKey('{"event":"call.ended","call_id":"c"}')
// @ts-expect-error the record's values are read-only
record.status = 'failed'
// @ts-expect-error the events seen are read-only
record.events_seen.push('x')
// @ts-expect-error not a status
const wrongStatus: CallStatus = 'done'
// @ts-expect-error merge takes a CallRecord
record.merge(plain)
// @ts-expect-error sources has only the fields that come from events
console.log(plain.sources.status, wrongStatus)

// The stores (`oneinbox-webhooks/stores`): node-redis and ioredis clients both fit RedisStore.
import { MemoryStore, RedisStore, type Recorded, type Store } from 'oneinbox-webhooks/stores'
import { createClient } from 'redis'
import Redis from 'ioredis'

async function storeTypes(e: Event): Promise<boolean> {
  const stores: Store[] = [
    new MemoryStore(),
    new RedisStore(createClient({ url: 'redis://127.0.0.1:6379' }), { prefix: 'app:', ttlSeconds: 86_400 }),
    new RedisStore(new Redis(6379, '127.0.0.1')),
  ]
  let allNew = true
  for (const store of stores) {
    const recorded: Recorded = await store.record(e)
    const record: CallRecord = recorded.record
    const again: CallRecord | null = await store.get(record.call_id)
    allNew &&= recorded.new && again !== null
  }
  const key: string = new RedisStore(new Redis()).key(e.call_id)
  return allNew && key.length > 0
}
storeTypes(event)

// The framework adapters (`oneinbox-webhooks/express`, `/fastify`, `/fetch`).
import { createServer } from 'node:http'
import { webhookMiddleware, type WebhookOptions, type WebhookLogger } from 'oneinbox-webhooks/express'
import { oneinboxWebhooks, type OneInboxFastifyOptions } from 'oneinbox-webhooks/fastify'
import { webhookHandler } from 'oneinbox-webhooks/fetch'
import Fastify from 'fastify'

function adapterTypes(): void {
  const adapterLogger: WebhookLogger = { error: (message: string, error?: unknown) => console.error(message, error) }
  // info and debug are optional: refused deliveries and acknowledged retries at those levels.
  const levelledLogger: WebhookLogger = { error: console.error, info: (line: string) => line.length, debug: console.debug }
  const webhookOptions: WebhookOptions = {
    receiver: new Receiver({ urlTokens: newUrlToken() }),
    router: new Router().on('call.ended', async (e) => console.log(e.outcome)),
    store: new MemoryStore(),
    ackTimeoutMs: 2000,
    logger: adapterLogger,
  }
  // Express middleware is Node middleware: it fits a plain node:http server too.
  const middleware: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void> =
    webhookMiddleware(webhookOptions)
  createServer(middleware)
  webhookMiddleware({ receiver: webhookOptions.receiver, router: webhookOptions.router, logger: console })
  webhookMiddleware({ ...webhookOptions, logger: levelledLogger })

  const app = Fastify()
  app.register(oneinboxWebhooks, { ...webhookOptions, path: '/hooks/oneinbox' })
  app.register(oneinboxWebhooks, { receiver: webhookOptions.receiver, router: webhookOptions.router, prefix: '/v2' })
  // @ts-expect-error the plugin needs a router
  app.register(oneinboxWebhooks, { receiver: webhookOptions.receiver })
  const fastifyOptions: OneInboxFastifyOptions = { ...webhookOptions }
  console.log(fastifyOptions.path)

  const POST: (request: Request) => Promise<Response> = webhookHandler({ receiver: webhookOptions.receiver, router: webhookOptions.router })
  POST(new Request('https://example.test/webhooks/oneinbox', { method: 'POST', body: '{}' })).then((r: Response) => r.status)

  // @ts-expect-error the router is required
  webhookHandler({ receiver: webhookOptions.receiver })
  // @ts-expect-error ackTimeoutMs is milliseconds, a number
  webhookMiddleware({ ...webhookOptions, ackTimeoutMs: '5s' })
  // @ts-expect-error a logger needs error(message)
  webhookHandler({ ...webhookOptions, logger: { info: (m: string) => m } })
}
adapterTypes()

// ---------------------------------------------------------------------------------------------
// Client, FakeOneInbox and the factories

import {
  Client,
  TransportError,
  type ClientOptions,
  type Call,
  type CallPage,
  type PreparedRequest,
  type Delivery as DeliveryRecord,
} from 'oneinbox-webhooks'
import {
  CALL_SEQUENCE,
  FakeOneInbox,
  makeCall,
  makeDelivery,
  makeEvent,
  type Delivery,
  type FakeCall,
  type FakeDelivery,
  type FakeResponse,
  type FakeWebhook,
  type RecordedRequest,
} from 'oneinbox-webhooks/testing'

async function clientTypes(): Promise<void> {
  const waits: number[] = []
  const options: ClientOptions = {
    baseUrl: 'http://127.0.0.1:8080',
    timeoutMs: 5000,
    maxRetries: 3,
    fetch: globalThis.fetch,
    sleep: async (ms: number) => {
      waits.push(ms)
    },
    random: Math.random,
  }
  const client = new Client('oi_sk_test_abc', options)
  const hook: Webhook = await client.createWebhook({ name: 'n', url: 'https://e.com/h', events: ['call.ended'] })
  const secret: string | undefined = hook.secret?.reveal()
  const hooks: Webhook[] = await client.listWebhooks()
  await client.updateWebhook(hook.id, { status: 'inactive' })
  const nothing: void = await client.deleteWebhook(hook.id)
  await client.testWebhook(hook.id)
  const page: DeliveryPage = await client.listDeliveries(hook.id, { limit: 10, offset: 20 })
  for await (const d of client.iterDeliveries(hook.id, { limit: 100 })) {
    const record: DeliveryRecord = d
    console.log(record.id, record.response_status)
  }
  const call: Call = await client.createCall({
    agent_id: 'a',
    to_number: '+15551234567',
    from_number: '+15551234568',
    webhook_url: 'https://e.com/c',
  })
  const fetched: Call = await client.getCall(call.id)
  const listed: CallPage = await client.listCalls({ agent_id: 'a', status: 'queued', limit: 5, offset: 0 })
  for await (const c of client.iterCalls({ status: 'completed', limit: 100 })) {
    const one: Call = c
    console.log(one.id, one.outcome)
  }
  const nextCalls: PreparedRequest<CallPage> | null = client.api.listCalls().nextPage(listed)
  console.log(fetched.status, listed.total, nextCalls?.url)
  const again: Webhook[] = await client.send(client.api.listWebhooks())
  console.log(secret, hooks, nothing, page.total, call.id, again, client.baseUrl, client.timeoutMs, client.maxRetries)
  try {
    await client.createCall({ agent_id: 'a', to_number: '+15551234567', from_number: '+15551234568' })
  } catch (err) {
    if (err instanceof TransportError) {
      const policy: 'idempotent' | 'creates_webhook' | 'creates_call' | 'sends_test_delivery' = err.retry
      const code: 'ERR_ONEINBOX_TRANSPORT' = err.code
      console.log(policy, code, err.attempts, err.timedOut, err.retryable, err.url)
    } else if (err instanceof ApiError) {
      console.log(err.retryable)
    }
  }
  // @ts-expect-error createWebhook returns a Promise: await it
  const notAwaited: Webhook = client.createWebhook({ name: 'n', url: 'https://e.com/h', events: ['call.ended'] })
  // @ts-expect-error options are camelCase
  new Client('k', { max_retries: 1 })
  // @ts-expect-error timeoutMs is a number of milliseconds
  new Client('k', { timeoutMs: '10s' })
  // @ts-expect-error iterDeliveries is an async iterable, not an array
  client.iterDeliveries('wh_1').map((d: DeliveryRecord) => d.id)
  // The key and base URL may come from ONEINBOX_API_KEY / ONEINBOX_BASE_URL.
  const fromEnv: Client = new Client()
  const fromEnvWithOptions: Client = new Client(undefined, { maxRetries: 0 })
  const configured: Api = Api.configure({ apiKey: 'oi_sk_k', envBaseUrl: process.env.ONEINBOX_BASE_URL })
  // @ts-expect-error settings are camelCase
  Api.configure({ api_key: 'k' })
  console.log(fromEnv.baseUrl, fromEnvWithOptions.maxRetries, configured.baseUrl)
  console.log(notAwaited)
}
clientTypes()

async function fakeTypes(): Promise<void> {
  const fake = new FakeOneInbox({ apiKey: 'oi_sk_test_fake' })
  const client: Client = new Client(fake.apiKey, { baseUrl: fake.url, fetch: fake.fetch })
  const recorded: Client = fake.client({ maxRetries: 1, random: () => 0.5 })
  fake.failNext(429, { retryAfter: 2 })
  fake.failNext(502, { times: 2, processed: true, body: { detail: 'Bad Gateway' } })
  fake.disconnectNext({ processed: true })
  await client.listWebhooks()
  await recorded.listWebhooks()
  const webhooks: FakeWebhook[] = fake.webhooks
  const secret: string = webhooks[0].secret
  const calls: FakeCall[] = fake.calls
  const webhookUrl: string | null = calls[0].webhook_url
  const requests: RecordedRequest[] = fake.requests
  const authorized: boolean = requests[0].authorized
  const sleeps: number[] = fake.sleeps
  const history = fake.deliveries(webhooks[0].id)
  fake.addDelivery(webhooks[0].id, { event: 'call.failed', response_status: 500 })
  const answer: FakeResponse | null = fake.handle({
    method: 'GET',
    url: '/v1/webhooks',
    headers: { authorization: `Bearer ${fake.apiKey}` },
  })
  const url: string = await fake.listen(0)
  await fake.close()
  console.log(secret, webhookUrl, authorized, sleeps, history[0].event, answer?.status, url)
  // @ts-expect-error failNext takes a status number
  fake.failNext('502')
  // @ts-expect-error processed is a boolean
  fake.disconnectNext({ processed: 'yes' })
  const player = new FakeOneInbox({ seed: 7, faults: { drop: 0.1, maxDelayMs: 1000 }, signingSecret: 'whsec_x' })
  const hook: FakeWebhook = player.addWebhook('http://127.0.0.1:3000/hook', { events: ['call.ended'] })
  const played: FakeCall = player.playCall({ webhookUrl: 'http://127.0.0.1:3000/hook', failure: 'busy' })
  player.outage('http://127.0.0.1', { start: 0, duration: 60 })
  const sent: number = await player.settle({ timeout: 2000 })
  const rows: FakeDelivery[] = player.deliveriesForCall(played.id)
  const ownUrl: string | null = rows[0].webhook_id
  const clock: number = player.now
  console.log(hook.id, sent, ownUrl, clock)
  // @ts-expect-error a probability is a number
  new FakeOneInbox({ faults: { drop: 'often' } })
}
fakeTypes()

function factoryTypes(): void {
  const sequence: readonly KnownEventName[] = CALL_SEQUENCE
  const body: Buffer = makeEvent('call.ended', { call_id: 'call_1', outcome: null, duration_seconds: 12 })
  const call: Buffer[] = makeCall()
  makeCall('call_1')
  const d: Delivery = makeDelivery(body, {
    url: 'https://e.com/h',
    urlToken: 'tok',
    signingSecret: new Secret('whsec_abc'),
    timestamp: new Date(),
  })
  const headers: Readonly<Record<string, string>> = d.headers
  const event = new Receiver({ urlTokens: ['tok'] }).receive(d.body, { headers: d.headers, url: d.url })
  console.log(sequence, call, headers, d.event, event.call_id)
  // @ts-expect-error not a documented event name
  makeEvent('call.endd')
  // @ts-expect-error overrides are JSON values
  makeEvent('call.ended', { when: new Date() })
  // @ts-expect-error url is required
  makeDelivery(body, { urlToken: 'tok' })
}
factoryTypes()

// ---- the inbox's state machine -------------------------------------------------------------
import { InboxPolicy, inboxBackoffMs, type InboxRow, type InboxStep } from 'oneinbox-webhooks/inbox'

function inboxTypes(): void {
  const policy = new InboxPolicy({ lease: 30, maxAttempts: 5 })
  const first: InboxStep = policy.arrive(null, Date.now())
  const row: InboxRow | null = first.row
  if (first.verdict === 'run' && row !== null) {
    const attempt: number | null = first.attempt
    const done = policy.finish(row, attempt ?? 1, null, Date.now())
    const state: 'claimed' | 'done' | 'failed' | 'dead' | undefined = done.row?.state
    void state
  }
  const wait: number = inboxBackoffMs(2)
  void wait
  // @ts-expect-error the verdict is a closed set
  const wrong: InboxStep['verdict'] = 'retry'
  void wrong
  // @ts-expect-error a misspelt option
  new InboxPolicy({ leese: 30 })
}
inboxTypes()

// ---- the inbox through a store, the worker's drain and the adapters' atMostOnce ------------
import {
  drain,
  currentDelivery,
  DEFAULT_RETENTION,
  type Arrival,
  type DeadLetter,
  type Delivery as InboxDelivery,
  type DrainReport,
} from 'oneinbox-webhooks/stores'

async function inboxStoreTypes(e: Event, body: Buffer): Promise<number> {
  const store = new MemoryStore({ lease: 30, maxAttempts: 5, maxDeliveries: 1000 })
  const arrival: Arrival<CallRecord> = await store.arrive(e, body, { now: Date.now() })
  const status: string | null = arrival.record.status
  if (arrival.delivery !== null) {
    const d: InboxDelivery = arrival.delivery
    const verdict: 'done' | 'failed' | string = await store.finish(d, null)
    console.log(verdict, d.attempt, d.body.length, status)
  }
  const row: InboxRow | null = await store.row(arrival.key)
  const keys: string[] = await store.due({ limit: 10 })
  const taken = await store.take(keys[0] ?? arrival.key)
  const letters: DeadLetter[] = await store.dead({ limit: 5 })
  const pruned: number = await store.prune({ olderThan: DEFAULT_RETENTION, includeDead: false })
  await store.claim(e, body, async (d) => console.log(d.key, currentDelivery()?.attempt))
  await store.claim(e, (d) => d.key)
  const report: DrainReport = await drain(store, new Router(), { limit: 10, retention: 3600 })
  // @ts-expect-error now is Unix ms, a number
  await store.due({ now: new Date() })
  // @ts-expect-error unknown option
  new MemoryStore({ leaseSeconds: 30 })
  return (row?.attempts ?? 0) + letters.length + pruned + report.done.length + (taken.delivery?.attempt ?? 0)
}
inboxStoreTypes(event, Buffer.from('{}'))

const atMostOnce: WebhookOptions = {
  receiver: new Receiver({ urlTokens: newUrlToken() }),
  router: new Router(),
  store: new MemoryStore(),
  atMostOnce: true,
}
console.log(atMostOnce)

// PostgresStore (`oneinbox-webhooks/stores`) over anything with pg's query and connect.
import { PostgresStore, type PostgresClient, type PgDelivery } from 'oneinbox-webhooks/stores'

async function postgresTypes(db: PostgresClient, e: Event): Promise<number> {
  const store = new PostgresStore(db, { lease: 30, maxAttempts: 5 })
  const arrival = await store.arrive(e, Buffer.from('{}'), { now: Date.now() })
  const delivery: PgDelivery | null = arrival.delivery
  if (delivery !== null) {
    const attempt: number = delivery.attempt
    const verdict: 'done' | string = await store.finish(delivery, attempt > 1 ? 'Error: again' : null)
    void verdict
    await store.transaction(async (client) => client.query('SELECT 1'), { delivery })
  }
  const keys: string[] = await store.due({ limit: 10 })
  const dead = await store.dead({ limit: 5 })
  const body: Buffer | undefined = dead[0]?.body
  void body
  // @ts-expect-error olderThan is in seconds, a number
  await store.prune({ olderThan: '7d' })
  return keys.length + (await store.prune({ olderThan: 3600, includeDead: true }))
}
void postgresTypes

// The delivery doctor: the diagnosis is typed; cause codes are a closed union.
import { diagnose, renderDiagnosis, type Diagnosis, type CauseCode } from 'oneinbox-webhooks'
function doctorTypes(rows: Array<{ [key: string]: unknown }>): string {
  const d: Diagnosis = diagnose([{ id: 'wh_1' }], rows, null)
  const codes: CauseCode[] = d.causes.map((c) => c.code)
  const windows = d.causes[0]?.windows ?? []
  const from: string | undefined = windows[0]?.from
  // @ts-expect-error not a cause code
  const wrong: CauseCode = 'teapot'
  void wrong
  return `${d.healthy} ${codes.join()} ${from} ${d.summary.failed} ${renderDiagnosis(d, { json: true })}`
}
void doctorTypes

// When deliveries go missing: reconcile, its policy and the record's snapshots.
import { ReconcilePolicy, recordIsOpen, synthesize, type Overdue, type Synthesized } from 'oneinbox-webhooks'
import { reconcile, type ReconcileReport } from 'oneinbox-webhooks/stores'

async function reconcileTypes(router: Router): Promise<number> {
  const policy = new ReconcilePolicy({ endedAfterMs: 60_000, expect: ['call.analyzed', 'call.recording.available'] })
  // @ts-expect-error transcript.partial is never expected
  void new ReconcilePolicy({ expect: ['transcript.partial'] })
  const record = new CallRecord('call_1')
  const applied: Applied = record.applyCall({ id: 'call_1', status: 'completed' })
  const snapshot: CallStatus = record.snapshot_status
  const reconciled: readonly string[] = record.reconciled
  const covered: boolean = record.covers('call.analyzed', 'call.analyzed:call_1:0')
  const overdue: Overdue | null = policy.overdue(record, 0, Date.now())
  const events: Synthesized[] = synthesize(record, { id: 'call_1', status: 'completed' })
  const client = { getCall: async (id: string) => ({ id, status: 'completed' }) }
  const report: ReconcileReport = await reconcile(new MemoryStore(), client, router, { policy, concurrency: 4, now: Date.now() })
  void [applied, snapshot, reconciled, covered, overdue, recordIsOpen(record)]
  return events.length + report.checked + (report.recovered['call.analyzed'] ?? 0)
}
void reconcileTypes

// Issue 28: test secrets and access logs without URL tokens.
import { redactRequest, redactedUrl } from 'oneinbox-webhooks/express'
import { requestSerializer } from 'oneinbox-webhooks/fastify'
import type { IncomingMessage } from 'node:http'
{
  const secret: string = newSigningSecret()
  const signature: string = sign(secret, 'msg_1', 1, '{}')
  const url: string = redactedUrl({ url: '/h?token=x' } as IncomingMessage)
  const req: { url: string; method: string } = redactRequest({ url: '/h?token=x', method: 'POST' })
  const logged: { url: string } = requestSerializer({} as import('fastify').FastifyRequest)
  void [signature, url, req, logged]
}

import type { ExtraMembers, JsonValue } from 'oneinbox-webhooks'

// Known events are closed types: a misspelt or unlisted member is a compile error, and the
// members the contract does not list are read through `extra` (lenient mode keeps them).
{
  const e = parseEvent('{"event":"call.ended","call_id":"c","sentiment":"happy"}')
  if (e.event === 'call.ended') {
    // @ts-expect-error call.ended has no `messages` (a misspelt or unlisted field)
    console.log(e.messages)
    // @ts-expect-error misspelt: `outcome`
    console.log(e.outcom)
    const sentiment: JsonValue | undefined = e.extra?.sentiment
    const summaryExtra: JsonValue | undefined = e.analysis?.extra?.tone
    // @ts-expect-error extra is there only when some members are unlisted
    console.log(e.extra.sentiment)
    if (e.extra) {
      // @ts-expect-error extra is read-only
      e.extra.sentiment = 'sad'
    }
    console.log(sentiment, summaryExtra)
  } else if (e.event === 'transcript.final') {
    const first = e.messages[0]
    // @ts-expect-error misspelt: `content`
    console.log(first?.contnet)
    console.log(first?.extra?.confidence)
  } else if (e.event !== 'call.started' && e.event !== 'call.analyzed' && e.event !== 'call.failed') {
    if (e.event !== 'call.recording.available' && e.event !== 'transcript.partial') {
      // lenient mode's unknown events: their own type, the whole payload in `extra`
      const unknown: UnknownEvent = e
      const extra: ExtraMembers = unknown.extra
      // @ts-expect-error an unknown event's other members are in `extra`
      console.log(unknown.transfer_to)
      console.log(extra.transfer_to)
    }
  }
}
