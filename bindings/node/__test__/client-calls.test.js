// Client.getCall, listCalls and iterCalls against FakeOneInbox listening on a loopback port (the
// global fetch): the filters, every page iterCalls follows, and a 404 as a typed ApiError.
'use strict'

require('./helpers/no-client-env.js')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { ApiError, Client, UsageError } = require('..')
const { FakeOneInbox } = require('../testing')

const KEY = 'oi_sk_test_SECRETKEY123'

// A fake listening on a free loopback port and a client of it, closed after `body`.
async function withServed(body) {
  const fake = new FakeOneInbox({ apiKey: KEY })
  const url = await fake.listen(0)
  try {
    await body(fake, new Client(KEY, { baseUrl: url }))
  } finally {
    await fake.close()
  }
}

// `count` calls, alternately for agents agt_1 and agt_2, oldest first.
async function place(client, count) {
  const placed = []
  for (let i = 0; i < count; i++) {
    placed.push(await client.createCall({ agent_id: `agt_${(i % 2) + 1}`, to_number: '+15551234567', from_number: '+15557654321' }))
  }
  return placed
}

const callsQueries = (fake) => fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/calls').map((r) => r.query)

async function collect(iterator) {
  const out = []
  for await (const item of iterator) out.push(item)
  return out
}

test('getCall returns the stored call, with its per-call webhook_url', async () => {
  await withServed(async (fake, client) => {
    const created = await client.createCall({
      agent_id: 'agt_1',
      to_number: '+15551234567',
      from_number: '+15557654321',
      webhook_url: 'https://example.com/calls',
      metadata: { crm: 7 },
    })
    const got = await client.getCall(created.id)
    assert.deepEqual(got, { ...created, webhook_url: 'https://example.com/calls' })
    assert.equal(fake.requests.at(-1).path, `/v1/calls/${created.id}`)
  })
})

test('an unknown call is a 404 ApiError (not retried); a bad id is a UsageError before sending', async () => {
  await withServed(async (fake, client) => {
    await assert.rejects(
      client.getCall('call_missing'),
      (err) => err instanceof ApiError && err.status === 404 && err.message === 'Call not found' && !err.retryable,
    )
    assert.equal(fake.requests.length, 1)
    for (const bad of ['', '..']) {
      assert.throws(
        () => client.api.getCall(bad),
        (err) => err instanceof UsageError && err.issues[0].code === 'invalid_value' && err.issues[0].path === '/call_id',
      )
      await assert.rejects(client.getCall(bad), UsageError)
    }
    await assert.rejects(
      client.listCalls({ limit: 101, offset: -1 }),
      (err) => err instanceof UsageError && err.issues.map((i) => i.path).join() === '/limit,/offset',
    )
    assert.equal(fake.requests.length, 1)
  })
})

test('listCalls: newest first, filtered by agent_id and status, one page', async () => {
  await withServed(async (fake, client) => {
    const placed = await place(client, 5)
    const page = await client.listCalls()
    assert.deepEqual([page.total, page.limit, page.offset], [5, 20, 0])
    assert.deepEqual(
      page.items.map((c) => c.id),
      placed.map((c) => c.id).reverse(),
    )
    const agent2 = await client.listCalls({ agent_id: 'agt_2', limit: 1 })
    assert.deepEqual([agent2.total, agent2.limit, agent2.items.map((c) => c.id)], [2, 1, [placed[3].id]])
    assert.deepEqual((await client.listCalls({ status: 'queued', offset: 4 })).items, [placed[0]])
    assert.equal((await client.listCalls({ status: 'completed' })).total, 0)
    assert.deepEqual(callsQueries(fake), ['', 'agent_id=agt_2&limit=1', 'status=queued&offset=4', 'status=completed'])
  })
})

test('iterCalls follows every page (45 calls, limit 20: 3 pages), lazily, keeping the filters', async () => {
  await withServed(async (fake, client) => {
    const placed = await place(client, 45)
    const before = fake.requests.length
    const iterator = client.iterCalls({ limit: 20 })
    assert.equal(fake.requests.length, before, 'nothing is sent before the first next()')
    const all = await collect(iterator)
    assert.deepEqual(
      all.map((c) => c.id),
      placed.map((c) => c.id).reverse(),
    )
    assert.deepEqual(callsQueries(fake), ['limit=20', 'limit=20&offset=20', 'limit=20&offset=40'])
    const agent1 = await collect(client.iterCalls({ agent_id: 'agt_1', limit: 10 }))
    assert.deepEqual(
      agent1.map((c) => c.agent_id),
      Array(23).fill('agt_1'),
    )
    assert.deepEqual(callsQueries(fake).slice(3), [
      'agent_id=agt_1&limit=10',
      'agent_id=agt_1&limit=10&offset=10',
      'agent_id=agt_1&limit=10&offset=20',
    ])
    assert.throws(
      () => client.iterCalls({ limit: 0 }),
      (err) => err instanceof UsageError && err.issues[0].path === '/limit',
    )
    assert.deepEqual(await collect(client.iterCalls({ status: 'completed' })), [])
    const oldest = await collect(client.iterCalls({ limit: 3, offset: 40 }))
    assert.deepEqual(
      oldest.map((c) => c.id),
      placed
        .slice(0, 5)
        .map((c) => c.id)
        .reverse(),
    )
    assert.deepEqual(callsQueries(fake).slice(-2), ['limit=3&offset=40', 'limit=3&offset=43'])
  })
})

test('nextPage of a listCalls request is a listCalls request; a page from elsewhere is refused', async () => {
  await withServed(async (_fake, client) => {
    await place(client, 3)
    const first = client.api.listCalls({ status: 'queued', limit: 2 })
    const page = await client.send(first)
    const next = first.nextPage(page)
    assert.match(next.url, /\/v1\/calls\?status=queued&limit=2&offset=2$/)
    const last = await client.send(next)
    assert.equal(last.items.length, 1)
    assert.equal(next.nextPage(last), null)
    assert.throws(() => first.nextPage({ ...page }), TypeError)
  })
})
