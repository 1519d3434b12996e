"""A small SMTP server for fault tests: counts the e-mails it accepted, and can hang a client mid-send."""

from __future__ import annotations

import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        server: MailServer = self.server.owner  # type: ignore[attr-defined]
        with server.lock:
            server.connections += 1
        if server.hang.is_set():
            server.released.wait(60)  # the client waits for a greeting that never comes
            return
        self.wfile.write(b"220 carehub-tests ESMTP\r\n")
        for raw in self.rfile:
            command = raw.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 carehub-tests\r\n")
            elif command == "DATA":
                self.wfile.write(b"354 end with .\r\n")
                lines = []
                for line in self.rfile:
                    if line in (b".\r\n", b".\n"):
                        break
                    lines.append(line)
                with server.lock:
                    server.messages.append(b"".join(lines).decode(errors="replace"))
                self.wfile.write(b"250 accepted\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


class MailServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.messages: list[str] = []
        self.hang = threading.Event()
        self.released = threading.Event()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.url = f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> MailServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def answer_again(self) -> None:
        """Stop hanging: the hung clients are let go (their connection closes), new ones are served."""
        self.hang.clear()
        self.released.set()
