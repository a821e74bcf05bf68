# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed typelib from Python (run by test-install with
GI_TYPELIB_PATH and LD_LIBRARY_PATH at the install prefix): the namespace
loads, and a class, a signal with an annotated container, properties and an
error domain work as a binding sees them. Prints one line per check."""

import http.server
import json
import threading

import gi

gi.require_version("Json", "1.0")
gi.require_version("Matrix", "0")
from gi.repository import GLib, GObject, Json, Matrix  # noqa: E402

assert Matrix.get_major_version() == Matrix.MAJOR_VERSION, "runtime and typelib versions differ"
print("version", f"{Matrix.get_major_version()}.{Matrix.get_minor_version()}."
      f"{Matrix.get_micro_version()}")

store = Matrix.MemoryStore.new()
client = Matrix.Client.new("https://matrix.example.org", store)
client.props.user_agent = "test-gi/1.0"
assert client.get_user_agent() == "test-gi/1.0"
assert client.props.device_display_name is None
print("client", client.get_homeserver(), client.get_user_agent())

parser = Json.Parser.new()
parser.load_from_data('{"type": "m.room.topic", "sender": "@a:x", "event_id": "$t",'
                      ' "origin_server_ts": 5, "state_key": "", "content": {"topic": "Tea"}}', -1)
event = Matrix.Event.new_from_json("!r:x", parser.get_root().get_object())
assert isinstance(event, Matrix.StateEvent), type(event)
assert event.get_content_string("topic") == "Tea"
print("event", event.get_event_type(), event.get_content_string("topic"))

# A real sync, from a server in this process: the signals' annotated
# containers arrive as lists of events.
SYNC = json.dumps({
    "next_batch": "s1",
    "rooms": {"join": {"!r:x": {
        "state": {"events": [{"type": "m.room.name", "sender": "@a:x", "event_id": "$n",
                              "origin_server_ts": 1, "state_key": "",
                              "content": {"name": "Tea room"}}]},
        "timeline": {"events": [{"type": "m.room.message", "sender": "@a:x", "event_id": "$m",
                                 "origin_server_ts": 2,
                                 "content": {"msgtype": "m.text", "body": "hello"}}],
                     "limited": False, "prev_batch": "p0"},
    }}},
}).encode()


class Server(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if not self.path.startswith("/_matrix/client/v3/sync"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(SYNC)))
        self.end_headers()
        self.wfile.write(SYNC)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Server)
threading.Thread(target=server.serve_forever, daemon=True).start()

store = Matrix.MemoryStore.new()
store.set_value(Matrix.STORE_KEY_USER_ID, "@bot:x")
store.set_value(Matrix.STORE_KEY_ACCESS_TOKEN, "token")
client = Matrix.Client.new(f"http://127.0.0.1:{server.server_port}", store)
seen = {}
loop = GLib.MainLoop()
client.connect("room-state-updates", lambda c, room, events: seen.setdefault("state", events))
client.connect("room-timeline-updates",
               lambda c, room, events, limited, prev: seen.setdefault("timeline", (events, prev)))
client.connect("synced", lambda c, next_batch: (seen.setdefault("synced", next_batch),
                                                 c.stop_sync(), loop.quit()))
GLib.timeout_add_seconds(10, loop.quit)
client.start_sync()
loop.run()
server.shutdown()

assert seen.get("synced") == "s1", seen
assert [type(e).__name__ for e in seen["state"]] == ["StateEvent"], seen["state"]
assert seen["state"][0].get_content_string("name") == "Tea room"
events, prev_batch = seen["timeline"]
assert [e.get_content_string("body") for e in events] == ["hello"] and prev_batch == "p0"
assert store.get_sync_token() == "s1"
print("signals", [e.get_event_id() for e in seen["state"]], [e.get_event_id() for e in events])

try:
    Matrix.Event.new_from_json("!r:x", Json.Object.new())
    raise AssertionError("an event without fields was accepted")
except GLib.Error as error:
    assert error.domain == GLib.quark_to_string(Matrix.error_quark()), error.domain
    print("error", error.domain, error.code)

assert GObject.type_from_name("MatrixClient") == Matrix.Client.__gtype__
print("ok")
