/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-account.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_VERIFY_BANNER (confab_verify_banner_get_type ())
G_DECLARE_FINAL_TYPE (ConfabVerifyBanner, confab_verify_banner, CONFAB, VERIFY_BANNER, GtkWidget)

/* Follows @account: its session's verification, and requests to verify. */
void        confab_verify_banner_set_account (ConfabVerifyBanner *self,
                                              ConfabAccount      *account);
/* Asks again whether this session is verified. */
void        confab_verify_banner_refresh     (ConfabVerifyBanner *self);
/* What it shows: "hidden", "unverified" or "request". */
const char *confab_verify_banner_get_mode    (ConfabVerifyBanner *self);

G_END_DECLS
