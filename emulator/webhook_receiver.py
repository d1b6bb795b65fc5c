"""WebhookReceiver: an in-process endpoint that records deliveries for assertions (the pytest
`webhook_receiver` fixture). The emulator calls it through an ASGI transport: no socket, no thread."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import openai
    from openai.types.webhooks import UnwrapWebhookEvent

__all__ = ["ReceivedWebhook", "WebhookReceiver"]


@dataclass(frozen=True)
class ReceivedWebhook:
    """One POST as the receiver saw it."""

    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class WebhookReceiver:
    """Records every delivery; answers 200, or the statuses queued with `fail_next`.

    Args:
        host: the reserved host its URL uses (`http://<host>/webhook`).
        secret: the endpoint's signing secret, for `unwrap`.
        endpoint_id: the `we_…` id of the endpoint created for it.
    """

    __test__ = False

    def __init__(self, host: str) -> None:
        self.host = host
        self.url = f"http://{host}/webhook"
        self.secret = ""
        self.endpoint_id = ""
        self.received: list[ReceivedWebhook] = []
        self._statuses: list[int] = []

    def fail_next(self, *statuses: int) -> None:
        """Answer the next deliveries with these statuses (e.g. 500, 503) before going back to 200."""
        self._statuses.extend(statuses)

    def unwrap(self, client: openai.OpenAI) -> list[UnwrapWebhookEvent]:
        """Every delivery the receiver accepted, verified and parsed by the official SDK."""
        return [
            client.webhooks.unwrap(d.body, d.headers, secret=self.secret)
            for d in self.received
            if d.status < 300
        ]

    @property
    def types(self) -> list[str]:
        """The event types of accepted deliveries, in arrival order."""
        return [str(d.payload["type"]) for d in self.received if d.status < 300]

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = self._statuses.pop(0) if self._statuses else 200
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.received.append(ReceivedWebhook(headers, body, status))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})
