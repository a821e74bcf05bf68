/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <matrix.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_VERIFICATION_DIALOG (confab_verification_dialog_get_type ())
G_DECLARE_FINAL_TYPE (ConfabVerificationDialog, confab_verification_dialog,
                      CONFAB, VERIFICATION_DIALOG, AdwWindow)

ConfabVerificationDialog *confab_verification_dialog_new        (GtkWindow          *parent,
                                                                 MatrixClient       *client);
/* Lists the user's other sessions to verify this one with. */
void        confab_verification_dialog_list_sessions            (ConfabVerificationDialog *self);
/* Starts an emoji verification with @device_id of @user_id straight away. */
void        confab_verification_dialog_start                    (ConfabVerificationDialog *self,
                                                                 const char         *user_id,
                                                                 const char         *device_id);
/* Follows @verification, which the other side started, and accepts it. */
void        confab_verification_dialog_accept                   (ConfabVerificationDialog *self,
                                                                 MatrixVerification *verification);
/* The page shown: "choose", "waiting", "emoji", "confirmed", "done",
 * "cancelled" or "error". */
const char *confab_verification_dialog_get_page                 (ConfabVerificationDialog *self);
/* Shows the emoji to compare (@emoji and @descriptions: 7 each). */
void        confab_verification_dialog_show_emoji               (ConfabVerificationDialog *self,
                                                                 const char * const *emoji,
                                                                 const char * const *descriptions);

G_END_DECLS
