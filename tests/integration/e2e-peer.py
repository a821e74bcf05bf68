#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""An end-to-end encrypting Matrix peer for the integration tests: matrix-nio
(with its e2e extra: vodozemac) logged in as an existing user, its keys in
STORE_DIR. Reads one JSON command a line on stdin, answers one JSON line on
stdout ({"ok": true, ...} or {"ok": false, "error": ...}).

usage: e2e-peer.py HOMESERVER USER_ID PASSWORD STORE_DIR

Commands:
  {"cmd": "create_room", "invite": [user ids]}     -> {"room_id"}  (encrypted)
  {"cmd": "join", "room_id"}
  {"cmd": "wait_member", "room_id", "user_id"}      until the user is joined
  {"cmd": "send", "room_id", "body"}                -> {"event_id"} (encrypted;
                                                        keys shared with every
                                                        device, trusted blindly)
  {"cmd": "wait_message", "room_id", "body"}        -> {"sender", "event_id"}:
                                                        until a message with
                                                        that body decrypts
  {"cmd": "send_file", "room_id", "path", "body", "msgtype"}
                                                    -> {"event_id", "url"}: the
                                                        file encrypted by nio,
                                                        the key in the event
  {"cmd": "wait_file", "room_id", "body"}           -> {"sender", "sha256",
                                                        "size", "ciphertext_sha256"}:
                                                        until an encrypted file
                                                        with that body arrives,
                                                        downloaded and
                                                        decrypted by nio
  {"cmd": "flood", "room_id", "count", "prefix", "rotate_every", "pause"}
                                                    -> {"event_ids"}: COUNT
                                                        messages "PREFIX N",
                                                        a new Megolm session
                                                        (its key sent to each
                                                        device by Olm) every
                                                        ROTATE_EVERY messages
  {"cmd": "know_device", "user_id", "device_id"}  until nio has that device's keys
  {"cmd": "sas_start", "user_id", "device_id"}    -> {"transaction_id"}: nio starts
                                                        an emoji verification
  {"cmd": "sas_accept"}                            -> {"transaction_id", "emoji"}:
                                                        waits for a start from
                                                        the other side, accepts
                                                        it, until the keys are
                                                        exchanged
  {"cmd": "sas_emoji", "transaction_id"}          -> {"emoji"}: until the keys
                                                        are exchanged
  {"cmd": "sas_confirm", "transaction_id"}        -> {"verified"}: the emoji
                                                        match; sends nio's MAC,
                                                        until the other side's
                                                        MAC is checked
  ("emoji" is the seven [{"symbol", "description", "index"}] nio shows.)
  {"cmd": "quit"}
