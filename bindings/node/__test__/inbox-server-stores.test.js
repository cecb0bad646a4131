// At least once through an adapter over the stores on servers (RedisStore through node-redis and
// ioredis, PostgresStore through a pg Pool): a handler failing on its first run gives 500, the
// retry 204 with a second run, a third copy 204 without running it (as adapters.test.js checks
// over MemoryStore, here through the fetch adapter).
'use strict'

require('./helpers/no-client-env.js')
const { test, before, after, describe } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { Receiver, Router } = require('..')
const { RedisStore, PostgresStore, currentDelivery } = require('oneinbox-webhooks/stores')
const { webhookHandler } = require('oneinbox-webhooks/fetch')
const { makeDelivery, makeEvent } = require('oneinbox-webhooks/testing')
const { startRedis } = require('./helpers/redis-server.js')
const { startPostgres } = require('./helpers/postgres-server.js')

let redis
let postgres
const closers = []
before(async () => {
  redis = await startRedis()
  postgres = await startPostgres()
})
after(async () => {
  for (const close of closers) await close()
  await redis?.stop()
  await postgres?.stop()
})

const STORES = {
  'RedisStore (node-redis)': async () => {
    const { createClient } = require('redis')
    const client = createClient({ url: redis.url })
    client.on('error', () => {})
    await client.connect()
    closers.push(() => client.close())
    return new RedisStore(client, { prefix: `test-${crypto.randomUUID()}:` })
  },
  'RedisStore (ioredis)': async () => {
    const { default: Redis } = require('ioredis')
    const client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true })
    await client.connect()
    closers.push(() => client.quit())
    return new RedisStore(client, { prefix: `test-${crypto.randomUUID()}:` })
  },
  'PostgresStore (pg Pool)': async () => {
    const { Pool } = require('pg')
    const pool = new Pool({ connectionString: postgres.newDatabase() })
    closers.push(() => pool.end())
    return new PostgresStore(pool)
  },
}

for (const [name, makeStore] of Object.entries(STORES)) {
  describe(name, () => {
    test('a handler failing once: 500, then 204 with a second run, then 204 unrun', async () => {
      const token = `tok_${crypto.randomBytes(8).toString('hex')}`
      const attempts = []
      const router = new Router().on('call.ended', () => {
        attempts.push(currentDelivery().attempt)
        if (attempts.length === 1) throw new Error('database briefly down')
      })
      const store = await makeStore()
      const handle = webhookHandler({ receiver: new Receiver({ urlTokens: [token] }), router, store, logger: { error() {} } })
      const d = makeDelivery(makeEvent('call.ended', { call_id: `call_${crypto.randomUUID()}` }), {
        url: 'https://example.com/webhooks/oneinbox',
        urlToken: token,
      })
      const statuses = []
      for (let i = 0; i < 3; i++) {
        const response = await handle(new Request(d.url, { method: 'POST', headers: d.headers, body: d.body }))
        statuses.push(response.status)
      }
      assert.deepEqual(statuses, [500, 204, 204])
      assert.deepEqual(attempts, [1, 2])
      assert.deepEqual(await store.due({ now: Date.now() + 10 ** 9 }), [])
    })
  })
}
