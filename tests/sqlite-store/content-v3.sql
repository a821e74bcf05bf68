-- SPDX-License-Identifier: GPL-3.0-or-later
-- A store as MatrixSqliteStore schema version 3 writes it: version 2's
-- content (content-v2.sql) with a message not sent yet. When version 4
-- comes, keep this file as it is and add what it becomes migrated.
PRAGMA user_version = 3;
CREATE TABLE session_values (  key TEXT PRIMARY KEY NOT NULL,  value TEXT NOT NULL);
CREATE TABLE sync_token (  id INTEGER PRIMARY KEY CHECK (id = 1),  next_batch TEXT NOT NULL);
CREATE TABLE room_state (  room_id TEXT NOT NULL,  type TEXT NOT NULL,  state_key TEXT NOT NULL,  event TEXT NOT NULL,  PRIMARY KEY (room_id, type, state_key));
CREATE TABLE rooms (  room_id TEXT PRIMARY KEY NOT NULL,  data TEXT NOT NULL);
CREATE TABLE room_summaries (  room_id TEXT PRIMARY KEY NOT NULL,  format INTEGER NOT NULL,  display_name TEXT NOT NULL,  topic TEXT,  avatar_url TEXT,  last_message TEXT,  last_activity INTEGER NOT NULL,  inviter TEXT);
CREATE TABLE pending_sends (  room_id TEXT NOT NULL,  txn_id TEXT NOT NULL,  send TEXT NOT NULL,  PRIMARY KEY (room_id, txn_id));
CREATE TABLE timeline_events (  room_id TEXT NOT NULL,  position INTEGER NOT NULL,  event_id TEXT NOT NULL,  event TEXT NOT NULL,  PRIMARY KEY (room_id, position),  UNIQUE (room_id, event_id));
INSERT INTO session_values VALUES ('user_id', '@alice:example.org');
INSERT INTO session_values VALUES ('device_id', 'ABCDEFG');
INSERT INTO session_values VALUES ('homeserver', 'http://127.0.0.1:8008');
INSERT INTO sync_token VALUES (1, 's72595_4483_1934');
INSERT INTO room_state VALUES ('!room:example.org', 'm.room.topic', '',
  '{"room_id":"!room:example.org","type":"m.room.topic","state_key":"","sender":"@alice:example.org","content":{"topic":"Stuff"},"event_id":"$topic","origin_server_ts":1432735824653}');
INSERT INTO rooms VALUES ('!room:example.org',
  '{"membership":"join","summary":{"m.joined_member_count":2},"unread_notifications":{"notification_count":1,"highlight_count":0}}');
INSERT INTO timeline_events VALUES ('!room:example.org', 7, '$topic',
  '{"room_id":"!room:example.org","type":"m.room.topic","state_key":"","sender":"@alice:example.org","content":{"topic":"Stuff"},"event_id":"$topic","origin_server_ts":1432735824653}');
INSERT INTO timeline_events VALUES ('!room:example.org', 8, '$hello',
  '{"room_id":"!room:example.org","type":"m.room.message","sender":"@bob:example.org","content":{"msgtype":"m.text","body":"hello"},"event_id":"$hello","origin_server_ts":1432735824700,"unsigned":{"age":1234}}');
INSERT INTO timeline_events VALUES ('!room:example.org', 9, '$world',
  '{"room_id":"!room:example.org","type":"m.room.message","sender":"@alice:example.org","content":{"msgtype":"m.text","body":"world"},"event_id":"$world","origin_server_ts":1432735824800}');
INSERT INTO room_summaries VALUES ('!room:example.org', 1, 'Empty Room', 'Stuff', NULL,
  '@alice:example.org: world', 1432735824800, NULL);
INSERT INTO pending_sends VALUES ('!room:example.org', 'm1700000000000.Ab3d.1',
  '{"txn_id":"m1700000000000.Ab3d.1","type":"m.room.message","content":{"msgtype":"m.text","body":"not sent yet"},"origin_server_ts":1432735824900}');
