// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Encrypted attachments (`EncryptedFile`, the `file` and `thumbnail_file` of
// a media message in an encrypted room): AES-256-CTR with a SHA-256 of the
// ciphertext, done by matrix-sdk-crypto's AttachmentEncryptor and
// AttachmentDecryptor. These functions need no machine: they are pure
// functions of their files and may run on any thread, one call per file.
//
// Both stream from file to file in chunks, so a large video never sits in
// memory. The decryptor only learns the hash is wrong at the end of the
// stream: the plaintext goes to `out_path`, which is deleted again when the
// hash does not match, and the caller commits it (renames it into place)
// only on success.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::raw::c_char;
use std::os::unix::fs::OpenOptionsExt;

use matrix_sdk_common::ruma::events::room::EncryptedFile;
use matrix_sdk_crypto::{AttachmentDecryptor, AttachmentEncryptor, MediaEncryptionInfo};
use serde_json::Value;

use crate::{arg_json, arg_str, fail, guard, set_out, CallResult, Failure, MxcStatus};

const CHUNK: usize = 64 * 1024;

fn io_failure(what: &str) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure { status: MxcStatus::MxcStoreError, message: format!("{what}: {e}") }
}

fn bad_info<T>(message: &str) -> CallResult<T> {
    fail(MxcStatus::MxcInvalidArgument, format!("encrypted file: {message}"))
}

/// Checks what the spec requires of an `EncryptedFile` beyond its shape:
/// version 2, a JSON Web Key for AES-256-CTR that may decrypt, and a SHA-256.
fn validate(file: &Value) -> CallResult<()> {
    let Some(object) = file.as_object() else {
        return bad_info("not an object");
    };
    if object.get("v").and_then(Value::as_str) != Some("v2") {
        return bad_info("not version v2");
    }
    let Some(key) = object.get("key").and_then(Value::as_object) else {
        return bad_info("no key");
    };
    if key.get("kty").and_then(Value::as_str) != Some("oct") {
        return bad_info("the key is not of type oct");
    }
    if key.get("alg").and_then(Value::as_str) != Some("A256CTR") {
        return bad_info("the key is not for A256CTR");
    }
    let may_decrypt = key
        .get("key_ops")
        .and_then(Value::as_array)
        .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("decrypt")));
    if !may_decrypt {
        return bad_info("the key may not decrypt");
    }
    if !object.get("hashes").and_then(|h| h.get("sha256")).is_some_and(Value::is_string) {
        return bad_info("no sha256 hash");
    }
    if !object.get("url").is_some_and(Value::is_string) {
        return bad_info("no url");
    }
    Ok(())
}

fn new_private_file(path: &str) -> CallResult<File> {
    // Plaintext of an encrypted room: only this user may read it.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_failure("out_path"))
}

fn pump<R: Read, W: Write>(reader: &mut R, writer: &mut W) -> std::io::Result<u64> {
    let mut buffer = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            writer.flush()?;
            return Ok(total);
        }
        writer.write_all(&buffer[..n])?;
        total += n as u64;
    }
}

fn decrypt_file(file: &Value, in_path: &str, out_path: &str) -> CallResult<()> {
    validate(file)?;
    let parsed: EncryptedFile =
        serde_json::from_value(file.clone()).map_err(|e| Failure {
            status: MxcStatus::MxcInvalidArgument,
            message: format!("encrypted file: {e}"),
        })?;
    let info = MediaEncryptionInfo::from(parsed);
    let mut input = BufReader::new(File::open(in_path).map_err(io_failure("in_path"))?);
    let mut decryptor = AttachmentDecryptor::new(&mut input, info).map_err(|e| Failure {
        status: MxcStatus::MxcInvalidArgument,
        message: format!("encrypted file: {e}"),
    })?;
    let output = new_private_file(out_path)?;
    let mut writer = BufWriter::new(output);
    match pump(&mut decryptor, &mut writer) {
        Ok(_) => {
            writer.into_inner().map_err(|e| io_failure("out_path")(e.into_error()))?.sync_all().ok();
            Ok(())
        }
        Err(e) => {
            drop(writer);
            let _ = fs::remove_file(out_path);
            // The decryptor reports a wrong hash as an "other" I/O error.
            if e.kind() == std::io::ErrorKind::Other && e.to_string().contains("Hash mismatch") {
                fail(MxcStatus::MxcUndecryptable, "the file does not match its hash")
            } else {
                Err(io_failure("in_path")(e))
            }
        }
    }
}

