// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Cross-signing, device trust and SAS (emoji) verification over the
// OlmMachine, behind one entry point, `mxc_machine_verification`, that takes
// a JSON command `{"op": ..., ...}` and answers JSON. All cryptography (the
// cross-signing keys, the SAS key agreement and MACs) stays in the machine;
// the caller sends the requests an answer lists and marks them sent.

use matrix_sdk_common::deserialized_responses::{EncryptionInfo, VerificationLevel};
use matrix_sdk_common::ruma::{
    api::client::keys::upload_signing_keys, DeviceId, OwnedDeviceId, OwnedTransactionId,
};
use matrix_sdk_crypto::{
    types::requests::{AnyIncomingResponse, AnyOutgoingRequest, OutgoingVerificationRequest},
    Sas, SasState, Verification,
};

use super::*;

#[derive(Deserialize)]
struct Command {
    op: String,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default)]
    flow_id: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    user_ids: Option<Vec<String>>,
}

fn required<'a>(value: &'a Option<String>, name: &str) -> CallResult<&'a str> {
    match value.as_deref() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => fail(MxcStatus::MxcInvalidArgument, format!("{name} is missing")),
    }
}

fn user_arg(command: &Command) -> CallResult<OwnedUserId> {
    UserId::parse(required(&command.user_id, "user_id")?).map_err(invalid("user_id"))
}

fn verification_request_json(request: &OutgoingVerificationRequest) -> Value {
    match request {
        OutgoingVerificationRequest::ToDevice(r) => {
            request_json(&r.txn_id, &AnyOutgoingRequest::ToDeviceRequest(r.clone()))
        }
        OutgoingVerificationRequest::InRoom(r) => {
            request_json(&r.txn_id, &AnyOutgoingRequest::RoomMessage(r.clone()))
        }
    }
}

fn state_name(state: &SasState) -> &'static str {
    match state {
        SasState::Created { .. } => "created",
        SasState::Started { .. } => "started",
        SasState::Accepted { .. } => "accepted",
        SasState::KeysExchanged { .. } => "keys_exchanged",
        SasState::Confirmed => "confirmed",
        SasState::Done { .. } => "done",
        SasState::Cancelled(_) => "cancelled",
    }
}

fn sas_json(sas: &Sas) -> Value {
    let emoji: Value = match sas.emoji() {
        Some(list) => list
            .iter()
            .map(|e| json!({ "symbol": e.symbol, "description": e.description }))
            .collect(),
        None => Value::Null,
    };
    let cancel = sas.cancel_info().map(|c| {
        json!({
            "code": c.cancel_code().as_str(),
            "reason": c.reason(),
            "by_us": c.cancelled_by_us(),
        })
    });
    json!({
        "flow_id": sas.flow_id().as_str(),
        "user_id": sas.other_user_id().as_str(),
        "device_id": sas.other_device_id().as_str(),
        "state": state_name(&sas.state()),
        "we_started": sas.we_started(),
        "accepted": sas.has_been_accepted(),
        "we_confirmed": sas.have_we_confirmed(),
        "supports_emoji": sas.supports_emoji(),
        "emoji": emoji,
        "cancel": cancel,
        "is_self_verification": sas.is_self_verification(),
    })
}

fn find_sas(m: &MxcMachine, command: &Command) -> CallResult<Sas> {
    let user = user_arg(command)?;
    let flow = required(&command.flow_id, "flow_id")?;
    match m.machine.get_verification(&user, flow) {
        Some(Verification::SasV1(sas)) => Ok(*sas),
        Some(_) => fail(MxcStatus::MxcMachineError, "this verification is not an emoji one"),
        None => fail(MxcStatus::MxcMachineError, "no such verification"),
    }
}

/// How far the device that sent a decrypted room event is trusted, for the
/// decrypt answer's `sender_trust`: "verified" (cross-signed by an identity
/// we trust, or verified by this device, e.g. with emoji: the crate's
/// verification state of the event only knows the first), "unverified", or
/// "unknown" (no device of the sender's owns the session's keys).
pub(crate) fn sender_trust(m: &MxcMachine, info: &EncryptionInfo) -> CallResult<&'static str> {
    if matches!(info.verification_state, VerificationState::Verified) {
        return Ok("verified");
    }
    // The crate names the device only once it matched the session's keys
    // to that device's (and the device to the event's sender).
    if let Some(device_id) = &info.sender_device {
        let device = m
            .runtime
            .block_on(m.machine.get_device(&info.sender, device_id, None))
            .map_err(store_error)?;
        if let Some(device) = device {
            return Ok(if device.is_verified() { "verified" } else { "unverified" });
        }
    }
    Ok(match &info.verification_state {
        VerificationState::Unverified(VerificationLevel::None(_)) => "unknown",
        _ => "unverified",
    })
}

