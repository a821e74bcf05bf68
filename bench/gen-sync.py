#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes a deterministic, realistic initial /sync body.

    bench/gen-sync.py --rooms 500 [--seed 1] [--events 50] [--hostile] OUT.json

The same arguments always give the same bytes (the output's SHA-256 is printed
on stderr), so runs on different machines and days measure the same input.

Each joined room has what a server sends on an initial sync: m.room.create,
power levels, join rules, history visibility, a name, a topic, a canonical
alias and a membership event with a displayname per member in `state`; a
`summary` with m.heroes and member counts; `unread_notifications`; and a
timeline of --events events, mostly text messages of realistic lengths
(some HTML, some emotes and notices, an occasional long paste) with a few
state events (renames, topic changes, joins) mixed in. About 40 kB a room:
50 rooms ~ 2 MB, 500 ~ 20 MB, 2,000 ~ 80 MB. Stdlib only.

With --hostile every timeline event is a message of 60 KB of one of the
five kinds of text issue 22 names, in turn: no spaces, stacked combining
marks, bidirectional overrides never closed, emoji runs and joins, ordinary
words (as tests/ui/ui-hostile-text.c writes them).
"""

import argparse
import hashlib
import json
import random
import string
import sys

SERVER = "example.org"
NOW_MS = 1_760_000_000_000  # fixed, so the output does not depend on the clock

WORDS = (
    "the of and to a in is it you that he was for on are with as I his they be at one have "
    "this from or had by hot word but what some we can out other were all there when up use "
    "your how said an each she which do their time if will way about many then them write "
    "would like so these her long make thing see him two has look more day could go come did "
    "number sound no most people my over know water than call first who may down side been "
    "now find any new work part take get place made live where after back little only round "
    "man year came show every good me give our under name very through just form sentence "
    "great think say help low line differ turn cause much mean before move right boy old too "
    "same tell does set three want air well also play small end put home read hand port large "
    "spell add even land here must big high such follow act why ask men change went light kind "
    "build meson gtk glib release branch merge review patch crash fix bug issue test deploy "
    "server client matrix room sync timeline widget window theme icon flatpak rust python "
    "lunch coffee meeting tomorrow tonight weekend thanks sorry sure yes nope maybe lol ok"
).split()

FIRST = ("Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy "
         "Rupert Sybil Trent Victor Walter Yusuf Zoë Ana Bruno Chen Dmitri Eva Farid Greta "
         "Hiro Ingrid Jamal Kofi Lena Marta Nils Omar Priya Quinn Rosa Sven Tariq Uma "
         "Vera Wen Xavier Yara Zeno Émile Łukasz Søren").split()
LAST = ("Smith Jones Nguyen García Müller Rossi Kowalski Tanaka Kim Silva Dubois Novak "
        "Hansen Ivanova Okafor Patel Cohen Haddad Larsen Moreau Petrov Santos Weber").split()


def token(rng, n, alphabet=string.ascii_letters + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(n))


def sentence(rng, n_words):
    words = [rng.choice(WORDS) for _ in range(n_words)]
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def message_length(rng):
    # Chat is mostly short lines, with a long tail of paragraphs and pastes.
    r = rng.random()
    if r < 0.55:
        return rng.randint(2, 12)
    if r < 0.90:
        return rng.randint(12, 50)
    if r < 0.99:
        return rng.randint(40, 120)
    return rng.randint(200, 400)


class Generator:
    def __init__(self, seed, n_events):
        self.rng = random.Random(seed)
        self.n_events = n_events
        self.hostile = False
        self.event_counter = 0
        self.users = []
        for i in range(4000):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            localpart = f"{first.lower()}.{last.lower()}{i}".encode("ascii", "ignore").decode()
            self.users.append((f"@{localpart}:{SERVER}", f"{first} {last}"))
        self.me = (f"@me:{SERVER}", "Me Myself")

    def event_id(self):
        self.event_counter += 1
        return "$" + token(self.rng, 43, string.ascii_letters + string.digits + "-_")

    def event(self, etype, sender, content, ts, state_key=None, prev_content=None):
        ev = {"type": etype, "sender": sender, "content": content,
              "event_id": self.event_id(), "origin_server_ts": ts,
              "unsigned": {"age": max(0, NOW_MS - ts)}}
        if state_key is not None:
            ev["state_key"] = state_key
            if prev_content is not None:
                ev["unsigned"]["prev_content"] = prev_content
                ev["unsigned"]["replaces_state"] = "$" + token(self.rng, 43)
        return ev

    def member_content(self, user, membership="join"):
        content = {"membership": membership, "displayname": user[1]}
        if self.rng.random() < 0.7:
            content["avatar_url"] = f"mxc://{SERVER}/{token(self.rng, 24)}"
        return content

    def hostile_message(self, sender, ts, i):
        kinds = [
            lambda n: "abcdefghij"[n % 10],
            lambda n: "z" + "\u0301" * 20,
            lambda n: "\u202egnp.exe\u202b\u2067abc",
            lambda n: "\U0001F600" if n % 400 < 200 else "\U0001F469\u200d",
            lambda n: "ordinary words of a long message ",
        ]
        parts, size = [f"{i} "], len(f"{i} ")
        while size < 60000 - 16:
            piece = kinds[i % 5](size)
            parts.append(piece)
            size += len(piece.encode("utf-8"))
        return self.event("m.room.message", sender, {"msgtype": "m.text", "body": "".join(parts)}, ts)

    def message(self, sender, ts):
        rng = self.rng
        body = sentence(rng, message_length(rng))
        r = rng.random()
        if r < 0.80:
            content = {"msgtype": "m.text", "body": body}
        elif r < 0.90:
            content = {"msgtype": "m.text", "body": body, "format": "org.matrix.custom.html",
                       "formatted_body": "<p>" + body.replace(" ", " <b>", 1) + "</b></p>"}
        elif r < 0.95:
            content = {"msgtype": "m.emote", "body": body}
        else:
            content = {"msgtype": "m.notice", "body": body}
        if rng.random() < 0.1:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": "$" + token(rng, 43)}}
        return self.event("m.room.message", sender, content, ts)

    def room(self, index):
        rng = self.rng
        room_id = f"!{token(rng, 18)}:{SERVER}"
        # Most rooms are small; a few are big public channels.
        r = rng.random()
        if r < 0.3:
            n_members = rng.randint(2, 3)
        elif r < 0.85:
            n_members = rng.randint(4, 80)
        else:
            n_members = rng.randint(81, 250)
        members = [self.me] + rng.sample(self.users, n_members - 1)
        creator = members[1] if len(members) > 1 else self.me
        name = " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(1, 3)))
        alias = f"#{name.lower().replace(' ', '-')}-{index}:{SERVER}"
        ts = NOW_MS - rng.randint(30, 900) * 86_400_000

        state = [
            self.event("m.room.create", creator[0], {"creator": creator[0], "room_version": "10"},
                       ts, ""),
            self.event("m.room.power_levels", creator[0],
                       {"users": {creator[0]: 100}, "users_default": 0, "events_default": 0,
                        "state_default": 50, "ban": 50, "kick": 50, "redact": 50, "invite": 0,
                        "events": {"m.room.name": 50, "m.room.power_levels": 100,
                                   "m.room.history_visibility": 100,
                                   "m.room.canonical_alias": 50, "m.room.avatar": 50}},
                       ts + 1, ""),
            self.event("m.room.join_rules", creator[0],
                       {"join_rule": rng.choice(["invite", "public"])}, ts + 2, ""),
            self.event("m.room.history_visibility", creator[0],
                       {"history_visibility": "shared"}, ts + 3, ""),
            self.event("m.room.name", creator[0], {"name": name}, ts + 4, ""),
            self.event("m.room.topic", creator[0], {"topic": sentence(rng, rng.randint(5, 30))},
                       ts + 5, ""),
            self.event("m.room.canonical_alias", creator[0], {"alias": alias}, ts + 6, ""),
        ]
        for i, user in enumerate(members):
            state.append(self.event("m.room.member", user[0], self.member_content(user),
                                    ts + 10 + i, user[0]))

        timeline = []
        t = NOW_MS - rng.randint(1, 30) * 3_600_000
        for i in range(self.n_events):
            t += rng.randint(1_000, 600_000)
            sender = rng.choice(members)[0]
            r = rng.random()
            if self.hostile:
                timeline.append(self.hostile_message(sender, t, i))
            elif r < 0.03:
                timeline.append(self.event("m.room.topic", sender,
                                           {"topic": sentence(rng, rng.randint(5, 30))}, t, "",
                                           {"topic": "Old topic"}))
            elif r < 0.05:
                name = " ".join(rng.choice(WORDS).capitalize() for _ in range(2))
                timeline.append(self.event("m.room.name", sender, {"name": name}, t, "",
                                           {"name": "Old name"}))
            elif r < 0.09:
                user = rng.choice(self.users)
                timeline.append(self.event("m.room.member", user[0], self.member_content(user),
                                           t, user[0]))
            else:
                timeline.append(self.message(sender, t))

        heroes = [m[0] for m in members[1:6]]
        room = {
            "state": {"events": state},
            "timeline": {"events": timeline, "limited": True,
                         "prev_batch": "t" + token(rng, 10) + "_" + str(index)},
            "summary": {"m.heroes": heroes, "m.joined_member_count": len(members),
                        "m.invited_member_count": rng.choice([0, 0, 0, 1, 2])},
            "unread_notifications": {"notification_count": rng.choice([0, 0, 0, 1, 3, 12]),
                                     "highlight_count": rng.choice([0, 0, 0, 0, 1])},
            "ephemeral": {"events": []},
            "account_data": {"events": []},
        }
        return room_id, room

    def sync(self, n_rooms):
        join = {}
        for i in range(n_rooms):
            room_id, room = self.room(i)
            join[room_id] = room
        return {
            "next_batch": "s" + token(self.rng, 12) + "_" + str(n_rooms),
            "account_data": {"events": []},
            "presence": {"events": []},
            "to_device": {"events": []},
            "device_lists": {"changed": [], "left": []},
            "device_one_time_keys_count": {"signed_curve25519": 50},
            "rooms": {"join": join, "invite": {}, "leave": {}},
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, required=True)
    parser.add_argument("--events", type=int, default=50, help="timeline events per room")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hostile", action="store_true",
                        help="every timeline event a 60 KB message of hostile text")
    parser.add_argument("output")
    args = parser.parse_args()

    generator = Generator(args.seed, args.events)
    generator.hostile = args.hostile
    body = generator.sync(args.rooms)
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with open(args.output, "wb") as f:
        f.write(data)
    print(f"{args.output}: {args.rooms} rooms, {len(data)} bytes, "
          f"sha256 {hashlib.sha256(data).hexdigest()[:16]}", file=sys.stderr)


if __name__ == "__main__":
    main()