fn encrypt_file(in_path: &str, out_path: &str) -> CallResult<String> {
    let mut input = BufReader::new(File::open(in_path).map_err(io_failure("in_path"))?);
    let output = new_private_file(out_path)?;
    let mut writer = BufWriter::new(output);
    let mut encryptor = AttachmentEncryptor::new(&mut input);
    if let Err(e) = pump(&mut encryptor, &mut writer) {
        drop(writer);
        let _ = fs::remove_file(out_path);
        return Err(io_failure("encrypting")(e));
    }
    let info = encryptor.finish();
    if let Err(e) = writer.into_inner().map_err(|e| e.into_error()).and_then(|f| f.sync_all()) {
        let _ = fs::remove_file(out_path);
        return Err(io_failure("out_path")(e));
    }
    let mut value = serde_json::to_value(&info).map_err(|e| Failure {
        status: MxcStatus::MxcMachineError,
        message: e.to_string(),
    })?;
    // The crate writes the JWK without the members the spec asks for
    // (key_ops, ext) on some versions: state them.
    if let Some(key) = value.get_mut("key").and_then(Value::as_object_mut) {
        key.insert("key_ops".into(), serde_json::json!(["encrypt", "decrypt"]));
        key.insert("ext".into(), Value::Bool(true));
        key.insert("kty".into(), Value::String("oct".into()));
        key.insert("alg".into(), Value::String("A256CTR".into()));
    }
    Ok(value.to_string())
}

/// Decrypts the attachment in the file `in_path` (the ciphertext as the
/// server keeps it) into a new file `out_path` (mode 0600; it must not
/// exist), as described by `encrypted_file_json`: an `EncryptedFile` object
/// (`url`, `key`, `iv`, `hashes`, `v`). The description is validated first
/// (`MXC_INVALID_ARGUMENT`). A ciphertext that does not match its SHA-256
/// fails with `MXC_UNDECRYPTABLE` and leaves no `out_path`. Needs no machine;
/// safe on any thread.
#[no_mangle]
pub unsafe extern "C" fn mxc_attachment_decrypt_file(
    encrypted_file_json: *const c_char,
    in_path: *const c_char,
    out_path: *const c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    guard(error, || {
        let file = arg_json(encrypted_file_json, "encrypted_file_json")?;
        let in_path = arg_str(in_path, "in_path")?;
        let out_path = arg_str(out_path, "out_path")?;
        decrypt_file(&file, in_path, out_path)
    })
}

/// Encrypts the file `in_path` into a new file `out_path` (mode 0600; it
/// must not exist) with a fresh random key. On success `*out` holds the JSON
/// of the `EncryptedFile` without its `url` (`v`, `key`, `iv`, `hashes`), to
/// free with `mxc_string_free`. Needs no machine; safe on any thread.
#[no_mangle]
pub unsafe extern "C" fn mxc_attachment_encrypt_file(
    in_path: *const c_char,
    out_path: *const c_char,
    out: *mut *mut c_char,
    error: *mut *mut c_char,
) -> MxcStatus {
    crate::clear_out(out);
    guard(error, || {
        if out.is_null() {
            return fail(MxcStatus::MxcInvalidArgument, "out is NULL");
        }
        let in_path = arg_str(in_path, "in_path")?;
        let out_path = arg_str(out_path, "out_path")?;
        let json = encrypt_file(in_path, out_path)?;
        set_out(out, json);
        Ok(())
    })
}
