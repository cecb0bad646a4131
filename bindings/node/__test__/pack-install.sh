#!/usr/bin/env bash
# `npm pack` the built package, install the tarball into an empty temporary project (offline:
# the package has no runtime dependencies) and load it there, from CommonJS and from ESM.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tarball=$(npm pack --silent --pack-destination "$tmp" | tail -n 1)
mkdir "$tmp/app"
cd "$tmp/app"
npm init -y >/dev/null
npm install --silent --offline --no-audit --no-fund "$tmp/$tarball"
node -e '
  const { parseEvent, ValidationError } = require("oneinbox-webhooks")
  const e = parseEvent(Buffer.from(JSON.stringify({ event: "call.failed", call_id: "call_1" })))
  if (e.event !== "call.failed") throw new Error("wrong event")
  try { parseEvent("[]"); throw new Error("no error") } catch (err) { if (!(err instanceof ValidationError)) throw err }
'
node --input-type=module -e '
  import { parseEvent } from "oneinbox-webhooks"
  if (parseEvent("{\"event\":\"x\",\"call_id\":\"c\"}").call_id !== "c") throw new Error("esm")
'
# The router (main entry) and the stores (a subpath export that needs no Redis client to load).
node -e '
  const { parseEvent, Router } = require("oneinbox-webhooks")
  const { MemoryStore } = require("oneinbox-webhooks/stores")
  const event = parseEvent("{\"event\":\"call.ended\",\"call_id\":\"c\"}")
  const seen = []
  new Router().on("call.ended", (e) => seen.push(e.call_id)).dispatch(event)
    .then(() => new MemoryStore().record(event))
    .then((r) => { if (!r.new || r.record.status !== "completed" || seen[0] !== "c") throw new Error("router/stores") })
'
node --input-type=module -e '
  import { MemoryStore, RedisStore } from "oneinbox-webhooks/stores"
  if (typeof MemoryStore !== "function" || typeof RedisStore !== "function") throw new Error("esm stores")
'
echo "npm pack: $tarball installs into an empty project and loads (CommonJS and ESM, router and stores)"
