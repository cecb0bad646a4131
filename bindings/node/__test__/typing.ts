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
