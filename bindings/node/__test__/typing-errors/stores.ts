// Misuse of `oneinbox-webhooks/stores` that `tsc --strict` must reject (see typing-errors.test.js).
import { parseEvent } from 'oneinbox-webhooks'
import { MemoryStore, RedisStore, type Store } from 'oneinbox-webhooks/stores'
import { createClient } from 'redis'

declare const body: Buffer
const store: Store = new MemoryStore()

new RedisStore({}) // E: TS2345 Argument of type '{}' is not assignable to parameter of type '
new RedisStore(createClient(), { ttl_seconds: 60 }) // E: TS2561 'ttl_seconds' does not exist in type 'RedisStoreOptions'
new RedisStore(createClient(), { ttlSeconds: '60' }) // E: TS2322 Type 'string' is not assignable to type 'number'
store.record(body) // E: TS2345 is not assignable to parameter of type 'Event'
store.get(1) // E: TS2345 Argument of type 'number' is not assignable to parameter of type 'string'
const recorded = store.record(parseEvent(body))
recorded.new // E: TS2339 Property 'new' does not exist on type 'Promise<Recorded>'
recorded.then((r) => {
  r.new = false // E: TS2540 Cannot assign to 'new' because it is a read-only property
})
store.get('c').then((record) => record.call_id) // E: TS18047 'record' is possibly 'null'
