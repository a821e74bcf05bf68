// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A plain C ABI over matrix-sdk-crypto's OlmMachine for matrix-glib.
//
// Every function takes and returns UTF-8 JSON strings; every string handed to
// the caller is freed with `mxc_string_free`. A function returns an
// `MxcStatus`; on failure `*error` (when not NULL) receives a message. No
// panic crosses the boundary: each entry point runs under `catch_unwind`.
//
// The machine is async; each handle owns a single-threaded tokio runtime and
// blocks on it, so a handle must be used from one thread at a time (the C
// side keeps one worker thread per handle).

#![allow(clippy::missing_safety_doc)]

use std::collections::BTreeMap;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::time::Duration;

use matrix_sdk_common::deserialized_responses::{ProcessedToDeviceEvent, VerificationState};
use matrix_sdk_common::ruma::{
    self,
    api::{
        client::{
            keys::{claim_keys, get_keys, upload_keys, upload_signatures},
            message::send_message_event,
            sync::sync_events::DeviceLists,
            to_device::send_event_to_device,
        },
        IncomingResponse,
    },
    events::{room::history_visibility::HistoryVisibility, AnyMessageLikeEventContent},
    serde::Raw,
    OneTimeKeyAlgorithm, OwnedUserId, RoomId, TransactionId, UInt, UserId,
};
use matrix_sdk_crypto::{
    types::requests::AnyOutgoingRequest, DecryptionSettings, EncryptionSettings,
    EncryptionSyncChanges, MegolmError, OlmMachine, TrustRequirement,
};
use matrix_sdk_sqlite::SqliteCryptoStore;
use serde::Deserialize;
use serde_json::{json, Value};

mod attachment;
mod backup;
mod verification;

/// What a call returned.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MxcStatus {
    /// Success.
    MxcOk = 0,
    /// An argument was NULL, not UTF-8, not JSON, or not of the expected shape.
    MxcInvalidArgument = 1,
    /// The crypto store failed (I/O, wrong passphrase, another account).
    MxcStoreError = 2,
    /// A room event could not be decrypted because its room key is missing
    /// (it may come later); `*out` describes the failure.
    MxcMissingKey = 3,
    /// A room event could not be decrypted and will not be: forged, corrupt,
    /// or not for this device; `*out` describes the failure.
    MxcUndecryptable = 4,
    /// The machine refused the operation (e.g. a response that does not match
    /// any request, or encrypting without a shared room key).
    MxcMachineError = 5,
    /// A bug in the machine: it panicked, and the panic was caught.
    MxcPanic = 6,
}

/// An OlmMachine with its store and runtime. Opaque to C.
pub struct MxcMachine {
    runtime: tokio::runtime::Runtime,
    machine: OlmMachine,
}

struct Failure {
    status: MxcStatus,
    message: String,
}

type CallResult<T> = Result<T, Failure>;

fn fail<T>(status: MxcStatus, message: impl Into<String>) -> CallResult<T> {
    Err(Failure { status, message: message.into() })
}

fn invalid<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> Failure + '_ {
    move |e| Failure { status: MxcStatus::MxcInvalidArgument, message: format!("{what}: {e}") }
}

fn store_error<E: std::fmt::Display>(e: E) -> Failure {
    Failure { status: MxcStatus::MxcStoreError, message: e.to_string() }
}

fn machine_error<E: std::fmt::Display>(e: E) -> Failure {
    Failure { status: MxcStatus::MxcMachineError, message: e.to_string() }
}

fn new_c_string(s: String) -> *mut c_char {
    // JSON from serde_json never holds a NUL byte; error messages might.
    let cleaned = if s.contains('\0') { s.replace('\0', "\u{FFFD}") } else { s };
    CString::new(cleaned).map(CString::into_raw).unwrap_or(ptr::null_mut())
}

unsafe fn set_out(out: *mut *mut c_char, value: String) {
    if !out.is_null() {
        *out = new_c_string(value);
    }
}

unsafe fn clear_out(out: *mut *mut c_char) {
    if !out.is_null() {
        *out = ptr::null_mut();
    }
}

unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> CallResult<&'a str> {
    if p.is_null() {
        return fail(MxcStatus::MxcInvalidArgument, format!("{name} is NULL"));
    }
    CStr::from_ptr(p).to_str().map_err(invalid(name))
}

