"""A worker's probes over HTTP: `/livez` (the process and its event loop answer) and `/readyz`
(connected to Temporal and the database, polling, not shutting down). No framework: a worker
has no web server otherwise, and the probes must answer even while it waits for Temporal."""

from __future__ import annotations

import asyncio
import json
import logging

log = logging.getLogger("igny8.worker")


class WorkerProbes:
    """The worker's state as the probes report it; `state` moves starting -> ready -> stopping."""

    def __init__(self) -> None:
        self.state = "starting"
        self.detail = ""
        self._server: asyncio.Server | None = None

    def set(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._answer, host, port)
        log.info("worker probes on http://%s:%d/livez and /readyz", host, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers: nothing in them matters here
            parts = request.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else ""
            if path == "/livez":
                code, body = 200, {"status": "alive", "state": self.state}
            elif path == "/readyz":
                ready = self.state == "ready"
                code = 200 if ready else 503
                body = {"status": "ready" if ready else "not ready", "state": self.state}
                if self.detail:
                    body["detail"] = self.detail
            else:
                code, body = 404, {"error": "try /livez or /readyz"}
            payload = json.dumps(body).encode()
            reason = {200: "OK", 503: "Service Unavailable", 404: "Not Found"}[code]
            writer.write(
                f"HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
