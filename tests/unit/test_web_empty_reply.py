"""Rasa answers with nothing when an action fails (action server down): the web app says so in German."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from fastapi.testclient import TestClient

from bot.settings import Settings
from bot.web import create_app


class EmptyRasa(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_empty_rasa_reply_becomes_a_german_message():
    server = HTTPServer(("127.0.0.1", 0), EmptyRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        response = TestClient(create_app(Settings(rasa_url=url))).post(
            "/chat", json={"sender": "web-1", "message": "Hessen"}
        )
    finally:
        server.shutdown()
    assert response.status_code == 503
    text = response.json()[0]["text"]
    assert "noch einmal" in text and "Antworten bleiben erhalten" in text