unsafe fn arg_json(p: *const c_char, name: &str) -> CallResult<Value> {
    serde_json::from_str(arg_str(p, name)?).map_err(invalid(name))
}

/// A JSON object argument, into `T` (serde would take an array for a struct).
unsafe fn object_arg<T: serde::de::DeserializeOwned>(p: *const c_char, name: &str) -> CallResult<T> {
    let value = arg_json(p, name)?;
    if !value.is_object() {
        return fail(MxcStatus::MxcInvalidArgument, format!("{name} is not an object"));
    }
    serde_json::from_value(value).map_err(invalid(name))
}

fn user_ids(value: &Value, name: &str) -> CallResult<Vec<OwnedUserId>> {
    let Some(array) = value.as_array() else {
        return fail(MxcStatus::MxcInvalidArgument, format!("{name} is not an array"));
    };
    array
        .iter()
        .map(|v| match v.as_str() {
            Some(s) => UserId::parse(s).map_err(invalid(name)),
            None => fail(MxcStatus::MxcInvalidArgument, format!("{name} holds a non-string")),
        })
        .collect()
}

/// Runs `f`, turning a panic and a failure into a status and a message.
unsafe fn guard<F>(error: *mut *mut c_char, f: F) -> MxcStatus
where
    F: FnOnce() -> CallResult<()>,
{
    clear_out(error);
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => MxcStatus::MxcOk,
        Ok(Err(failure)) => {
            set_out(error, failure.message);
            failure.status
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            set_out(error, format!("the crypto machine panicked: {message}"));
            MxcStatus::MxcPanic
        }
    }
}

unsafe fn machine_ref<'a>(m: *mut MxcMachine) -> CallResult<&'a MxcMachine> {
    if m.is_null() {
        return fail(MxcStatus::MxcInvalidArgument, "machine is NULL");
    }
    Ok(&*m)
}

/// Frees a string returned by any `mxc_` function. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn mxc_string_free(s: *mut c_char) {
    if !s.is_null() {
        drop(CString::from_raw(s));
    }
}

/// Opens (or creates) the machine of `user_id`/`device_id` over the SQLite
/// crypto store in the directory `store_path`, its contents encrypted with
/// `passphrase` (NULL: unencrypted). On success `*out` holds a handle to free
/// with `mxc_machine_free`.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_open(
    user_id: *const c_char,
    device_id: *const c_char,
    store_path: *const c_char,
    passphrase: *const c_char,
    out: *mut *mut MxcMachine,
    error: *mut *mut c_char,
) -> MxcStatus {
    if !out.is_null() {
        *out = ptr::null_mut();
    }
    guard(error, || {
        if out.is_null() {
            return fail(MxcStatus::MxcInvalidArgument, "out is NULL");
        }
        let user_id = UserId::parse(arg_str(user_id, "user_id")?).map_err(invalid("user_id"))?;
        let device_id: ruma::OwnedDeviceId = arg_str(device_id, "device_id")?.into();
        if device_id.as_str().is_empty() {
            return fail(MxcStatus::MxcInvalidArgument, "device_id is empty");
        }
        let store_path = arg_str(store_path, "store_path")?.to_owned();
        let passphrase =
            if passphrase.is_null() { None } else { Some(arg_str(passphrase, "passphrase")?) };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(store_error)?;
        let machine = runtime.block_on(async {
            let store =
                SqliteCryptoStore::open(&store_path, passphrase).await.map_err(store_error)?;
            OlmMachine::with_store(&user_id, &device_id, store, None).await.map_err(store_error)
        })?;
        *out = Box::into_raw(Box::new(MxcMachine { runtime, machine }));
        Ok(())
    })
}

/// Closes a machine. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_free(m: *mut MxcMachine) {
    if m.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let boxed = Box::from_raw(m);
        let MxcMachine { runtime, machine } = *boxed;
        // The store's connection pool drops inside the runtime.
        runtime.block_on(async move { drop(machine) });
        runtime.shutdown_timeout(Duration::from_secs(1));
    }));
}