"""
import asyncio
import base64
import hashlib
import json
import os
import sys

from nio import (AsyncClient, AsyncClientConfig, MegolmEvent, RoomMessageText,
                 RoomCreateResponse, JoinResponse, RoomSendResponse, RoomEncryptedMedia,
                 UploadResponse, DownloadResponse, ToDeviceResponse)
from nio.api import Api
from nio.crypto.attachments import decrypt_attachment
from nio.crypto.sas import Sas, SasState

TIMEOUT_S = 30


# matrix-nio 0.26 is not conformant in SAS verification in three places,
# which the peer corrects at runtime (it is test tooling; Confab, which
# follows the spec through matrix-sdk-crypto, is left as it is).
# First, the commitment: nio computes the m.key.verification.accept
# `commitment` as a *hex* SHA-256 digest (nio/crypto/sas.py,
# Sas.from_key_verification_start and Sas._check_commitment), where the
# Matrix spec (Client-Server API, "Short Authentication String (SAS)
# verification", and the `commitment` field of m.key.verification.accept)
# says: "the hash (encoded as unpadded base64) of the concatenation of the
# device's ephemeral public key (encoded as unpadded base64) and the
# canonical JSON representation of the m.key.verification.start message".
# A spec-following client then cancels with m.mismatched_commitment.
def spec_commitment(public_key, start_content):
    digest = hashlib.sha256(public_key.encode() +
                            Api.to_canonical_json(start_content).encode()).digest()
    return base64.b64encode(digest).decode().rstrip("=")


_nio_from_start = Sas.from_key_verification_start.__func__


def _from_start_spec(cls, own_user, own_device, own_fp_key, other_olm_device, event):
    sas = _nio_from_start(cls, own_user, own_device, own_fp_key, other_olm_device, event)
    sas.commitment = spec_commitment(sas.pubkey, event.source["content"])
    return sas


def _check_commitment_spec(self, key):
    return self.commitment == spec_commitment(key, self.start_verification().content)


# Second, its emoji: vodozemac's SasBytes.emoji_indices are already the
# seven 6-bit emoji numbers the spec takes from the first 42 bits of the SAS
# bytes (Client-Server API, "SAS method: emoji"), but nio 0.26
# (Sas._generate_emoji) treats them as the raw bytes and regroups their bits
# again, so it shows other emoji than every spec-following client. The
# corrected version indexes the spec's table (nio's Sas.emoji) with them.
def _generate_emoji_spec(self, extra_info):
    assert self.established_sas
    return [self.emoji[index] for index in self.established_sas.bytes(extra_info).emoji_indices]


# Third, its MACs: nio offers only the MAC method `hkdf-hmac-sha256`, whose
# MAC is, by definition, libolm's original output, base64-encoded in
# libolm's non-standard way (MSC3783, which added the fixed
# `hkdf-hmac-sha256.v2` to the spec in v1.6; vodozemac keeps the old
# encoding as EstablishedSas.calculate_mac_invalid_base64, and
# matrix-sdk-crypto uses it for this method). nio 0.26 calculates and checks
# it with the standard encoding, so each side rejects the other's MAC
# (m.key_mismatch). The corrected version gives nio's SAS the old encoding.
class _HkdfHmacSha256Mac:
    def __init__(self, established):
        self.established = established

    def bytes(self, info):
        return self.established.bytes(info)

    def calculate_mac(self, message, info):
        return self.established.calculate_mac_invalid_base64(message, info)


_nio_establish_sas = Sas.establish_sas


def _establish_sas_spec(self, their_public_key):
    _nio_establish_sas(self, their_public_key)
    assert self.chosen_mac_method in (None, Sas._mac_normal)
    self.established_sas = _HkdfHmacSha256Mac(self.established_sas)


Sas.from_key_verification_start = classmethod(_from_start_spec)
Sas._check_commitment = _check_commitment_spec
Sas._generate_emoji = _generate_emoji_spec
Sas.establish_sas = _establish_sas_spec


class Peer:
    def __init__(self, homeserver, user_id, password, store):
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
        self.client = AsyncClient(homeserver, user_id, store_path=store, config=config)
        self.password = password
        self.messages = []  # (room_id, event)
        self.client.add_event_callback(self.on_message, RoomMessageText)
        self.client.add_event_callback(self.on_message, RoomEncryptedMedia)

    async def on_message(self, room, event):
        self.messages.append((room.room_id, event))

    async def start(self):
        response = await self.client.login(self.password, device_name="e2e-peer")
        if not hasattr(response, "access_token"):
            raise RuntimeError(f"login failed: {response}")
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        await self.sync()

    async def sync(self):
        await self.client.sync(timeout=0, full_state=False)
        # nio queues its verification messages; a manual sync sends them.
        await self.client.send_to_device_messages()
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())

    def trust_everyone(self):
        for user_id, devices in self.client.device_store.items():
            for device in devices.values():
                if device.device_id != self.client.device_id or user_id != self.client.user_id:
                    if not self.client.olm.is_device_verified(device):
                        self.client.verify_device(device)

    async def until(self, check):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT_S
        while True:
            await self.sync()
            found = check()
            if found:
                return found
            if loop.time() > deadline:
                raise TimeoutError("timed out")
            await asyncio.sleep(0.2)

    async def create_room(self, invite):
        response = await self.client.room_create(
            invite=invite,
            initial_state=[{"type": "m.room.encryption", "state_key": "",
                            "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        if not isinstance(response, RoomCreateResponse):
            raise RuntimeError(f"room_create failed: {response}")
        await self.sync()
        return {"room_id": response.room_id}

    async def join(self, room_id):
        response = await self.client.join(room_id)
        if not isinstance(response, JoinResponse):
            raise RuntimeError(f"join failed: {response}")
        await self.sync()
        return {}

    async def wait_member(self, room_id, user_id):
        def joined():
            room = self.client.rooms.get(room_id)
            return room is not None and user_id in room.users
        await self.until(joined)
        return {}

    async def send(self, room_id, body, msgtype="m.text"):
        await self.sync()
        # The members' devices: asked for, then trusted (no verification here).
        await self.client.joined_members(room_id)
        if self.client.should_query_keys:
            await self.client.keys_query()
        self.trust_everyone()
        response = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": msgtype, "body": body},
            ignore_unverified_devices=True)
        if not isinstance(response, RoomSendResponse):
            raise RuntimeError(f"room_send failed: {response}")
        return {"event_id": response.event_id}

    async def flood(self, room_id, count, prefix, rotate_every, pause=0.0):
        await self.sync()
        await self.client.joined_members(room_id)
        if self.client.should_query_keys:
            await self.client.keys_query()
        self.trust_everyone()
        event_ids = []
        for i in range(count):
            if i > 0 and i % rotate_every == 0:
                # The next send makes a new outbound session and shares its
                # key again: room keys keep arriving as to-device events.
                self.client.invalidate_outbound_session(room_id)
            response = await self.client.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": f"{prefix} {i}"},
                ignore_unverified_devices=True)
            if not isinstance(response, RoomSendResponse):
                raise RuntimeError(f"room_send failed: {response}")
            event_ids.append(response.event_id)
            if pause > 0:
                await asyncio.sleep(pause)
        return {"event_ids": event_ids}

    async def send_file(self, room_id, path, body, msgtype="m.file"):
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            response, keys = await self.client.upload(
                f, content_type="application/octet-stream", filesize=size, encrypt=True)
        if not isinstance(response, UploadResponse):
            raise RuntimeError(f"upload failed: {response}")
        await self.sync()
        await self.client.joined_members(room_id)
        if self.client.should_query_keys:
            await self.client.keys_query()
        self.trust_everyone()
        content = {"msgtype": msgtype, "body": body,
                   "info": {"size": size, "mimetype": "image/png" if msgtype == "m.image"
                            else "application/octet-stream"},
                   "file": dict(keys, url=response.content_uri)}
        sent = await self.client.room_send(room_id, "m.room.message", content,
                                           ignore_unverified_devices=True)
        if not isinstance(sent, RoomSendResponse):
            raise RuntimeError(f"room_send failed: {sent}")
        return {"event_id": sent.event_id, "url": response.content_uri}

    async def wait_file(self, room_id, body):
        def found():
            for rid, event in self.messages:
                if rid == room_id and isinstance(event, RoomEncryptedMedia) and event.body == body:
                    return event
            return None
        event = await self.until(found)
        download = await self.client.download(mxc=event.url)
        if not isinstance(download, DownloadResponse):
            raise RuntimeError(f"download failed: {download}")
        plain = decrypt_attachment(download.body, event.key["k"], event.hashes["sha256"],
                                   event.iv)
        return {"sender": event.sender, "size": len(plain),
                "sha256": hashlib.sha256(plain).hexdigest(),
                "ciphertext_sha256": hashlib.sha256(download.body).hexdigest()}

    async def wait_message(self, room_id, body):
        def found():
            for rid, event in self.messages:
                if rid == room_id and isinstance(event, RoomMessageText) and event.body == body:
                    return {"sender": event.sender, "event_id": event.event_id}
            return None
        return await self.until(found)

    async def know_device(self, user_id, device_id):
        def known():
            return any(device.device_id == device_id
                       for device in self.client.device_store.active_user_devices(user_id))

        async def query():
            self.client.olm.users_for_key_query.add(user_id)
            await self.client.keys_query()
        await query()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT_S
        while not known():
            if loop.time() > deadline:
                raise TimeoutError("timed out")
            await asyncio.sleep(0.2)
            await query()
        return {}

    def sas_json(self, sas):
        return [{"symbol": symbol, "description": description,
                 "index": Sas.emoji.index((symbol, description))}
                for symbol, description in sas.get_emoji()]

    def sas(self, transaction_id):
        sas = self.client.key_verifications.get(transaction_id)
        if sas is None:
            raise RuntimeError(f"no verification {transaction_id}")
        if sas.canceled:
            raise RuntimeError(f"verification cancelled: {sas.cancel_code} {sas.cancel_reason}")
        return sas

    async def sas_start(self, user_id, device_id):
        await self.know_device(user_id, device_id)
        device = self.client.device_store[user_id][device_id]
        response = await self.client.start_key_verification(device)
        if not isinstance(response, ToDeviceResponse):
            raise RuntimeError(f"start failed: {response}")
        for transaction_id, sas in self.client.key_verifications.items():
            if sas.we_started_it and sas.other_olm_device.device_id == device_id:
                return {"transaction_id": transaction_id}
        raise RuntimeError("the started verification is missing")

    async def sas_emoji(self, transaction_id):
        def exchanged():
            return self.sas(transaction_id).state in (SasState.key_received,
                                                     SasState.mac_received)
        await self.until(exchanged)
        return {"emoji": self.sas_json(self.sas(transaction_id))}

    async def sas_accept(self):
        def started():
            for transaction_id, sas in self.client.key_verifications.items():
                if not sas.we_started_it and sas.state == SasState.started:
                    return transaction_id
            return None
        transaction_id = await self.until(started)
        await self.client.accept_key_verification(transaction_id)
        answer = await self.sas_emoji(transaction_id)
        answer["transaction_id"] = transaction_id
        return answer

    async def sas_confirm(self, transaction_id):
        await self.client.confirm_short_auth_string(transaction_id)
        await self.until(lambda: self.sas(transaction_id).verified)
        device = self.sas(transaction_id).other_olm_device
        # nio verifies the device itself only when the other side's MAC
        # comes after our confirmation; either order is the protocol's.
        if not self.client.olm.is_device_verified(device):
            self.client.verify_device(device)
        return {"verified": self.client.olm.is_device_verified(device)}


async def main():
    homeserver, user_id, password, store = sys.argv[1:5]
    peer = Peer(homeserver, user_id, password, store)
    await peer.start()
    print(json.dumps({"ok": True, "device_id": peer.client.device_id,
                      "user_id": peer.client.user_id}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        name = command.pop("cmd")
        if name == "quit":
            break
        try:
            result = await getattr(peer, name)(**command)
            result["ok"] = True
        except Exception as error:  # reported to the test, which fails
            result = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(result), flush=True)
    await peer.client.close()


if __name__ == "__main__":
    asyncio.run(main())
