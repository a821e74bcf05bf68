/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Shared by confab-window.c and confab-window-actions.c only. */

#include "confab-account.h"
#include "confab-composer.h"
#include "confab-login-page.h"
#include "confab-notifier.h"
#include "confab-sidebar.h"
#include "confab-timeline-view.h"
#include "confab-tombstone-bar.h"
#include "confab-trust-shield.h"
#include "confab-verify-banner.h"
#include "confab-window.h"

G_BEGIN_DECLS

/**
 * ConfabWindow:
 *
 * The main window: the login page, or the rooms (the #ConfabSidebar)
 * beside the selected room's timeline and composer, in an #AdwLeaflet that
 * folds to one pane on narrow windows. It shows what its #ConfabAccount
 * holds (the session's client and room tracker), the sync loop's state in a
 * banner, and sends desktop notifications through its #ConfabNotifier.
 */
struct _ConfabWindow
{
  AdwApplicationWindow    parent_instance;

  /* template */
  AdwToastOverlay        *toast_overlay;
  GtkStack               *main_stack;
  GtkRevealer            *banner;
  GtkLabel               *banner_label;
  ConfabVerifyBanner     *verify_banner;
  AdwLeaflet             *leaflet;
  ConfabSidebar          *sidebar;
  GtkWidget              *leaflet_separator;
  GtkWidget              *content;
  GtkWidget              *back_button;
  AdwWindowTitle         *room_title;
  ConfabRoomShield       *room_shield;
  GtkMenuButton          *room_menu_button;
  GMenuModel             *room_menu;
  GtkStack               *content_stack;

  /* The open room's page, made when a room is first opened. */
  ConfabTimelineView     *timeline_view;
  ConfabComposer         *composer;
  /* In the composer's place when the room was replaced. */
  ConfabTombstoneBar     *tombstone_bar;
  /* Made when first needed (login_page()): a start from a saved session
   * never shows it. */
  ConfabLoginPage        *login_page;
  /* Whether a page of main_stack was chosen; a window shown before that
   * shows the login page. */
  gboolean                page_chosen;

  GSettings              *settings;
  GCancellable           *cancellable;

  ConfabAccount          *account;
  /* The account's, while signed in: what the window is bound to. */
  MatrixClient           *client;
  MatrixRoomStateTracker *tracker;

  MatrixRoom             *room;
  GBinding               *title_binding;
  GBinding               *subtitle_binding;
  char                   *pending_room_id;
  /* A link given before the account was signed in (the command line,
   * the desktop's matrix: handler): opened once it is. */
  char                   *pending_link;

  guint                   retry_seconds;
  MatrixSyncFailure       sync_failure;
  guint                   countdown_source;
  guint                   mark_read_source;

  ConfabNotifier         *notifier;
};

/* Opens @room (NULL: none) in the content pane. */
void _confab_window_show_room             (ConfabWindow    *self,
                                           MatrixRoom      *room);
/* A toast: "@what: the error's message". */
void _confab_window_show_error            (ConfabWindow    *self,
                                           const char      *what,
                                           const GError    *error);
/* Installs the win.* actions (confab-window-actions.c). */
void _confab_window_class_install_actions (GtkWidgetClass  *widget_class);

G_END_DECLS