/// This device's keys:
/// `{"user_id", "device_id", "ed25519", "curve25519"}`.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_identity_keys(
    m: *mut MxcMachine,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let keys = m.machine.identity_keys();
        set_out(
            out,
            json!({
                "user_id": m.machine.user_id().as_str(),
                "device_id": m.machine.device_id().as_str(),
                "ed25519": keys.ed25519.to_base64(),
                "curve25519": keys.curve25519.to_base64(),
            })
            .to_string(),
        );
        Ok(())
    })
}

#[derive(Deserialize)]
struct SyncChangesArg {
    #[serde(default)]
    to_device_events: Vec<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    changed: Vec<OwnedUserId>,
    #[serde(default)]
    left: Vec<OwnedUserId>,
    #[serde(default)]
    one_time_key_counts: BTreeMap<String, u64>,
    #[serde(default)]
    unused_fallback_key_types: Option<Vec<String>>,
    #[serde(default)]
    next_batch: Option<String>,
}

/// Feeds one sync's crypto parts into the machine, `changes` being
/// `{"to_device_events": [...], "changed": [user ids], "left": [user ids],
/// "one_time_key_counts": {"signed_curve25519": n}, "unused_fallback_key_types":
/// [...] or null, "next_batch": "..."}`. `*out` receives
/// `{"to_device_events": [decrypted or plain events], "room_keys": [{"room_id",
/// "session_id", "sender_key", "algorithm"}]}`: the room keys that arrived, so
/// the caller can retry the events they unlock.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_receive_sync_changes(
    m: *mut MxcMachine,
    changes: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let arg: SyncChangesArg = object_arg(changes, "changes")?;
        let to_device_events = arg.to_device_events.into_iter().map(Raw::from_json).collect();
        let mut lists = DeviceLists::new();
        lists.changed = arg.changed;
        lists.left = arg.left;
        let mut counts = BTreeMap::new();
        for (algorithm, count) in arg.one_time_key_counts {
            let count = UInt::new(count).ok_or_else(|| Failure {
                status: MxcStatus::MxcInvalidArgument,
                message: "one-time key count out of range".into(),
            })?;
            counts.insert(OneTimeKeyAlgorithm::from(algorithm.as_str()), count);
        }
        let fallback: Option<Vec<OneTimeKeyAlgorithm>> = arg
            .unused_fallback_key_types
            .map(|v| v.iter().map(|s| OneTimeKeyAlgorithm::from(s.as_str())).collect());
        let settings =
            DecryptionSettings { sender_device_trust_requirement: TrustRequirement::Untrusted };
        let (events, keys) = m.runtime.block_on(m.machine.receive_sync_changes(
            EncryptionSyncChanges {
                to_device_events,
                changed_devices: &lists,
                one_time_keys_counts: &counts,
                unused_fallback_keys: fallback.as_deref(),
                next_batch_token: arg.next_batch,
            },
            &settings,
        ))
        .map_err(store_error)?;
        let events: Vec<Value> = events
            .into_iter()
            .filter_map(|e| match e {
                ProcessedToDeviceEvent::Decrypted { raw, .. } => raw.deserialize_as().ok(),
                ProcessedToDeviceEvent::PlainText(raw) => raw.deserialize_as().ok(),
                _ => None,
            })
            .collect();
        let keys: Vec<Value> = keys
            .iter()
            .map(|k| {
                json!({
                    "room_id": k.room_id.as_str(),
                    "session_id": k.session_id,
                    "sender_key": k.sender_key.to_base64(),
                    "algorithm": k.algorithm.as_str(),
                })
            })
            .collect();
        set_out(out, json!({ "to_device_events": events, "room_keys": keys }).to_string());
        Ok(())
    })
}

/// The JSON of a request, its body without null members: the spec's
/// optional fields are absent, not null (Synapse refuses `"device_keys": null`).
fn request_json(id: &TransactionId, request: &AnyOutgoingRequest) -> Value {
    let mut value = request_json_raw(id, request);
    if let Some(Value::Object(body)) = value.get_mut("body") {
        body.retain(|_, v| !v.is_null());
    }
    value
}

