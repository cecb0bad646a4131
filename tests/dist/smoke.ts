// Type-checked (tsc --noEmit, strict) in a project that installed the packed tarballs: the
// types resolve from the package, narrow on `event`, and reject a wrong argument.
import { Api, Receiver, parseEvent, type Event, type JsonValue, type PreparedRequest, type Webhook } from 'oneinbox-webhooks'

const event: Event = parseEvent('{"event":"call.ended","call_id":"call_1"}')
if (event.event === 'call.ended') {
  const duration: number | null | undefined = event.duration_seconds
  const sentiment: JsonValue | undefined = event.extra?.sentiment
  void [duration, sentiment]
  // @ts-expect-error known events are closed: a misspelt field does not compile
  void event.duration_second
}
const receiver = new Receiver({ signingSecrets: ['whsec_AAAAAAAAAAAAAAAAAAAAAAAA'], tolerance: 300 })
const received: Event = receiver.receive(Buffer.from('{}'), { headers: {}, now: 0 })
void received
const req: PreparedRequest<Webhook> = new Api('oi_sk_test').createWebhook({
  name: 'Smoke',
  url: 'https://example.com/hooks',
  events: ['call.ended'],
})
const id: string = req.parseResponse(201, '{"id":"wh_1"}').id
void id
// @ts-expect-error: events must be a list of names
new Api('oi_sk_test').createWebhook({ name: 'x', url: 'https://example.com', events: 'call.ended' })
