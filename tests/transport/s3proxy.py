#!/usr/bin/env python3
"""s3proxy.py: an HTTP proxy in front of radosgw that injects faults, for
test-transport-s3.c. Usage: s3proxy.py UPSTREAM_PORT CONTROL_FILE PORT_FILE.

Each request takes the first word of CONTROL_FILE (rewriting the file
without it): "503" (ServiceUnavailable), "slowdown" (503 SlowDown), "500"
(InternalError), "stall" (no answer for 6 s, then the connection is
closed), "none" or nothing: forwarded as it is (the Host header kept, so
the client's signature still holds). The port it listens on goes to
PORT_FILE."""
import http.client
import http.server
import sys
import threading
import time

UPSTREAM = int(sys.argv[1])
CONTROL = sys.argv[2]
LOCK = threading.Lock()

ERRORS = {
    "503": (503, "ServiceUnavailable"),
    "slowdown": (503, "SlowDown"),
    "500": (500, "InternalError"),
}


def next_fault():
    with LOCK:
        try:
            with open(CONTROL) as f:
                words = f.read().split()
        except FileNotFoundError:
            return "none"
        if not words:
            return "none"
        with open(CONTROL, "w") as f:
            f.write(" ".join(words[1:]) + "\n")
        return words[0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = next_fault()
        if fault == "stall":
            time.sleep(6)
            self.close_connection = True
            return
        if fault in ERRORS:
            code, name = ERRORS[fault]
            out = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s"
                   "</Code></Error>" % name).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)
            return
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("expect", "connection")}
        conn.request(self.command, self.path, body=body if length else None,
                     headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection",
                                 "content-length"):
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length",
                             resp.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[3], "w") as f:
    f.write("%d\n" % server.server_address[1])
server.serve_forever()
