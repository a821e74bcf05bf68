#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kill test: never lose a message, never store one twice.

Runs examples/sync-log as a real process against a real local Synapse while a
peer sends messages, kills it with SIGKILL at random moments (seeded, printed)
and starts it again each time. At the end its SQLite store must hold every
message exactly once, in the order of the peer's own /messages.

Then downtime: sync-log (with the server's default sync limits this time) is
stopped, the peer sends 30 messages, and sync-log starts again: its first
sync is limited to the last few, and the store must still hold all 30, in
order (the client fills the gap with /messages before it commits).

Stdlib only. Prints TAP. Fails (does not skip) when Synapse does not start.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

TEST_NAME = "/integration/store/kill-restart"
DOWNTIME_TEST_NAME = "/integration/store/downtime-gap-filled"


def log(msg):
    # Diagnostics are TAP comments, so the harness shows them with the result.
    for line in str(msg).splitlines():
        print(f"# {line}", flush=True)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Server:
    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.token = token

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as reply:
            return json.loads(reply.read())


def quote(s):
    return urllib.parse.quote(s, safe="")


def register(synapse, hs_dir, user, password):
    out = subprocess.run([synapse, "register", "--dir", hs_dir, user, password],
                         check=True, capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


class SyncLog:
    """One run of sync-log after another, collecting the lines each prints."""

    def __init__(self, argv, env, password):
        self.argv = argv
        self.env = env
        self.password = password
        self.proc = None
        self.reader = None
        self.lines = []          # (run, event) in print order, over all runs
        self.lock = threading.Condition()
        self.runs = 0

    def start(self):
        self.runs += 1
        run = self.runs
        self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc = self.proc
        # The password goes through a pipe: on the command line any user of
        # the machine could read it in /proc/PID/cmdline.
        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
            check(self.password.encode() not in f.read(),
                  "the password is on sync-log's command line")
        proc.stdin.write(self.password + "\n")
        proc.stdin.close()

        def read():
            for line in proc.stdout:
                line = line.strip()
                if line:
                    with self.lock:
                        self.lines.append((run, json.loads(line)))
                        self.lock.notify_all()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        self.err_reader = threading.Thread(target=self._read_stderr, args=(proc, run), daemon=True)
        self.err_reader.start()

    def _read_stderr(self, proc, run):
        for line in proc.stderr:
            line = line.rstrip()
            # A SIGKILL can land anywhere; what the process said matters
            # only when something goes wrong, so keep it short.
            if "No Secret Service" in line and run > 1:
                continue
            if "Message" in line or "CRITICAL" in line or "WARNING" in line or "gap" in line:
                log(f"run {run}: {line}")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)
        check(self.proc.returncode == -signal.SIGKILL,
              f"sync-log exited with {self.proc.returncode} before it was killed")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)
        check(self.proc.returncode == 0, f"sync-log exited with {self.proc.returncode}")

    def wait_for(self, event_ids, timeout):
        """Waits until every one of event_ids was printed, or fails."""
        def seen():
            return event_ids <= {e["event_id"] for _, e in self.lines}
        with self.lock:
            check(self.lock.wait_for(seen, timeout),
                  f"sync-log did not print every message within {timeout} s")

    def printed(self):
        with self.lock:
            return list(self.lines)


