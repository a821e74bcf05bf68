// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Server-side room key backup (m.megolm_backup.v1.curve25519-aes-sha2) over
// the machine's BackupMachine, and the recovery key that opens it. The
// recovery key is the backup's private key in the standard base58 form
// (0x8B 0x01 prefix, parity byte), made and read here only; the C side
// hands it to the user once and never keeps it. The private key itself is
// saved in the crypto store (encrypted like the rest of it), so a restart
// keeps backing up to the same version.

use std::collections::BTreeMap;
use std::ffi::c_char;

use matrix_sdk_common::ruma::{
    api::client::backup::{add_backup_keys, KeyBackupData},
    OwnedRoomId, OwnedTransactionId,
};
use matrix_sdk_crypto::{
    olm::{BackedUpRoomKey, ExportedRoomKey},
    store::types::BackupDecryptionKey,
    types::RoomKeyBackupInfo,
};
use serde_json::{json, Value};

use crate::{
    arg_str, clear_out, fail, guard, invalid, machine_error, machine_ref, object_arg,
    parse_response, set_out, store_error, CallResult, Failure, MxcMachine, MxcStatus,
};

/// The recovery key in groups of four characters, as users copy it.
fn grouped(base58: &str) -> String {
    let chars: Vec<char> = base58.chars().collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

fn parse_recovery_key(recovery_key: *const c_char) -> CallResult<BackupDecryptionKey> {
    let text = unsafe { arg_str(recovery_key, "recovery_key")? };
    BackupDecryptionKey::from_base58(text).map_err(|e| Failure {
        status: MxcStatus::MxcInvalidArgument,
        message: format!("not a recovery key: {e}"),
    })
}

/// The server's backup version description (`{"algorithm", "auth_data"}`):
/// a failure of status MxcUndecryptable when it is not one this can use.
fn parse_backup_info(info: *const c_char) -> CallResult<RoomKeyBackupInfo> {
    let value: Value = unsafe { object_arg(info, "backup_info") }.map_err(|f| Failure {
        status: MxcStatus::MxcUndecryptable,
        message: f.message,
    })?;
    let info: RoomKeyBackupInfo = serde_json::from_value(value).map_err(|e| Failure {
        status: MxcStatus::MxcUndecryptable,
        message: format!("the server's backup description is malformed: {e}"),
    })?;
    match info {
        RoomKeyBackupInfo::MegolmBackupV1Curve25519AesSha2(_) => Ok(info),
        RoomKeyBackupInfo::Other { algorithm, .. } => fail(
            MxcStatus::MxcUndecryptable,
            format!("the server's backup uses the unknown algorithm {algorithm}"),
        ),
    }
}

/// Makes a new backup key. `*out` is `{"recovery_key": the key in base58
/// (groups of four), "backup_info": {"algorithm", "auth_data"}}`, the
/// body of `POST /room_keys/version`, its auth data signed by this
/// device. Nothing is saved: `mxc_backup_enable` does that once the server
/// has given the version.
#[no_mangle]
pub unsafe extern "C" fn mxc_backup_new(
    m: *mut MxcMachine,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let key = BackupDecryptionKey::new();
        let mut info = key.to_backup_info();
        m.runtime
            .block_on(m.machine.backup_machine().sign_backup(&mut info))
            .map_err(machine_error)?;
        let info = serde_json::to_value(&info).map_err(machine_error)?;
        set_out(
            out,
            json!({ "recovery_key": grouped(&key.to_base58()), "backup_info": info }).to_string(),
        );
        Ok(())
    })
}

/// Starts backing up room keys to the server's backup `version`, described
/// by `backup_info` (`{"algorithm", "auth_data"}` as the server returns
/// it), whose private key is `recovery_key` (base58, whitespace ignored).
/// The key must match the backup's public key. Fails with
/// MxcInvalidArgument when `recovery_key` is no recovery key,
/// MxcUndecryptable when `backup_info` is malformed or of another
/// algorithm, MxcMachineError when the key is not this backup's. The key is
/// saved in the crypto store.
#[no_mangle]
pub unsafe extern "C" fn mxc_backup_enable(
    m: *mut MxcMachine,
    recovery_key: *const c_char,
    backup_info: *const c_char,
    version: *const c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    guard(error, || {
        let m = machine_ref(m)?;
        let version = arg_str(version, "version")?;
        if version.is_empty() {
            return fail(MxcStatus::MxcInvalidArgument, "version is empty");
        }
        let key = parse_recovery_key(recovery_key)?;
        let info = parse_backup_info(backup_info)?;
        if !key.backup_key_matches(&info) {
            return fail(MxcStatus::MxcMachineError, "the recovery key does not open this backup");
        }
        let backups = m.machine.backup_machine();
        let public = key.megolm_v1_public_key();
        public.set_version(version.to_owned());
        m.runtime.block_on(async {
            if backups.backup_version().await.as_deref() != Some(version) {
                // Another version: its keys are all still to back up.
                backups.disable_backup().await.map_err(store_error)?;
            }
            backups
                .save_decryption_key(Some(key), Some(version.to_owned()))
                .await
                .map_err(store_error)?;
            backups.enable_backup_v1(public).await.map_err(store_error)
        })
    })
}

