"""uvicorn's httptools protocol with the emulator's refusals: OpenAI's 400 envelope for a request that can't
be read, and the `max_header_bytes` cap on the request line and headers that h11 enforces by itself
(llhttp buffers headers of any size). Imported only when httptools is installed."""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .protocol import LINGER_SECONDS, refusal

__all__ = ["OpenAIHttpToolsProtocol"]

_TOO_LARGE = "Invalid HTTP request received."  # what h11 reports (and logs) for headers too large too


class OpenAIHttpToolsProtocol(HttpToolsProtocol):
    max_header_bytes = 64 * 1024  # set per server by `uvicorn_options`
    _refused = False
    _reading_head = True  # the current request's line and headers are not complete yet
    _head_bytes = 0  # bytes received while they were not

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the tail of a refused request: dropped
        super().data_received(data)
        if self._refused or self.parser is None or not self._reading_head:
            return
        # The whole chunk is counted when the head is still incomplete after it (a pipelined request's
        # tail may be counted with the next head: a cap, not an exact measure).
        self._head_bytes += len(data)
        if self._head_bytes > self.max_header_bytes:
            self.logger.warning(_TOO_LARGE)
            self.send_400_response(_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        # uvicorn has already logged `msg` in one line
        headers, body = refusal(msg)
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in [*headers, (b"content-length", str(len(body)).encode())]:
            head += [name, b": ", value, b"\r\n"]
        self.transport.write(b"".join([*head, b"\r\n", body]))
        # Closing with the request's tail unread would reset the connection and could lose the answer:
        # read and drop the tail for a moment (the client closes first once it has read the 400).
        self._refused = True
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
