"""A TCP port on 127.0.0.1 whose behaviour a test switches, to put a real
service (Redis, localstripe, the site itself) behind a fault:

- CLOSED: nothing listens; a connection is refused at once (a service down).
- SILENT: connections are accepted and read, and never answered (a service
  that hangs).
- FORWARD: everything goes through to the real service (it is back).
- SWALLOW: requests reach the real service, its answers never come back (it
  did the work; the network lost the reply: the caller times out).
- SWALLOW_WRITES: as SWALLOW for a connection whose first request is a POST;
  reads (GET) are answered (the lookups before a charge go through, the
  charge's answer is lost).
- PAUSED: connections are accepted and held; on `resume()` each is forwarded
  (a delivery that arrives late).

The mode is read when a connection is accepted; switching to CLOSED also cuts
the connections already open, as a crashed service would, and `cut()` cuts
them while the port goes on listening (a connection reset mid-request).
"""

import contextlib
import socket
import threading

from marketplace.testing import free_port

CLOSED, SILENT, FORWARD, SWALLOW, PAUSED = "closed", "silent", "forward", "swallow", "paused"
SWALLOW_WRITES = "swallow_writes"
MODES = (CLOSED, SILENT, FORWARD, SWALLOW, SWALLOW_WRITES, PAUSED)


class FaultyPort:
    def __init__(self, *, target_port: int | None = None, mode: str = CLOSED):
        self.port = free_port()
        self.target_port = target_port
        self.mode = CLOSED
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._resumed = threading.Event()
        self.accepted = 0
        self.set(mode)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def redis_url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def set(self, mode: str) -> None:
        assert mode in MODES, mode
        if mode != CLOSED and self.target_port is None and mode != SILENT:
            raise ValueError(f"{mode} needs a target port to forward to.")
        if mode == PAUSED:
            self._resumed.clear()
        self.mode = mode
        if mode == CLOSED:
            self._close_all()
        elif self._listener is None:
            self._listen()

    def resume(self) -> None:
        """Forward the held connections, and those to come."""
        self.mode = FORWARD
        self._resumed.set()

    def cut(self) -> None:
        """Cut the connections open now (the callers see them reset at once);
        the port goes on listening in its mode."""
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        self._shut(sockets)

    def close(self) -> None:
        self._resumed.set()
        self.set(CLOSED)

    # --- internals ----------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _close_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
            listener, self._listener = self._listener, None
        self._shut([listener, *sockets] if listener else sockets)

    @staticmethod
    def _shut(sockets) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            self._track(client)
            threading.Thread(target=self._serve, args=(client, self.mode), daemon=True).start()

    def _serve(self, client: socket.socket, mode: str) -> None:
        if mode == PAUSED:
            self._resumed.wait()
            mode = FORWARD if self.mode != CLOSED else CLOSED
        if mode in (SILENT, CLOSED):
            self._drain(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            with contextlib.suppress(OSError):
                client.close()
            return
        upstream.settimeout(None)
        self._track(upstream)
        deliver = mode == FORWARD
        if mode == SWALLOW_WRITES:
            # The first bytes say the request's method; they go on upstream.
            with contextlib.suppress(OSError):
                first = client.recv(65536)
                upstream.sendall(first)
                deliver = not first.startswith(b"POST")
        threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
        self._pump(upstream, client, deliver)

    def _drain(self, client: socket.socket) -> None:
        # Read whatever comes and never answer, until the caller gives up.
        with contextlib.suppress(OSError):
            while client.recv(65536):
                pass
        with contextlib.suppress(OSError):
            client.close()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, deliver: bool) -> None:
        try:
            while data := source.recv(65536):
                if deliver:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            # A swallowed reply leaves the caller waiting for its own timeout.
            for sock in (source, sink) if deliver else (source,):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
