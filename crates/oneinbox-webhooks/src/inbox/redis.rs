//! The Redis scripts of the inbox, written once for the Python and Node `RedisStore`s (which
//! write the same keys and values, so workers in both languages share one server). The stores
//! read a delivery's hash and its call's hash, ask [`Policy::step`](super::Policy::step), and
//! write the step with [`WRITE`]: a compare-and-set on the versions they read.
//!
//! Keys, under the store's prefix: `{prefix}d:{dedupe key}` (a hash per delivery: `call_id`,
//! `event`, `body`, the row's `state`, `attempts`, `due_at`, `last_error`, `updated_at`, absent
//! for `None`, and `v`, its version), `{prefix}r:{call_id}` (a hash per call: `record`, the
//! folded `CallRecord` JSON, and `v`), the sorted sets `{prefix}due`, `{prefix}dead` and
//! `{prefix}done` of dedupe keys by due time, time of death and time done, and `{prefix}open`
//! of the open calls' ids (see [`crate::reconcile::is_open`]) by the time their record last
//! changed (what a reconciler lists).

/// Writes a step if no one wrote in between. KEYS: the delivery's hash, due, dead, done, and
/// optionally the call's hash. ARGV: the delivery's version as read (`""` for none); the row's
/// state, attempts, due_at, last_error, updated_at (`""` for `None`); the dedupe key; for a new
/// delivery its call_id, event and body (else three `""`); with the call's hash, its version as
/// read, the record's JSON (`""`: unchanged) and a ttl in seconds (`""`: none); optionally (a
/// sixth key, the open set) `"1"` to list the call as open at the row's `updated_at`, `"0"` to
/// drop it (`""`: leave it), and the call id. Answers 1 when written, 0 when a version changed
/// (read again and step again).
pub const WRITE: &str = r#"
local function get(key, field)
  local v = redis.call('HGET', key, field)
  if v == false then return '' end
  return v
end
if get(KEYS[1], 'v') ~= ARGV[1] then return 0 end
if #KEYS >= 5 and get(KEYS[5], 'v') ~= ARGV[11] then return 0 end
local key = ARGV[7]
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[1], 'call_id', ARGV[8], 'event', ARGV[9], 'body', ARGV[10])
end
local v = tonumber(ARGV[1] ~= '' and ARGV[1] or '0') + 1
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'attempts', ARGV[3], 'updated_at', ARGV[6], 'v', v)
for i, field in ipairs({'due_at', 'last_error'}) do
  if ARGV[3 + i] == '' then redis.call('HDEL', KEYS[1], field)
  else redis.call('HSET', KEYS[1], field, ARGV[3 + i]) end
end
if ARGV[4] == '' then redis.call('ZREM', KEYS[2], key)
else redis.call('ZADD', KEYS[2], ARGV[4], key) end
if ARGV[2] == 'dead' then redis.call('ZADD', KEYS[3], ARGV[6], key)
else redis.call('ZREM', KEYS[3], key) end
if ARGV[2] == 'done' then redis.call('ZADD', KEYS[4], ARGV[6], key)
else redis.call('ZREM', KEYS[4], key) end
if #KEYS >= 5 and ARGV[12] ~= '' then
  local rv = tonumber(ARGV[11] ~= '' and ARGV[11] or '0') + 1
  redis.call('HSET', KEYS[5], 'record', ARGV[12], 'v', rv)
  if ARGV[13] ~= '' then redis.call('EXPIRE', KEYS[5], ARGV[13]) end
  if #KEYS == 6 and ARGV[14] == '1' then redis.call('ZADD', KEYS[6], ARGV[6], ARGV[15])
  elseif #KEYS == 6 and ARGV[14] == '0' then redis.call('ZREM', KEYS[6], ARGV[15]) end
end
return 1
"#;

/// Writes a call's record alone (a snapshot folded in) if no one wrote it in between. KEYS: the
/// call's hash, the open set. ARGV: the record's version as read, its JSON, a ttl in seconds
/// (`""`: none), `"1"` / `"0"` / `""` (list as open, drop, leave), the call id, the time of the
/// change (Unix ms). Answers 1 when written, 0 when the version changed.
pub const RECORD: &str = r#"
local v = redis.call('HGET', KEYS[1], 'v')
if v == false then v = '' end
if v ~= ARGV[1] then return 0 end
local rv = tonumber(ARGV[1] ~= '' and ARGV[1] or '0') + 1
redis.call('HSET', KEYS[1], 'record', ARGV[2], 'v', rv)
if ARGV[3] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if ARGV[4] == '1' then redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
elseif ARGV[4] == '0' then redis.call('ZREM', KEYS[2], ARGV[5]) end
return 1
"#;

/// Drops the done deliveries (and with `ARGV[2] = "1"` the dead letters) whose time is at or
/// before `ARGV[1]` (Unix ms). `KEYS`: done, dead. `ARGV[3]`: the prefix. Answers how many.
pub const PRUNE: &str = r#"
local dropped = 0
local function drop(set)
  local keys = redis.call('ZRANGEBYSCORE', set, '-inf', ARGV[1])
  for _, key in ipairs(keys) do
    redis.call('DEL', ARGV[3] .. 'd:' .. key)
    redis.call('ZREM', set, key)
    dropped = dropped + 1
  end
end
drop(KEYS[1])
if ARGV[2] == '1' then drop(KEYS[2]) end
return dropped
"#;
