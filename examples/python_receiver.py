"""A OneInbox webhook receiver with FastAPI: typed events, a URL token, and a SQLite store that
keeps one record per call across retries, reordering and several workers.

Run it (the demo does):
    PORT=8000 ONEINBOX_URL_TOKEN=... ONEINBOX_DB=calls.sqlite3 python examples/python_receiver.py

Register ``https://your-host/webhooks/oneinbox?token=...`` with OneInbox. ``GET /calls/{id}``
answers the call's record as JSON.
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI, Response

from oneinbox_webhooks import (
    CallAnalyzed,
    CallEnded,
    CallFailed,
    CallRecordingAvailable,
    CallStarted,
    Receiver,
    Router,
    TranscriptFinal,
    TranscriptPartial,
)
from oneinbox_webhooks.fastapi import webhook_router
from oneinbox_webhooks.stores import SQLiteStore

store = SQLiteStore(os.environ.get("ONEINBOX_DB", "calls.sqlite3"))
router = Router()


def say(event: str, call_id: str, what: str) -> None:
    print(f"  [python] {event:<25} {call_id}  {what}", flush=True)


@router.on(CallStarted)
def started(e: CallStarted) -> None:
    say(e.event, e.call_id, f"agent {e.agent_id} dialled {e.to_number} from {e.from_number}")


@router.on(TranscriptPartial)
def partial(e: TranscriptPartial) -> None:
    say(e.event, e.call_id, f"{len(e.messages)} messages so far")


@router.on(TranscriptFinal)
def final(e: TranscriptFinal) -> None:
    say(e.event, e.call_id, f"{len(e.messages)} messages, last: {e.messages[-1].content!r}")


@router.on(CallEnded)
def ended(e: CallEnded) -> None:
    say(e.event, e.call_id, f"{e.status} after {e.duration_seconds} s: {e.outcome}")


@router.on(CallAnalyzed)
def analyzed(e: CallAnalyzed) -> None:
    say(e.event, e.call_id, f"summary: {e.ai_summary}")


@router.on(CallRecordingAvailable)
def recording(e: CallRecordingAvailable) -> None:
    say(e.event, e.call_id, f"recording at {e.recording_url}")


@router.on(CallFailed)
def failed(e: CallFailed) -> None:
    say(e.event, e.call_id, f"could not reach {e.to_number}: {e.reason}")


app = FastAPI()
receiver = Receiver(url_tokens=[os.environ["ONEINBOX_URL_TOKEN"]])
app.include_router(webhook_router(receiver, router, store=store))


@app.get("/calls/{call_id}")
def call_record(call_id: str) -> Response:
    record = store.get(call_id)
    if record is None:
        return Response(status_code=404)
    return Response(record.to_json(), media_type="application/json")


if __name__ == "__main__":
    uvicorn.run(
        app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")), log_level="warning"
    )
