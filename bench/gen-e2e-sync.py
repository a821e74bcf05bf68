#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Encrypts an initial /sync body of gen-sync.py for one device, for real.

    bench/gen-e2e-sync.py PLAIN.json DEVICE_KEYS.json OUT.json

PLAIN.json is gen-sync.py's output; DEVICE_KEYS.json the keys upload body of
the receiving device (`bench-e2e-sync --make-device DIR` prints it: its
identity keys and one-time keys, the device's secrets staying in DIR). Needs
vodozemac's Python binding (the Synapse venv has it, with matrix-nio[e2e]).

OUT.json is PLAIN.json with every room encrypted as a real client would have
done it: an m.room.encryption state event per room; every timeline event
that is not a state event replaced by m.room.encrypted, Megolm-encrypted
(vodozemac) with the outbound session of its sender in that room, one
session per (room, sender), its event id, sender and timestamps kept; and in
`to_device` the key of each of those sessions, as an m.room_key inside an
Olm message from the sender's device (one device per sender, one Olm session
per device, made on one of the receiving device's one-time keys, or its
fallback key once they run out) to the receiving device. That is the worst
an initial sync can bring: every room key of the timelines in the same
response as the messages. Randomness comes from vodozemac (the OS), so the
bytes differ from run to run; the sizes and the work do not.
"""

import base64
import json
import sys

import vodozemac

ME = "@me:example.org"


def b64(data):
    return base64.b64encode(data).decode().rstrip("=")


def canonical(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def main():
    plain_path, keys_path, out_path = sys.argv[1:4]
    with open(plain_path, encoding="utf-8") as f:
        body = json.load(f)
    with open(keys_path, encoding="utf-8") as f:
        upload = json.load(f)

    device = upload["device_keys"]
    device_id = device["device_id"]
    my_curve = device["keys"][f"curve25519:{device_id}"]
    my_ed = device["keys"][f"ed25519:{device_id}"]
    otks = [k["key"] for k in upload.get("one_time_keys", {}).values()]
    fallback = [k["key"] for k in upload.get("fallback_keys", {}).values()]

    senders = {}    # user id -> {"account", "device_id", "olm"}
    sessions = {}   # (room id, user id) -> GroupSession
    to_device = []

    def sender_device(user):
        s = senders.get(user)
        if s is None:
            account = vodozemac.Account()
            if otks:
                otk = otks.pop()
            elif fallback:
                otk = fallback[0]
            else:
                sys.exit("the receiving device has no one-time or fallback key left")
            olm = account.create_outbound_session(
                vodozemac.Curve25519PublicKey.from_base64(my_curve),
                vodozemac.Curve25519PublicKey.from_base64(otk))
            s = {"account": account, "device_id": f"DEV{len(senders):04d}", "olm": olm}
            senders[user] = s
        return s

    def group_session(room_id, user):
        key = (room_id, user)
        session = sessions.get(key)
        if session is None:
            session = vodozemac.GroupSession()
            sessions[key] = session
            s = sender_device(user)
            payload = {
                "type": "m.room_key",
                "content": {"algorithm": "m.megolm.v1.aes-sha2", "room_id": room_id,
                            "session_id": session.session_id,
                            "session_key": session.session_key.to_base64()},
                "sender": user, "sender_device": s["device_id"],
                "keys": {"ed25519": s["account"].ed25519_key.to_base64()},
                "recipient": ME, "recipient_keys": {"ed25519": my_ed},
            }
            message_type, ciphertext = s["olm"].encrypt(canonical(payload).encode()).to_parts()
            to_device.append({
                "type": "m.room.encrypted", "sender": user,
                "content": {"algorithm": "m.olm.v1.curve25519-aes-sha2",
                            "sender_key": s["account"].curve25519_key.to_base64(),
                            "ciphertext": {my_curve: {"type": message_type,
                                                      "body": b64(ciphertext)}}},
            })
        return session

    encrypted_events = 0
    for room_id, room in body.get("rooms", {}).get("join", {}).items():
        state = room.setdefault("state", {}).setdefault("events", [])
        creator = next((e["sender"] for e in state if e.get("type") == "m.room.create"), ME)
        state.append({"type": "m.room.encryption", "state_key": "", "sender": creator,
                      "event_id": f"$encryption-{room_id[1:].split(':')[0]}",
                      "origin_server_ts": 1_760_000_000_000,
                      "content": {"algorithm": "m.megolm.v1.aes-sha2"}})
        timeline = room.get("timeline", {}).get("events", [])
        for i, event in enumerate(timeline):
            if "state_key" in event:
                continue
            user = event["sender"]
            session = group_session(room_id, user)
            plaintext = {"type": event["type"], "content": event["content"], "room_id": room_id}
            content = {"algorithm": "m.megolm.v1.aes-sha2",
                       "ciphertext": session.encrypt(canonical(plaintext).encode()).to_base64(),
                       "sender_key": senders[user]["account"].curve25519_key.to_base64(),
                       "device_id": senders[user]["device_id"],
                       "session_id": session.session_id}
            relates = event["content"].get("m.relates_to")
            if relates is not None:
                content["m.relates_to"] = relates
            timeline[i] = dict(event, type="m.room.encrypted", content=content)
            encrypted_events += 1

    body.setdefault("to_device", {})["events"] = to_device
    body["device_one_time_keys_count"] = {"signed_curve25519": len(otks)}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(body, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{encrypted_events} events encrypted in {len(sessions)} Megolm sessions of "
          f"{len(senders)} senders; {len(to_device)} room keys in Olm to-device events",
          file=sys.stderr)


if __name__ == "__main__":
    main()