def downtime(args, url, peer, bob, env, tmp):
    """sync-log away while 30 messages are sent: all 30 stored on return."""
    store_dir = os.path.join(tmp, "downtime-store")
    room_id = peer.request("POST", "/_matrix/client/v3/createRoom",
                           {"preset": "private_chat", "name": "Downtime",
                            "invite": [bob["user_id"]]})["room_id"]
    Server(url, bob["access_token"]).request(
        "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/join", {})

    def send(txn, body):
        return peer.request(
            "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/{txn}",
            {"msgtype": "m.text", "body": body})["event_id"]

    # The server's default timeline limit for each sync (10 for Synapse).
    sync_log = SyncLog([args.sync_log, "--store", store_dir, "--homeserver", url,
                        "--user", "bob", "--password-file", "-"], env, "bob-password")
    sync_log.start()
    sync_log.wait_for({send("before", "before the downtime")}, 60)
    sync_log.stop()

    missed = [send(f"away{i}", f"sent while away {i}") for i in range(30)]
    sync_log.start()
    sync_log.wait_for(set(missed), 60)
    sync_log.stop()

    dump = subprocess.run([args.sync_log, "--store", store_dir, "--dump"],
                          env=env, capture_output=True, text=True, timeout=60)
    check(dump.returncode == 0, f"sync-log --dump failed: {dump.stderr}")
    stored_ids = [json.loads(line)["event_id"] for line in dump.stdout.splitlines()
                  if line.strip() and json.loads(line)["room_id"] == room_id]
    history = peer.request(
        "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/messages?dir=b&limit=1000")
    server_order = [e["event_id"] for e in reversed(history["chunk"])]
    check(stored_ids == server_order,
          f"the store holds {len(stored_ids)} events of the room, the server "
          f"{len(server_order)}; missing {[e for e in server_order if e not in stored_ids][:3]}")
    printed = [e["event_id"] for _, e in sync_log.printed()]
    check(len(printed) == len(set(printed)), "an event was printed twice")
    log(f"downtime: 30 messages missed, {len(stored_ids)} events stored in server order")
    print(f"ok 2 {DOWNTIME_TEST_NAME}", flush=True)
    results.append(True)


results = []


