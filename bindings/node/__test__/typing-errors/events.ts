// Known events are closed types: a misspelt or unlisted member does not compile; members the
// contract does not list are read through `extra`, there only when some are unlisted.
// typing-errors.test.js compiles this file and expects exactly the errors marked
// `// E: <code> <text>` on their lines. Never run.
import { parseEvent } from 'oneinbox-webhooks'

const e = parseEvent('{"event":"call.ended","call_id":"c"}')
if (e.event === 'call.ended') {
  console.log(e.messages) // E: TS2339 Property 'messages' does not exist on type 'CallEnded'
  console.log(e.outcom) // E: TS2551 Property 'outcom' does not exist on type 'CallEnded'. Did you mean 'outcome'?
  console.log(e.analysis?.summry) // E: TS2551 Property 'summry' does not exist on type 'Analysis'. Did you mean 'summary'?
  console.log(e.extra?.sentiment)
  console.log(e.extra.sentiment) // E: TS18048 'e.extra' is possibly 'undefined'.
  if (e.extra) e.extra.sentiment = 'sad' // E: TS2542 Index signature in type 'ExtraMembers' only permits reading.
}
if (e.event === 'transcript.final') {
  console.log(e.messages[0]?.contnet) // E: TS2551 Property 'contnet' does not exist on type 'Message'. Did you mean 'content'?
}