fn request_json_raw(id: &TransactionId, request: &AnyOutgoingRequest) -> Value {
    match request {
        AnyOutgoingRequest::KeysUpload(r) => json!({
            "id": id.as_str(), "type": "keys_upload",
            "body": {
                "device_keys": r.device_keys,
                "one_time_keys": r.one_time_keys,
                "fallback_keys": r.fallback_keys,
            },
        }),
        AnyOutgoingRequest::KeysQuery(r) => json!({
            "id": id.as_str(), "type": "keys_query",
            "body": {
                "timeout": r.timeout.map(|t| t.as_millis() as u64),
                "device_keys": r.device_keys,
            },
        }),
        AnyOutgoingRequest::KeysClaim(r) => json!({
            "id": id.as_str(), "type": "keys_claim",
            "body": {
                "timeout": r.timeout.map(|t| t.as_millis() as u64),
                "one_time_keys": r.one_time_keys,
            },
        }),
        AnyOutgoingRequest::ToDeviceRequest(r) => json!({
            "id": id.as_str(), "type": "to_device",
            "event_type": r.event_type.to_string(),
            "txn_id": r.txn_id.as_str(),
            "body": { "messages": r.messages },
        }),
        AnyOutgoingRequest::SignatureUpload(r) => json!({
            "id": id.as_str(), "type": "signature_upload",
            "body": r.signed_keys,
        }),
        AnyOutgoingRequest::RoomMessage(r) => {
            use matrix_sdk_common::ruma::events::MessageLikeEventContent;
            json!({
                "id": id.as_str(), "type": "room_message",
                "room_id": r.room_id.as_str(),
                "event_type": r.content.event_type().to_string(),
                "txn_id": r.txn_id.as_str(),
                "body": serde_json::to_value(&*r.content).unwrap_or(Value::Null),
            })
        }
    }
}

/// The requests the machine wants sent, as a JSON array of `{"id", "type",
/// "body"}` (`type` one of keys_upload, keys_query, keys_claim, to_device,
/// signature_upload, room_message; to_device and room_message add
/// `event_type` and `txn_id`, room_message `room_id`). Send each, then call
/// `mxc_machine_mark_request_as_sent` with its id, type and response body.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_outgoing_requests(
    m: *mut MxcMachine,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let requests = m.runtime.block_on(m.machine.outgoing_requests()).map_err(store_error)?;
        let array: Vec<Value> =
            requests.iter().map(|r| request_json(r.request_id(), r.request())).collect();
        set_out(out, Value::Array(array).to_string());
        Ok(())
    })
}

fn parse_response<R: IncomingResponse>(body: &str) -> CallResult<R> {
    let response = http::Response::builder()
        .status(200)
        .body(body.as_bytes().to_vec())
        .map_err(invalid("response"))?;
    R::try_from_http_response(response).map_err(invalid("response"))
}

/// Hands the machine the 200 response `response` (its JSON body) of the
/// request `request_id` of type `request_type`.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_mark_request_as_sent(
    m: *mut MxcMachine,
    request_id: *const c_char,
    request_type: *const c_char,
    response: *const c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    guard(error, || {
        let m = machine_ref(m)?;
        let id: ruma::OwnedTransactionId = arg_str(request_id, "request_id")?.into();
        let kind = arg_str(request_type, "request_type")?;
        let body = arg_str(response, "response")?;
        // The body is JSON, whatever the type: refuse anything else early.
        serde_json::from_str::<serde::de::IgnoredAny>(body).map_err(invalid("response"))?;
        let machine = &m.machine;
        let result = match kind {
            "keys_upload" => {
                let r: upload_keys::v3::Response = parse_response(body)?;
                m.runtime.block_on(machine.mark_request_as_sent(&id, &r))
            }
            "keys_query" => {
                let r: get_keys::v3::Response = parse_response(body)?;
                m.runtime.block_on(machine.mark_request_as_sent(&id, &r))
            }
            "keys_claim" => {
                let r: claim_keys::v3::Response = parse_response(body)?;
                m.runtime.block_on(machine.mark_request_as_sent(&id, &r))
            }
            "to_device" => {
                let r: send_event_to_device::v3::Response = parse_response(body)?;
                m.runtime.block_on(machine.mark_request_as_sent(&id, &r))
            }
            "signature_upload" => {
                let r: upload_signatures::v3::Response = parse_response(body)?;
                m.runtime.block_on(machine.mark_request_as_sent(&id, &r))
            }
            "room_message" => {
                let r: send_message_event::v3::Response = parse_response(body)?;
                m.runtime.block_on(machine.mark_request_as_sent(&id, &r))
            }
            other => {
                return fail(MxcStatus::MxcInvalidArgument, format!("unknown request type {other}"))
            }
        };
        result.map_err(machine_error)
    })
}