fn devices_json(m: &MxcMachine, command: &Command) -> CallResult<Value> {
    let user = user_arg(command)?;
    let devices = m
        .runtime
        .block_on(m.machine.get_user_devices(&user, None))
        .map_err(store_error)?;
    let own = m.machine.device_id();
    let list: Vec<Value> = devices
        .devices()
        .map(|d| {
            json!({
                "device_id": d.device_id().as_str(),
                "display_name": d.display_name(),
                "ed25519": d.ed25519_key().map(|k| k.to_base64()),
                "verified": d.is_verified(),
                "cross_signed": d.is_cross_signed_by_owner(),
                "locally_trusted": d.is_locally_trusted(),
                "blacklisted": d.is_blacklisted(),
                "is_this_device": user == m.machine.user_id() && d.device_id() == own,
            })
        })
        .collect();
    let identity = m
        .runtime
        .block_on(m.machine.get_identity(&user, None))
        .map_err(store_error)?;
    let identity_verified = identity.as_ref().map(|i| i.is_verified());
    Ok(json!({
        "user_id": user.as_str(),
        "devices": list,
        "has_identity": identity.is_some(),
        "identity_verified": identity_verified,
    }))
}

/// Of `user_ids`, the users with a device (other than this one) that is not
/// verified, from the machine's store.
fn unverified_users_json(m: &MxcMachine, command: &Command) -> CallResult<Value> {
    let Some(user_ids) = &command.user_ids else {
        return fail(MxcStatus::MxcInvalidArgument, "user_ids is missing");
    };
    let own = m.machine.device_id();
    let mut users = Vec::new();
    for user_id in user_ids {
        let user = UserId::parse(user_id.as_str()).map_err(invalid("user_ids"))?;
        let devices = m
            .runtime
            .block_on(m.machine.get_user_devices(&user, None))
            .map_err(store_error)?;
        let unverified = devices.devices().any(|d| {
            !(user == m.machine.user_id() && d.device_id() == own) && !d.is_verified()
        });
        if unverified {
            users.push(Value::from(user.as_str()));
        }
    }
    Ok(json!({ "users": users }))
}

fn status_json(m: &MxcMachine) -> CallResult<Value> {
    let status = m.runtime.block_on(m.machine.cross_signing_status());
    // Whether the server took the keys (mark_signing_keys_uploaded).
    let shared = m
        .runtime
        .block_on(async { m.machine.store().load_identity().await })
        .map_err(store_error)?
        .is_some_and(|i| i.shared());
    let own = m
        .runtime
        .block_on(m.machine.get_device(m.machine.user_id(), m.machine.device_id(), None))
        .map_err(store_error)?;
    let cross_signed = own.as_ref().is_some_and(|d| d.is_cross_signed_by_owner());
    // Cross-signed by a trusted identity as the server published it, or
    // this session holds the account's private cross-signing keys (it made
    // them, and signed itself, in its bootstrap).
    let verified = own.as_ref().is_some_and(|d| d.is_cross_signing_trusted())
        || (status.has_master && status.has_self_signing && status.has_user_signing && shared);
    Ok(json!({
        "has_master": status.has_master,
        "has_self_signing": status.has_self_signing,
        "has_user_signing": status.has_user_signing,
        "cross_signed": cross_signed,
        "verified": verified,
        "shared": shared,
    }))
}

fn bootstrap_json(m: &MxcMachine) -> CallResult<Value> {
    let requests =
        m.runtime.block_on(m.machine.bootstrap_cross_signing(false)).map_err(store_error)?;
    let mut list = Vec::new();
    if let Some(upload) = &requests.upload_keys_req {
        list.push(request_json(upload.request_id(), upload.request()));
    }
    let keys = &requests.upload_signing_keys_req;
    let mut body = serde_json::Map::new();
    for (name, key) in [
        ("master_key", &keys.master_key),
        ("self_signing_key", &keys.self_signing_key),
        ("user_signing_key", &keys.user_signing_key),
    ] {
        if let Some(key) = key {
            body.insert(name.into(), serde_json::to_value(key).map_err(machine_error)?);
        }
    }
    let signing_id = TransactionId::new();
    list.push(json!({
        "id": signing_id.as_str(), "type": "signing_keys_upload", "body": Value::Object(body),
    }));
    let signatures_id = TransactionId::new();
    list.push(json!({
        "id": signatures_id.as_str(), "type": "signature_upload",
        "body": serde_json::to_value(&requests.upload_signatures_req.signed_keys)
            .map_err(machine_error)?,
    }));
    Ok(json!({ "requests": list }))
}

