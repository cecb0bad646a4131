// Misuse that `tsc --strict` must reject; typing-errors.test.js compiles this file and expects
// exactly the errors marked `// E: <code> <text>` on their lines. Never run.
import { Router, type CallEnded, type CallStarted, type Event, type UnknownEvent } from 'oneinbox-webhooks'

declare const event: Event
const router = new Router()

router.on('call.ended', (e: CallStarted) => e.created_at) // E: TS2345 Type '"call.ended"' is not assignable to type '"call.started"'
router.on('call.failed', (e: CallEnded) => e.outcome) // E: TS2345 Type 'CallFailed' is not assignable to type 'CallEnded'
router.on('call.endd', (e) => e) // E: TS2345 '"call.endd"' is not assignable to parameter of type
router.on('call.ended', (e) => e.recording_url.length) // E: TS2339 Property 'recording_url' does not exist on type 'CallEnded'
router.on('transcript.final', (e) => e.outcome.trim()) // E: TS2339 Property 'outcome' does not exist on type 'TranscriptFinal'
router.onUnknown((e: CallEnded) => e.outcome) // E: TS2345 Type 'UnknownEvent' is not assignable to type 'CallEnded'
router.onAny((e: UnknownEvent) => e.event) // E: TS2345 Type 'Event' is not assignable to type 'UnknownEvent'
new Router({ exhaustive: 'yes' }) // E: TS2322 Type 'string' is not assignable to type 'boolean | undefined'
new Router({ exhaustiv: true }) // E: TS2561 'exhaustiv' does not exist in type 'RouterOptions'
const n: Promise<string> = router.dispatch(event) // E: TS2322 Type 'Promise<number>' is not assignable to type 'Promise<string>'

// Right usage, for contrast: no error.
router.on('call.ended', (e) => e.outcome?.trim()).on('call.analyzed', (e: Event) => e.call_id)
