// A user's first TypeScript file: it imports the main entry point only, and its tsconfig lists
// no `types` (TypeScript 6 and 7 no longer load every @types package by default). The package's
// declaration files must bring in Node's types themselves (`/// <reference types="node" />`).
// `just tsc-node` checks it with TypeScript 5.9, 6 and 7. Never run.
import { type CallEnded, type Event, parseEvent, Receiver } from 'oneinbox-webhooks'

const event: Event = parseEvent('{"event":"call.ended","call_id":"call_1"}')
const receiver = new Receiver({ signingSecrets: ['whsec_AAAAAAAAAAAAAAAAAAAAAAAA'] })
const received: Event = receiver.receive(new Uint8Array(2), { headers: {}, now: 0 })
if (event.event === 'call.ended' && received.event === 'call.ended') {
  const ended: CallEnded = event
  const seconds: number | null | undefined = ended.duration_seconds
  void seconds
}
