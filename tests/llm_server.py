"""A real HTTP server on loopback speaking the OpenAI chat-completions protocol (streaming
and not), with scripted replies: the LLM answerer's tests talk to it as to Ollama or vLLM.

    with ChatServer() as server:
        server.reply = lambda request: Reply("遂宁市2022年为1.82万名农村妇女开展两癌筛查。[1]")
        settings = replace(settings, llm_base_url=server.url, llm_model="scripted")
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """What the server answers: the text, or an HTTP error status, after ``delay`` seconds."""

    text: str = ""
    status: int = 200
    delay: float = 0.0
    chunk_delay: float = 0.0  # between streamed pieces, to watch a page show the draft


def echo_first_passage(request: dict) -> Reply:
    """A model that quotes passage [1] verbatim and cites it (passes every check)."""
    prompt = request["messages"][-1]["content"]
    found = re.search(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', prompt, re.S)
    return Reply(f"{found.group(2)}[{found.group(1)}]" if found else "These plans do not answer this question.")


class ChatServer:
    """``/v1/chat/completions`` on a free 127.0.0.1 port; every request is kept in ``requests``."""

    def __init__(self) -> None:
        self.reply: Callable[[dict], Reply] = echo_first_passage
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                if not self.path.endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found"}})
                    return
                reply = server.reply(body)
                time.sleep(reply.delay)
                if reply.status != 200:
                    self._json(reply.status, {"error": {"message": "scripted failure", "type": "server_error"}})
                elif body.get("stream"):
                    self._stream(body.get("model", ""), reply.text, reply.chunk_delay)
                else:
                    message = {"role": "assistant", "content": reply.text}
                    self._json(200, {
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body.get("model", ""),
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    })  # fmt: skip

            def _json(self, status: int, data: dict) -> None:
                payload = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, model: str, text: str, pause: float) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [text[i : i + 6] for i in range(0, len(text), 6)]
                for piece in [*pieces, None]:
                    delta = {"content": piece} if piece is not None else {}
                    chunk = {
                        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None if piece else "stop"}],
                    }  # fmt: skip
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(pause)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
