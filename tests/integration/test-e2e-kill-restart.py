#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Encrypted kill test: no room key lost, no Olm session wedged, every
message decrypted once, whatever moment a SIGKILL lands.

Run under with-synapse. A matrix-nio peer (e2e-peer.py, vodozemac) floods an
encrypted room with messages, starting a new Megolm session every few
messages, so its room keys keep arriving as Olm-encrypted to-device events
all through the flood. Meanwhile the child (e2e-sync-log, the library with
encryption on, the SQLite store and the crypto store) is SIGKILLed at random
moments (seeded, printed) and started again each time. Every other kill is
aimed: as soon as the child says the machine has taken (and saved) a sync's
room keys, while the child holds its main thread for a moment before that
sync's rooms and token commit (--pause-after-keys), so the to-device events
the machine already has come again after the restart. The others land
anywhere.

At the end, a last message is sent and awaited, the child stopped, and
`e2e-sync-log --dump` decrypts every stored event from the two stores as the
kills left them: every message the peer sent must be there once, decrypted to
the text sent; none may fail to decrypt. And no event was decrypted twice
across the runs.

Stdlib only. Prints TAP.
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

TEST_NAME = "/integration/e2e/kill-restart-flood"


def log(msg):
    for line in str(msg).splitlines():
        print(f"# {line}", flush=True)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def http(url, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url.rstrip("/") + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as reply:
        return json.loads(reply.read())


def register(user, password):
    out = subprocess.run([os.environ["CONFAB_SYNAPSE_TOOL"], "register", user, password],
                         check=True, capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


class Peer:
    """e2e-peer.py: one JSON command a line, one answer a line."""

    def __init__(self, script, url, user, password, store):
        self.proc = subprocess.Popen(
            [os.environ["CONFAB_PEER_PYTHON"], script, url, user, password, store],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.hello = self._read()

    def _read(self):
        line = self.proc.stdout.readline()
        check(line, "the e2e peer exited")
        answer = json.loads(line)
        check(answer.get("ok"), f"the e2e peer failed: {line.strip()}")
        return answer

    def command(self, cmd, **args):
        self.proc.stdin.write(json.dumps(dict(args, cmd=cmd)) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


class Child:
    """One run of e2e-sync-log after another, collecting what each prints."""

    def __init__(self, argv, env, password):
        self.argv = argv
        self.env = env
        self.password = password
        self.proc = None
        self.lines = []          # (run, object) in print order, over all runs
        self.lock = threading.Condition()
        self.runs = 0

    def start(self):
        self.runs += 1
        run = self.runs
        self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc = self.proc
        proc.stdin.write(self.password + "\n")
        proc.stdin.close()

        def read():
            for line in proc.stdout:
                line = line.strip()
                if line:
                    with self.lock:
                        self.lines.append((run, json.loads(line)))
                        self.lock.notify_all()

        def read_stderr():
            for line in proc.stderr:
                line = line.rstrip()
                if "CRITICAL" in line or "WARNING" in line or "Could not" in line:
                    log(f"run {run}: {line}")

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        threading.Thread(target=read_stderr, daemon=True).start()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)
        check(self.proc.returncode == -signal.SIGKILL,
              f"e2e-sync-log exited with {self.proc.returncode} before it was killed")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)
        check(self.proc.returncode == 0, f"e2e-sync-log exited with {self.proc.returncode}")

    def wait_for(self, predicate, timeout, what):
        with self.lock:
            check(self.lock.wait_for(lambda: predicate([o for _, o in self.lines]), timeout),
                  f"e2e-sync-log did not print {what} within {timeout} s")

    def printed(self):
        with self.lock:
            return list(self.lines)


def run(args):
    rng = random.Random(args.seed)
    log(f"seed {args.seed}, {args.kills} kills, {args.messages} messages, "
        f"a new Megolm session every {args.rotate_every}")
    started = time.monotonic()
    url = os.environ["CONFAB_SYNAPSE_URL"]

    tmp = tempfile.mkdtemp(prefix="confab-e2e-kill-")
    child = None
    peer = None
    try:
        suffix = str(args.seed)
        alice_name, bob_name = f"flood{suffix}", f"killed{suffix}"
        register(alice_name, "alice-password")
        bob = register(bob_name, "bob-password")

        env = dict(os.environ)
        env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/confab-e2e-kill-test"
        env["GIO_USE_PROXY_RESOLVER"] = "dummy"
        env.pop("G_MESSAGES_DEBUG", None)
        child = Child([args.child, "--dir", os.path.join(tmp, "child"), "--homeserver", url,
                       "--user", bob_name, "--password-file", "-",
                       "--timeline-limit", str(args.messages * 4),
                       "--sync-timeline-limit", str(args.messages * 2),
                       "--pause-after-keys", "300"], env, "bob-password")
        child.start()
        child.wait_for(lambda lines: any("ready" in o for o in lines), 120, "ready")
        device_id = next(o["device_id"] for _, o in child.printed() if "ready" in o)

        # Its device keys on the server before the peer looks for them.
        deadline = time.monotonic() + 60
        while True:
            keys = http(url, bob["access_token"], "POST", "/_matrix/client/v3/keys/query",
                        {"device_keys": {bob["user_id"]: []}})
            if device_id in keys.get("device_keys", {}).get(bob["user_id"], {}):
                break
            check(time.monotonic() < deadline, "the child's device keys were never uploaded")
            time.sleep(0.2)

        os.mkdir(os.path.join(tmp, "peer"))
        peer = Peer(args.peer, url, alice_name, "alice-password", os.path.join(tmp, "peer"))
        room_id = peer.command("create_room", invite=[bob["user_id"]])["room_id"]
        http(url, bob["access_token"], "POST",
             f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id, safe='')}/join", {})
        peer.command("wait_member", room_id=room_id, user_id=bob["user_id"])

        flood = {}

        def do_flood():
            try:
                flood["event_ids"] = peer.command("flood", room_id=room_id, count=args.messages,
                                                  prefix="flood",
                                                  rotate_every=args.rotate_every,
                                                  pause=args.pause)["event_ids"]
            except Exception as e:  # reported by the main thread
                flood["error"] = e

        flooder = threading.Thread(target=do_flood, daemon=True)
        flood_started = time.monotonic()
        flooder.start()

        aimed_hits = 0
        replays = 0
        for k in range(args.kills):
            sending = flooder.is_alive()
            kill_started = time.monotonic()
            if k % 2 == 1 and sending:
                # Aimed: right after the machine took room keys in this run.
                run = child.runs

                def keys_lines():
                    return sum(1 for r, o in child.lines if r == run and "keys" in o)

                with child.lock:
                    before = keys_lines()
                    hit = child.lock.wait_for(lambda: keys_lines() > before,
                                              args.max_kill_delay * 2)
                aimed_hits += bool(hit)
                how = "aimed at room keys taken" if hit else "aimed, no keys came"
                if hit:
                    with child.lock:
                        keys_since = [o["keys"] for r, o in child.lines
                                      if r == run and "keys" in o][-1]
            else:
                time.sleep(rng.uniform(0.05, args.max_kill_delay if sending else 0.7))
                how = "at random"
            child.kill()
            log(f"kill {k + 1}/{args.kills} {how} after {time.monotonic() - kill_started:.3f} s "
                f"({'flooding' if sending else 'flood over'}, "
                f"{sum(1 for _, o in child.printed() if 'body' in o)} decrypted so far)")
            child.start()
            if how.startswith("aimed at"):
                # Started from the token before that sync: its to-device
                # events come again, to a machine that already has them.
                run = child.runs
                with child.lock:
                    child.lock.wait_for(
                        lambda: any(r == run and "start" in o for r, o in child.lines), 60)
                    start = [o["start"] for r, o in child.lines if r == run and "start" in o]
                if start and start[0] == keys_since:
                    replays += 1
        check(aimed_hits >= 3, f"only {aimed_hits} kills landed right after room keys came")
        check(replays >= 3, "fewer than 3 kills landed between the machine taking room keys "
                            "and the commit of their sync's token")

        flooder.join(timeout=300)
        check("error" not in flood, f"the peer could not flood: {flood.get('error')}")
        sent = flood["event_ids"]
        check(len(sent) == args.messages, f"the peer sent {len(sent)} messages")
        log(f"the peer sent {len(sent)} messages in {time.monotonic() - flood_started:.1f} s")

        # The last run catches up: once it decrypts a message sent after all
        # the others, every commit before it is done.
        last = peer.command("send", room_id=room_id, body="the end")["event_id"]
        child.wait_for(lambda lines: any(o.get("event_id") == last for o in lines), 120,
                       "the last message")
        child.stop()

        dump = subprocess.run([args.child, "--dir", os.path.join(tmp, "child"), "--dump",
                               "--timeline-limit", str(args.messages * 4)],
                              env=env, capture_output=True, text=True, timeout=120)
        check(dump.returncode == 0, f"e2e-sync-log --dump failed: {dump.stderr}")
        dumped = [json.loads(line) for line in dump.stdout.splitlines() if line.strip()]
        dumped_ids = [o["event_id"] for o in dumped]
        expected = {event_id: f"flood {i}" for i, event_id in enumerate(sent)}
        expected[last] = "the end"

        errors = [o for o in dumped if "error" in o]
        check(not errors, f"{len(errors)} stored events do not decrypt, first {errors[:2]}")
        check(len(dumped_ids) == len(set(dumped_ids)),
              f"{len(dumped_ids) - len(set(dumped_ids))} events stored twice")
        missing = [e for e in expected if e not in set(dumped_ids)]
        if missing:
            log(f"--dump printed {len(dumped)} events; its stderr: {dump.stderr[-2000:]}")
        check(not missing, f"{len(missing)} messages missing from the store, first {missing[:3]}")
        wrong = [o for o in dumped if expected.get(o["event_id"]) != o["body"]]
        check(not wrong, f"{len(wrong)} events decrypt to something else, first {wrong[:2]}")

        live = [o for _, o in child.printed() if "event_id" in o]
        live_errors = [o for o in live if "error" in o]
        check(not live_errors, f"the child could not decrypt {live_errors[:2]}")
        live_ids = [o["event_id"] for o in live]
        check(len(live_ids) == len(set(live_ids)), "an event was decrypted twice across runs")
        check(all(expected.get(o["event_id"]) == o["body"] for o in live),
              "the child decrypted something that was not sent")

        log(f"{args.kills} kills ({aimed_hits} right after room keys came, {replays} of them "
            f"before the sync's token was committed, so its to-device events came again) "
            f"over {child.runs} runs; {len(dumped_ids)} messages stored and "
            f"decrypted once each ({len(live_ids)} decrypted live, the rest by runs that were "
            f"killed before printing); total {time.monotonic() - started:.1f} s")
        print(f"ok 1 {TEST_NAME}", flush=True)
        return True
    finally:
        if child is not None and child.proc is not None and child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait()
        if peer is not None:
            peer.quit()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tap", action="store_true", help="accepted for Meson; output is TAP")
    parser.add_argument("--child", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--seed", type=int,
                        default=int(os.environ.get("CONFAB_KILL_SEED", time.time_ns() % 100000)))
    parser.add_argument("--kills", type=int, default=15)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rotate-every", type=int, default=15)
    parser.add_argument("--max-kill-delay", type=float, default=2.0)
    # Seconds between two messages: on a quiet machine an unpaced flood
    # was over after four kills, leaving too few to aim at room keys.
    parser.add_argument("--pause", type=float, default=0.06)
    args = parser.parse_args()
    if args.kills < 10:
        parser.error("the encrypted kill test kills at least 10 times")

    print("1..1", flush=True)
    try:
        run(args)
    except Exception as e:  # any failure is the test's failure
        log(f"{type(e).__name__}: {e}")
        print(f"not ok 1 {TEST_NAME}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