/// This device's backup: `{"enabled": bool, "version": string or null,
/// "has_key": bool (the private key is in the store), "total": n,
/// "backed_up": n}` (room key counts).
#[no_mangle]
pub unsafe extern "C" fn mxc_backup_state(
    m: *mut MxcMachine,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let backups = m.machine.backup_machine();
        let value = m.runtime.block_on(async {
            let counts = backups.room_key_counts().await.map_err(store_error)?;
            let keys = backups.get_backup_keys().await.map_err(store_error)?;
            Ok::<Value, Failure>(json!({
                "enabled": backups.enabled().await,
                "version": backups.backup_version().await,
                "has_key": keys.decryption_key.is_some(),
                "total": counts.total,
                "backed_up": counts.backed_up,
            }))
        })?;
        set_out(out, value.to_string());
        Ok(())
    })
}

/// Whether the backup `version` described by `backup_info` is the one this
/// device backs up to, with the key in its store: `*out` is `true` or
/// `false`.
#[no_mangle]
pub unsafe extern "C" fn mxc_backup_can_read(
    m: *mut MxcMachine,
    backup_info: *const c_char,
    version: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let info = parse_backup_info(backup_info)?;
        let version = arg_str(version, "version")?;
        let backups = m.machine.backup_machine();
        let keys = m.runtime.block_on(backups.get_backup_keys()).map_err(store_error)?;
        let current = m.runtime.block_on(backups.backup_version());
        let matches = current.as_deref() == Some(version)
            && keys.decryption_key.is_some_and(|k| k.backup_key_matches(&info));
        set_out(out, Value::Bool(matches).to_string());
        Ok(())
    })
}

/// The next batch of room keys to back up: `{"id", "type": "keys_backup",
/// "version", "body": {"rooms": ...}}` (the body of `PUT
/// /room_keys/keys?version=`), or `null` when every key is backed up or no
/// backup is enabled. Send it, then `mxc_backup_mark_sent`.
#[no_mangle]
pub unsafe extern "C" fn mxc_backup_request(
    m: *mut MxcMachine,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let request =
            m.runtime.block_on(m.machine.backup_machine().backup()).map_err(store_error)?;
        let value = match request {
            Some((id, request)) => json!({
                "id": id.as_str(),
                "type": "keys_backup",
                "version": request.version,
                "body": { "rooms": request.rooms },
            }),
            None => Value::Null,
        };
        set_out(out, value.to_string());
        Ok(())
    })
}

/// Hands the machine the response (`{"etag", "count"}`) to the backup
/// request `request_id`: its keys count as backed up.
#[no_mangle]
pub unsafe extern "C" fn mxc_backup_mark_sent(
    m: *mut MxcMachine,
    request_id: *const c_char,
    response: *const c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    guard(error, || {
        let m = machine_ref(m)?;
        let id: OwnedTransactionId = arg_str(request_id, "request_id")?.into();
        let body = arg_str(response, "response")?;
        serde_json::from_str::<serde::de::IgnoredAny>(body).map_err(invalid("response"))?;
        let r: add_backup_keys::v3::Response = parse_response(body)?;
        m.runtime.block_on(m.machine.mark_request_as_sent(&id, &r)).map_err(machine_error)
    })
}

/// Decrypts the backed-up room keys `keys` (the body of `GET
/// /room_keys/keys`: `{"rooms": {room id: {"sessions": {session id: key
/// data}}}}`) with `recovery_key` and imports them, as from backup
/// `version` (they are not uploaded again). Keys that do not decrypt or are
/// malformed are counted and skipped. `*out` is `{"imported": n, "total":
/// n, "failed": n, "rooms": [room ids that got keys]}`.
#[no_mangle]
pub unsafe extern "C" fn mxc_backup_import(
    m: *mut MxcMachine,
    recovery_key: *const c_char,
    version: *const c_char,
    keys: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let key = parse_recovery_key(recovery_key)?;
        let version = arg_str(version, "version")?;
        let body: Value = object_arg(keys, "keys")?;
        let Some(rooms) = body.get("rooms").and_then(Value::as_object) else {
            return fail(MxcStatus::MxcInvalidArgument, "keys: no rooms object");
        };
        let mut exported = Vec::new();
        let mut failed = 0usize;
        for (room_id, room) in rooms {
            let Ok(room_id) = OwnedRoomId::try_from(room_id.as_str()) else {
                failed += room.get("sessions").and_then(Value::as_object).map_or(1, |s| s.len());
                continue;
            };
            let Some(sessions) = room.get("sessions").and_then(Value::as_object) else {
                failed += 1;
                continue;
            };
            for (session_id, data) in sessions {
                let decrypted: Option<BackedUpRoomKey> =
                    serde_json::from_value::<KeyBackupData>(data.clone())
                        .ok()
                        .and_then(|d| key.decrypt_session_data(d.session_data).ok());
                match decrypted {
                    Some(room_key) => exported.push(ExportedRoomKey::from_backed_up_room_key(
                        room_id.clone(),
                        session_id.clone(),
                        room_key,
                    )),
                    None => failed += 1,
                }
            }
        }
        let result = m
            .runtime
            .block_on(m.machine.store().import_room_keys(exported, Some(version), |_, _| {}))
            .map_err(store_error)?;
        let imported_rooms: BTreeMap<&str, ()> =
            result.keys.keys().map(|r| (r.as_str(), ())).collect();
        let rooms: Vec<&str> = imported_rooms.into_keys().collect();
        set_out(
            out,
            json!({
                "imported": result.imported_count,
                "total": result.total_count + failed,
                "failed": failed,
                "rooms": rooms,
            })
            .to_string(),
        );
        Ok(())
    })
}
