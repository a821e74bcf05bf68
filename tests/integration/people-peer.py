#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The other person of the people integration tests: a matrix-nio client.

    people-peer.py HOMESERVER USER PASSWORD accept-dm

Logs in, prints {"ready": true} once it has synced, waits for an invite
whose member event for it carries is_direct, prints it, joins the room,
records it in its own m.direct (keeping what was there) and prints its
m.direct as the server then has it. One JSON object per line on stdout;
anything unexpected ends it with a non-zero status.
"""

import asyncio
import json
import sys
import urllib.parse
import urllib.request

from nio import AsyncClient, InviteMemberEvent, JoinResponse, LoginResponse, SyncResponse


def say(**kwargs):
    print(json.dumps(kwargs), flush=True)


def account_data(client, method, body=None):
    path = "/_matrix/client/v3/user/%s/account_data/m.direct" % urllib.parse.quote(client.user_id, safe="")
    request = urllib.request.Request(client.homeserver + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", "Bearer " + client.access_token)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        if error.code == 404 and method == "GET":
            return {}
        raise


async def accept_dm(client):
    response = await client.sync(timeout=0, full_state=True)
    if not isinstance(response, SyncResponse):
        raise SystemExit("first sync failed: %s" % response)
    say(ready=True)

    for _ in range(120):
        response = await client.sync(timeout=5000, since=client.next_batch)
        if not isinstance(response, SyncResponse):
            raise SystemExit("sync failed: %s" % response)
        for room_id, info in response.rooms.invite.items():
            for event in info.invite_state:
                if isinstance(event, InviteMemberEvent) and event.state_key == client.user_id:
                    is_direct = event.content.get("is_direct") is True
                    say(invite=room_id, sender=event.sender, is_direct=is_direct)
                    joined = await client.join(room_id)
                    if not isinstance(joined, JoinResponse):
                        raise SystemExit("join failed: %s" % joined)
                    if is_direct:
                        direct = account_data(client, "GET")
                        rooms = direct.setdefault(event.sender, [])
                        if room_id not in rooms:
                            rooms.append(room_id)
                        account_data(client, "PUT", direct)
                    say(joined=room_id, direct=account_data(client, "GET"))
                    return
    raise SystemExit("no invite came")


async def main():
    homeserver, user, password, mode = sys.argv[1:5]
    client = AsyncClient(homeserver, user)
    try:
        login = await client.login(password)
        if not isinstance(login, LoginResponse):
            raise SystemExit("login failed: %s" % login)
        if mode == "accept-dm":
            await accept_dm(client)
        else:
            raise SystemExit("unknown mode " + mode)
    finally:
        await client.close()


asyncio.run(main())