/// Decrypts the `m.room.encrypted` event `event` (JSON, as in a sync's
/// timeline) of room `room_id`. On success `*out` is `{"event": the decrypted
/// event (type, content, sender, event_id...), "sender": user id,
/// "sender_device": device id or null, "verified": bool, "sender_trust":
/// "verified", "unverified" or "unknown" (see `verification::sender_trust`),
/// "encryption_info": {...}}`. On MxcMissingKey or MxcUndecryptable `*out` is
/// `{"reason": code, "session_id": ... or null}` and `*error` a message.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_decrypt_room_event(
    m: *mut MxcMachine,
    room_id: *const c_char,
    event: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let room_id = RoomId::parse(arg_str(room_id, "room_id")?).map_err(invalid("room_id"))?;
        let raw: Box<serde_json::value::RawValue> =
            serde_json::from_str(arg_str(event, "event")?).map_err(invalid("event"))?;
        let raw = Raw::from_json(raw);
        let settings =
            DecryptionSettings { sender_device_trust_requirement: TrustRequirement::Untrusted };
        match m.runtime.block_on(m.machine.decrypt_room_event(&raw, &room_id, &settings)) {
            Ok(decrypted) => {
                let info = &decrypted.encryption_info;
                let event: Value = decrypted.event.deserialize_as().map_err(machine_error)?;
                let trust = verification::sender_trust(m, info)?;
                set_out(
                    out,
                    json!({
                        "event": event,
                        "sender": info.sender.as_str(),
                        "sender_device": info.sender_device.as_ref().map(|d| d.as_str()),
                        "verified": matches!(info.verification_state, VerificationState::Verified),
                        "sender_trust": trust,
                        "encryption_info": serde_json::to_value(&**info).unwrap_or(Value::Null),
                    })
                    .to_string(),
                );
                Ok(())
            }
            Err(MegolmError::Store(e)) => Err(store_error(e)),
            Err(e) => {
                let (reason, status) = match &e {
                    MegolmError::MissingRoomKey(Some(_)) => ("withheld", MxcStatus::MxcMissingKey),
                    MegolmError::MissingRoomKey(None) => ("missing_key", MxcStatus::MxcMissingKey),
                    MegolmError::Decryption(vodozemac_err)
                        if vodozemac_err.to_string().contains("index") =>
                    {
                        ("unknown_message_index", MxcStatus::MxcMissingKey)
                    }
                    MegolmError::JsonError(_) | MegolmError::EventError(_) => {
                        ("malformed", MxcStatus::MxcUndecryptable)
                    }
                    MegolmError::MismatchedIdentityKeys(_) => {
                        ("mismatched_identity_keys", MxcStatus::MxcUndecryptable)
                    }
                    _ => ("undecryptable", MxcStatus::MxcUndecryptable),
                };
                let session_id = raw
                    .get_field::<Value>("content")
                    .ok()
                    .flatten()
                    .and_then(|c| c.get("session_id").and_then(|s| s.as_str().map(str::to_owned)));
                set_out(out, json!({ "reason": reason, "session_id": session_id }).to_string());
                fail(status, e.to_string())
            }
        }
    })
}

/// Starts tracking the devices of `users` (a JSON array of user ids): the
/// next outgoing requests include a keys/query for the new ones.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_update_tracked_users(
    m: *mut MxcMachine,
    users: *const c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    guard(error, || {
        let m = machine_ref(m)?;
        let users = user_ids(&arg_json(users, "users")?, "users")?;
        m.runtime
            .block_on(m.machine.update_tracked_users(users.iter().map(|u| u.as_ref())))
            .map_err(store_error)
    })
}

