#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The echo bot of echo-bot.c, in Python, through matrix-glib's typelib.

Echoes every m.text message from others as an m.notice with the same body,
and stops on "!quit". It uses the session that the `login` example saved
(the file CONFAB_EXAMPLE_SESSION names, or
$XDG_CONFIG_HOME/matrix-glib-examples/session.json); the store writes the
sync token to that file with every sync, so a restart carries on where it
left off. Prints "ready" once its first sync is done.

With the library installed under PREFIX (libdir lib/x86_64-linux-gnu):

    GI_TYPELIB_PATH=PREFIX/lib/x86_64-linux-gnu/girepository-1.0 \\
    LD_LIBRARY_PATH=PREFIX/lib/x86_64-linux-gnu python3 examples/echo-bot.py
"""

import os
import signal
import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Json", "1.0")
gi.require_version("Matrix", "0")
from gi.repository import GLib, Json, Matrix  # noqa: E402


def session_path():
    path = os.environ.get("CONFAB_EXAMPLE_SESSION")
    if path:
        return path
    return os.path.join(GLib.get_user_config_dir(), "matrix-glib-examples", "session.json")


class EchoBot:
    def __init__(self, store):
        self.loop = GLib.MainLoop()
        self.client = Matrix.Client.new(store.get_value(Matrix.STORE_KEY_HOMESERVER), store)
        # The first sync brings the rooms' history: old messages are not echoed.
        self.first_sync = store.get_sync_token() is None
        self.quitting = False
        self.status = 0

        self.client.connect("room-timeline-updates", self.on_room_timeline_updates)
        self.client.connect("synced", self.on_synced)
        self.client.connect("session-ended", self.on_session_ended)
        for signum in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, self.on_interrupt)

    def run(self):
        if not self.first_sync:
            print("ready", flush=True)
        self.client.start_sync()
        self.loop.run()
        self.client.stop_sync()
        return self.status

    def on_room_timeline_updates(self, client, room_id, events, limited, prev_batch):
        if self.first_sync or self.quitting:
            return
        for event in events:
            body = event.get_content_string("body")
            if (event.is_state()
                    or event.get_event_type() != "m.room.message"
                    or body is None
                    or event.get_content_string("msgtype") != "m.text"
                    or event.get_sender() == client.get_user_id()):
                continue
            if body == "!quit":
                # Finish this sync, so that its token is saved; then stop.
                self.quitting = True
                return
            content = Json.Object.new()
            content.set_string_member("body", body)
            content.set_string_member("msgtype", "m.notice")
            client.send_event_async(room_id, "m.room.message", content, None, None,
                                    self.on_sent)

    def on_sent(self, client, result):
        try:
            client.send_event_finish(result)
        except GLib.Error as error:
            print(f"Could not echo: {error.message}", file=sys.stderr)

    def on_synced(self, client, next_batch):
        if self.first_sync:
            self.first_sync = False
            print("ready", flush=True)
        # The session file holds this sync's token already.
        if self.quitting:
            client.stop_sync()
            self.loop.quit()

    def on_session_ended(self, client, soft_logout):
        print("The server ended the session; log in again with the login example",
              file=sys.stderr)
        self.status = 1
        self.quitting = True
        self.loop.quit()

    def on_interrupt(self):
        self.client.stop_sync()
        self.loop.quit()
        return GLib.SOURCE_REMOVE


def main():
    path = session_path()
    try:
        store = Matrix.MemoryStore.new_for_file(path)
    except GLib.Error as error:
        print(f"Could not read the session ({error.message}); run the login example again",
              file=sys.stderr)
        return 1
    if (store.get_value(Matrix.STORE_KEY_HOMESERVER) is None
            or store.get_value(Matrix.STORE_KEY_ACCESS_TOKEN) is None):
        print(f"No session in {path}; run the login example first", file=sys.stderr)
        return 1
    return EchoBot(store).run()


if __name__ == "__main__":
    sys.exit(main())