def run(args):
    rng = random.Random(args.seed)
    log(f"seed {args.seed}, {args.kills} kills, {args.messages} messages")
    started = time.monotonic()

    tmp = tempfile.mkdtemp(prefix="confab-kill-")
    hs_dir = os.path.join(tmp, "hs")
    store_dir = os.path.join(tmp, "store")
    synapse_started = False
    sync_log = None
    try:
        out = subprocess.run([args.synapse, "start", "--dir", hs_dir],
                             capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            log(out.stderr)
            raise Failure("Synapse did not start")
        synapse_started = True
        url = out.stdout.strip()
        log(f"synapse at {url} after {time.monotonic() - started:.1f} s")

        alice = register(args.synapse, hs_dir, "alice", "alice-password")
        bob = register(args.synapse, hs_dir, "bob", "bob-password")
        peer = Server(url, alice["access_token"])
        bob_server = Server(url, bob["access_token"])
        room_id = peer.request("POST", "/_matrix/client/v3/createRoom",
                               {"preset": "private_chat", "name": "Kill test",
                                "invite": [bob["user_id"]]})["room_id"]
        bob_server.request("POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/join", {})

        env = dict(os.environ)
        # No Secret Service: the token takes the 0600 file, and no keyring
        # daemon is woken up on the session bus of whoever runs the test.
        env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/confab-kill-test"
        env["GIO_USE_PROXY_RESOLVER"] = "dummy"
        env.pop("G_MESSAGES_DEBUG", None)
        sync_log = SyncLog([args.sync_log, "--store", store_dir, "--homeserver", url,
                            "--user", "bob", "--password-file", "-",
                            "--timeline-limit", str(args.messages * 4),
                            "--sync-timeline-limit", str(args.messages * 2)], env,
                           "bob-password")

        sent = []
        send_error = []
        next_message = iter(range(args.messages))
        next_lock = threading.Lock()

        # A few senders at once, so that the messages keep coming while the
        # kills happen; the server decides their order.
        def send():
            try:
                while True:
                    with next_lock:
                        i = next(next_message, None)
                    if i is None:
                        return
                    reply = peer.request(
                        "PUT",
                        f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/kill{i}",
                        {"msgtype": "m.text", "body": f"message {i}"})
                    with next_lock:
                        sent.append(reply["event_id"])
            except Exception as e:  # reported by the main thread
                send_error.append(e)

        sync_log.start()
        senders = [threading.Thread(target=send, daemon=True) for _ in range(args.senders)]
        send_started = time.monotonic()
        for sender in senders:
            sender.start()

        kill_started = time.monotonic()
        for k in range(args.kills):
            # Spread over the sending; once it is over, kill the catching up.
            sending = any(sender.is_alive() for sender in senders)
            delay = rng.uniform(0.05, args.max_kill_delay if sending else 0.5)
            time.sleep(delay)
            sync_log.kill()
            log(f"kill {k + 1}/{args.kills} after {delay:.3f} s "
                f"({len(sent)} sent, {len(sync_log.printed())} lines printed)")
            sync_log.start()
        kill_seconds = time.monotonic() - kill_started

        for sender in senders:
            sender.join(timeout=120)
        send_seconds = time.monotonic() - send_started
        check(not send_error, f"the peer could not send: {send_error[:1]}")
        check(len(sent) == args.messages, f"the peer sent only {len(sent)} messages")
        log(f"sent {len(sent)} messages in {time.monotonic() - send_started:.1f} s")

        # The last run catches up and is stopped politely.
        # Once the last run prints a message sent after everything else, the
        # commit that covers it covers every earlier event too.
        sentinel = peer.request(
            "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/last",
            {"msgtype": "m.text", "body": "the end"})["event_id"]
        sent.append(sentinel)
        sync_log.wait_for({sentinel}, 60)
        sync_log.stop()

        dump = subprocess.run([args.sync_log, "--store", store_dir,
                               "--timeline-limit", str(args.messages * 4), "--dump"],
                              env=env, capture_output=True, text=True, timeout=60)
        check(dump.returncode == 0, f"sync-log --dump failed: {dump.stderr}")
        stored = [json.loads(line) for line in dump.stdout.splitlines() if line.strip()]
        stored_ids = [e["event_id"] for e in stored if e["room_id"] == room_id]

        history = peer.request(
            "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/messages?dir=b&limit=1000")
        server_order = [e["event_id"] for e in reversed(history["chunk"])]
        server_messages = [e["event_id"] for e in reversed(history["chunk"])
                           if e["type"] == "m.room.message"]

        check(sorted(server_messages) == sorted(sent),
              "the peer's /messages differs from what it sent")
        check(len(stored_ids) == len(set(stored_ids)),
              f"{len(stored_ids) - len(set(stored_ids))} events stored twice")
        missing = [e for e in server_order if e not in stored_ids]
        check(not missing, f"{len(missing)} events missing from the store, first {missing[:3]}")
        check(stored_ids == server_order,
              "the store's timeline is not in server order")

        printed = [e["event_id"] for _, e in sync_log.printed()]
        check(len(printed) == len(set(printed)), "an event was printed twice across restarts")
        check(set(printed) <= set(stored_ids), "an event was printed that the store lost")

        log(f"{args.kills} kills in {kill_seconds:.1f} s over {sync_log.runs} runs; "
            f"{len(stored_ids)} events stored, {len(sent)} messages (with the last), "
            f"{len(printed)} printed after their commit; sending took {send_seconds:.1f} s; "
            f"total {time.monotonic() - started:.1f} s")
        print(f"ok 1 {TEST_NAME}", flush=True)
        results.append(True)

        downtime(args, url, peer, bob, env, tmp)
    finally:
        if sync_log is not None and sync_log.proc is not None and sync_log.proc.poll() is None:
            sync_log.proc.kill()
            sync_log.proc.wait()
        if synapse_started or os.path.exists(hs_dir):
            subprocess.run([args.synapse, "stop", "--dir", hs_dir],
                           capture_output=True, text=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tap", action="store_true", help="accepted for Meson; output is TAP")
    parser.add_argument("--sync-log", required=True)
    parser.add_argument("--synapse", required=True)
    parser.add_argument("--seed", type=int,
                        default=int(os.environ.get("CONFAB_KILL_SEED", time.time_ns() % 100000)))
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--max-kill-delay", type=float, default=3.0)
    args = parser.parse_args()

    if args.kills < 20:
        parser.error("the kill test kills at least 20 times")

    print("1..2", flush=True)
    try:
        run(args)
    except Exception as e:  # any failure is the test's failure
        log(f"{type(e).__name__}: {e}")
        names = [TEST_NAME, DOWNTIME_TEST_NAME]
        for n in range(len(results), 2):
            print(f"not ok {n + 1} {names[n]}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