/// The keys/claim request that would open Olm sessions with every device of
/// `users` (JSON array) that has none, or the JSON `null` when none is
/// missing. `*out` is `{"id", "type": "keys_claim", "body"}` or `null`.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_get_missing_sessions(
    m: *mut MxcMachine,
    users: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let users = user_ids(&arg_json(users, "users")?, "users")?;
        let missing = m
            .runtime
            .block_on(m.machine.get_missing_sessions(users.iter().map(|u| u.as_ref())))
            .map_err(store_error)?;
        let value = match missing {
            Some((id, request)) => request_json(&id, &AnyOutgoingRequest::KeysClaim(request)),
            None => Value::Null,
        };
        set_out(out, value.to_string());
        Ok(())
    })
}

#[derive(Deserialize, Default)]
struct RoomSettingsArg {
    #[serde(default)]
    history_visibility: Option<String>,
    #[serde(default)]
    rotation_period_ms: Option<u64>,
    #[serde(default)]
    rotation_period_msgs: Option<u64>,
}

/// Shares this room's outbound Megolm key with every device of `users` (a
/// JSON array), creating a new session when needed. `settings` is NULL or
/// `{"history_visibility", "rotation_period_ms", "rotation_period_msgs"}`
/// from the room's state. `*out` is a JSON array of to_device requests, as
/// from `mxc_machine_outgoing_requests`, to send and mark as sent.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_share_room_key(
    m: *mut MxcMachine,
    room_id: *const c_char,
    users: *const c_char,
    settings: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let room_id = RoomId::parse(arg_str(room_id, "room_id")?).map_err(invalid("room_id"))?;
        let users = user_ids(&arg_json(users, "users")?, "users")?;
        let arg: RoomSettingsArg = if settings.is_null() {
            RoomSettingsArg::default()
        } else {
            object_arg(settings, "settings")?
        };
        let mut encryption = EncryptionSettings::default();
        if let Some(v) = arg.history_visibility {
            encryption.history_visibility = HistoryVisibility::from(v.as_str());
        }
        if let Some(ms) = arg.rotation_period_ms {
            encryption.rotation_period = Duration::from_millis(ms.max(3_600_000));
        }
        if let Some(n) = arg.rotation_period_msgs {
            encryption.rotation_period_msgs = n.clamp(1, 10_000);
        }
        let requests = m
            .runtime
            .block_on(m.machine.share_room_key(&room_id, users.iter().map(|u| u.as_ref()), encryption))
            .map_err(machine_error)?;
        let array: Vec<Value> = requests
            .iter()
            .map(|r| request_json(&r.txn_id, &AnyOutgoingRequest::ToDeviceRequest((**r).clone())))
            .collect();
        set_out(out, Value::Array(array).to_string());
        Ok(())
    })
}

/// Encrypts the content `content` (JSON object) of an event of type
/// `event_type` for room `room_id` with the room key shared by
/// `mxc_machine_share_room_key`. `*out` is the `m.room.encrypted` content.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_encrypt(
    m: *mut MxcMachine,
    room_id: *const c_char,
    event_type: *const c_char,
    content: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let room_id = RoomId::parse(arg_str(room_id, "room_id")?).map_err(invalid("room_id"))?;
        let event_type = arg_str(event_type, "event_type")?;
        if event_type.is_empty() {
            return fail(MxcStatus::MxcInvalidArgument, "event_type is empty");
        }
        let content_value = arg_json(content, "content")?;
        if !content_value.is_object() {
            return fail(MxcStatus::MxcInvalidArgument, "content is not an object");
        }
        let raw: Raw<AnyMessageLikeEventContent> =
            Raw::from_json(serde_json::value::to_raw_value(&content_value).map_err(invalid("content"))?);
        // The machine panics when no session was shared for the room: check
        // first, so that is an error, not a caught panic.
        let shared = m.runtime.block_on(async {
            m.machine.store().get_outbound_group_session(&room_id).await
        });
        match shared {
            Ok(Some(_)) => {}
            Ok(None) => {
                return fail(MxcStatus::MxcMachineError, "no room key was shared for this room")
            }
            Err(e) => return Err(store_error(e)),
        }
        let result = m
            .runtime
            .block_on(m.machine.encrypt_room_event_raw(&room_id, event_type, &raw))
            .map_err(machine_error)?;
        set_out(out, result.content.json().get().to_owned());
        Ok(())
    })
}