fn run(m: &MxcMachine, command: &Command) -> CallResult<Value> {
    match command.op.as_str() {
        "status" => status_json(m),
        "bootstrap_cross_signing" => bootstrap_json(m),
        "mark_signing_keys_uploaded" => {
            let id: OwnedTransactionId = required(&command.request_id, "request_id")?.into();
            let response = upload_signing_keys::v3::Response::new();
            m.runtime
                .block_on(m.machine.mark_request_as_sent(&id, AnyIncomingResponse::SigningKeysUpload(&response)))
                .map_err(machine_error)?;
            Ok(json!({}))
        }
        "devices" => devices_json(m, command),
        "unverified_users" => unverified_users_json(m, command),
        "start_sas" => {
            let user = user_arg(command)?;
            let device_id: OwnedDeviceId = required(&command.device_id, "device_id")?.into();
            let device = m
                .runtime
                .block_on(m.machine.get_device(&user, <&DeviceId>::from(&*device_id), None))
                .map_err(store_error)?;
            let Some(device) = device else {
                return fail(MxcStatus::MxcMachineError, "unknown device");
            };
            if user == m.machine.user_id() && device.device_id() == m.machine.device_id() {
                return fail(MxcStatus::MxcInvalidArgument, "cannot verify this device with itself");
            }
            let (sas, request) =
                m.runtime.block_on(device.start_verification()).map_err(store_error)?;
            let request = request_json(&request.txn_id, &AnyOutgoingRequest::ToDeviceRequest(request.clone()));
            Ok(json!({ "sas": sas_json(&sas), "requests": [request] }))
        }
        "sas" => Ok(json!({ "sas": sas_json(&find_sas(m, command)?) })),
        "accept_sas" => {
            let sas = find_sas(m, command)?;
            let requests: Vec<Value> = sas.accept().iter().map(verification_request_json).collect();
            Ok(json!({ "sas": sas_json(&sas), "requests": requests }))
        }
        "confirm_sas" => {
            let sas = find_sas(m, command)?;
            let (outgoing, signatures) =
                m.runtime.block_on(sas.confirm()).map_err(store_error)?;
            let mut requests: Vec<Value> = outgoing.iter().map(verification_request_json).collect();
            if let Some(signatures) = signatures {
                requests.push(json!({
                    "id": TransactionId::new().as_str(), "type": "signature_upload",
                    "body": serde_json::to_value(&signatures.signed_keys).map_err(machine_error)?,
                }));
            }
            Ok(json!({ "sas": sas_json(&sas), "requests": requests }))
        }
        "cancel_sas" => {
            let sas = find_sas(m, command)?;
            let requests: Vec<Value> = sas.cancel().iter().map(verification_request_json).collect();
            Ok(json!({ "sas": sas_json(&sas), "requests": requests }))
        }
        other => fail(MxcStatus::MxcInvalidArgument, format!("unknown op {other}")),
    }
}

/// Verification and cross-signing: runs the command `command`, a JSON object
/// `{"op": ...}`, and puts its JSON answer in `*out`. The ops:
/// - `status`: `{"has_master", "has_self_signing", "has_user_signing",
///   "cross_signed", "verified"}` of this device.
/// - `bootstrap_cross_signing`: creates the cross-signing keys (once) and
///   answers `{"requests": [...]}` to send in order: a `keys_upload` (maybe),
///   a `signing_keys_upload` (POST keys/device_signing/upload, needs
///   user-interactive auth; then `mark_signing_keys_uploaded` with its
///   `request_id`) and a `signature_upload`.
/// - `devices` (`user_id`): `{"user_id", "devices": [{"device_id",
///   "display_name", "ed25519", "verified", "cross_signed",
///   "locally_trusted", "blacklisted", "is_this_device"}], "has_identity",
///   "identity_verified"}` from the machine's store.
/// - `unverified_users` (`user_ids`: [user id]): `{"users": [user id]}`, those
///   of `user_ids` with a device (other than this one) that is not verified.
/// - `start_sas` (`user_id`, `device_id`): starts an emoji verification
///   with that device (to-device `m.key.verification.start`).
/// - `sas`, `accept_sas`, `confirm_sas`, `cancel_sas` (`user_id`, `flow_id`):
///   the verification's state, and for the last three the requests to send.
/// Every answer with a verification holds `"sas": {"flow_id", "user_id",
/// "device_id", "state", "we_started", "accepted", "we_confirmed",
/// "supports_emoji", "emoji": [{"symbol", "description"}] or null, "cancel":
/// {"code", "reason", "by_us"} or null, "is_self_verification"}`.
#[no_mangle]
pub unsafe extern "C" fn mxc_machine_verification(
    m: *mut MxcMachine,
    command: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    clear_out(out);
    guard(error, || {
        let m = machine_ref(m)?;
        let command: Command = object_arg(command, "command")?;
        let answer = run(m, &command)?;
        set_out(out, answer.to_string());
        Ok(())
    })
}
