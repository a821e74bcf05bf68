/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sidebar"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-room-row.h"
#include "confab-sidebar.h"

/**
 * ConfabSidebar:
 *
 * The room list: a header bar with the add and main menus, the search bar,
 * the invites, and the joined rooms in activity order (or a status page for
 * none). It filters the rooms of a #MatrixRoomStateTracker and tells which
 * one was selected; the window decides what opening it means.
 */
struct _ConfabSidebar
{
  AdwBin                  parent_instance;

  /* template */
  GtkMenuButton          *add_menu_button;
  GtkMenuButton          *primary_menu_button;
  GMenuModel             *add_menu;
  GMenuModel             *primary_menu;
  GtkSearchBar           *search_bar;
  GtkSearchEntry         *search_entry;
  GtkWidget              *invites_box;
  GtkListBox             *invites_list;
  GtkStack               *rooms_stack;
  GtkListView            *rooms_view;

  /* The page of rooms_stack for no rooms, or none found: made when first
   * shown. */
  AdwStatusPage          *rooms_empty_page;
  gboolean                folded;

  MatrixRoomStateTracker *tracker;
  GtkCustomFilter        *joined_filter;
  GtkCustomFilter        *invited_filter;
  GtkToggleButton        *direct_button;
  gboolean                direct_only;
  GtkStringFilter        *search_filter;
  GtkFilterListModel     *joined_rooms;
  /* What the list view shows of joined_rooms: a screenful in the first
   * frame, then more each frame until all (see grow_listed_rooms). */
  GtkSliceListModel      *listed_rooms;
  guint                   grow_tick;
  guint                   grow_frames;
  GtkFilterListModel     *invited_rooms;
  GtkSingleSelection     *selection;
};

G_DEFINE_FINAL_TYPE (ConfabSidebar, confab_sidebar, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_FOLDED,
  N_PROPS
};

enum {
  ROOM_SELECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
confab_sidebar_new (void)
{
  return g_object_new (CONFAB_TYPE_SIDEBAR, NULL);
}

/* With "Direct Chats" on, only the rooms m.direct lists. */
static gboolean
room_is_joined (gpointer item,
                gpointer user_data)
{
  ConfabSidebar *self = user_data;

  return matrix_room_get_membership (MATRIX_ROOM (item)) == MATRIX_MEMBERSHIP_JOIN &&
         (!self->direct_only || matrix_room_get_direct_user_id (MATRIX_ROOM (item)) != NULL);
}

static gboolean
room_is_invited (gpointer item,
                 gpointer user_data)
{
  return matrix_room_get_membership (MATRIX_ROOM (item)) == MATRIX_MEMBERSHIP_INVITE;
}

static void
on_selected_item_changed (ConfabSidebar *self)
{
  MatrixRoom *room = gtk_single_selection_get_selected_item (self->selection);

  /* The list reorders as rooms get activity; losing the selection for a
   * moment must not close the room being read. */
  if (room != NULL)
    g_signal_emit (self, signals[ROOM_SELECTED], 0, room);
}

static void
on_room_activated (ConfabSidebar *self,
                   guint          position)
{
  gtk_single_selection_set_selected (self->selection, position);
  on_selected_item_changed (self);
}

/* GtkListView (4.8) makes a row for up to 200 items whatever it shows, at
 * a millisecond or more each: made all at once, they would hold the first
 * frame of a long list back. It gets a screenful first, and more rows in
 * each following frame. */
#define FIRST_LISTED_ROOMS 40   /* when the window's height is not known */
#define MORE_LISTED_ROOMS_PER_FRAME 40
/* The height of a room row (a 40 px avatar, 6 px above and below it): the
 * least it can be, so that a screenful is never short. */
#define ROOM_ROW_MIN_HEIGHT 52

/* How many rows fill the list in its first frame. The list's own height is
 * known only once it has been shown: the window's, a little more, stands in
 * for it. Rows beyond a screenful would only hold that frame back. */
static guint
rooms_in_first_frame (ConfabSidebar *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  int width, height;

  if (!GTK_IS_WINDOW (root))
    return FIRST_LISTED_ROOMS;

  height = gtk_widget_get_height (GTK_WIDGET (root));
  if (height <= 0)
    {
      /* A maximized window not mapped yet: its size is not known. */
      if (gtk_window_is_maximized (GTK_WINDOW (root)) ||
          gtk_window_is_fullscreen (GTK_WINDOW (root)))
        return FIRST_LISTED_ROOMS;
      gtk_window_get_default_size (GTK_WINDOW (root), &width, &height);
    }
  if (height <= 0)
    return FIRST_LISTED_ROOMS;

  return (guint) height / ROOM_ROW_MIN_HEIGHT + 1;
}

static void
list_all_rooms (ConfabSidebar *self)
{
  if (self->grow_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->rooms_view), self->grow_tick);
  self->grow_tick = 0;
  if (self->listed_rooms != NULL)
    gtk_slice_list_model_set_size (self->listed_rooms, G_MAXUINT);
}

static gboolean
grow_listed_rooms (GtkWidget     *widget,
                   GdkFrameClock *clock,
                   gpointer       user_data)
{
  ConfabSidebar *self = user_data;
  guint size;

  /* The first tick comes before the first frame is painted. */
  if (self->grow_frames++ == 0)
    return G_SOURCE_CONTINUE;

  size = gtk_slice_list_model_get_size (self->listed_rooms) + MORE_LISTED_ROOMS_PER_FRAME;
  if (size < g_list_model_get_n_items (G_LIST_MODEL (self->joined_rooms)))
    {
      gtk_slice_list_model_set_size (self->listed_rooms, size);
      return G_SOURCE_CONTINUE;
    }

  self->grow_tick = 0;
  gtk_slice_list_model_set_size (self->listed_rooms, G_MAXUINT);
  return G_SOURCE_REMOVE;
}

/* GtkListView keeps the row at the top of its view in place when rows come
 * or move above it, so a room that arrives or moves to the top (a sync's
 * rooms, new activity) would push the list down, the newest room hidden
 * above it. A list that was at its top stays there. Connected after the
 * view: the adjustment still holds the value from before the change. */
static void
on_listed_rooms_changed (ConfabSidebar *self,
                         guint          position,
                         guint          removed,
                         guint          added)
{
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->rooms_view));

  if (added == 0 || g_list_model_get_n_items (G_LIST_MODEL (self->selection)) == 0 ||
      gtk_adjustment_get_value (adjustment) > gtk_adjustment_get_lower (adjustment))
    return;

  gtk_widget_activate_action (GTK_WIDGET (self->rooms_view), "list.scroll-to-item", "u", 0);
}

void
confab_sidebar_select_room (ConfabSidebar *self,
                            MatrixRoom    *room)
{
  guint n;

  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  if (self->joined_rooms == NULL)
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->joined_rooms));
  list_all_rooms (self);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MatrixRoom) item = g_list_model_get_item (G_LIST_MODEL (self->joined_rooms), i);

      if (item == room)
        {
          if (gtk_single_selection_get_selected (self->selection) != i)
            gtk_single_selection_set_selected (self->selection, i);
          return;
        }
    }
}

void
confab_sidebar_unselect (ConfabSidebar *self)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  if (self->selection != NULL)
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
}

static AdwStatusPage *
rooms_empty_page (ConfabSidebar *self)
{
  if (self->rooms_empty_page == NULL)
    {
      self->rooms_empty_page = ADW_STATUS_PAGE (adw_status_page_new ());
      adw_status_page_set_icon_name (self->rooms_empty_page, "system-search-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->rooms_empty_page), "compact");
      gtk_stack_add_named (self->rooms_stack, GTK_WIDGET (self->rooms_empty_page), "empty");
    }

  return self->rooms_empty_page;
}

static void
update_rooms_visibility (ConfabSidebar *self)
{
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->joined_rooms)) == 0;
  gboolean invites = g_list_model_get_n_items (G_LIST_MODEL (self->invited_rooms)) > 0;

  gtk_widget_set_visible (self->invites_box, invites);

  /* An invite that matches the search is a result too. */
  if (empty && invites && *search != '\0')
    empty = FALSE;

  if (empty && *search != '\0')
    {
      adw_status_page_set_title (rooms_empty_page (self), _("No Results"));
      adw_status_page_set_description (self->rooms_empty_page, _("No room matches the search"));
    }
  else if (empty)
    {
      adw_status_page_set_title (rooms_empty_page (self), _("No Rooms"));
      adw_status_page_set_description (self->rooms_empty_page,
                                       _("Join a room or create one with the + button"));
    }
  gtk_stack_set_visible_child_name (self->rooms_stack, empty ? "empty" : "list");
}

void
confab_sidebar_refilter (ConfabSidebar *self)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  if (self->tracker == NULL)
    return;

  /* A room's membership can change without the tracker moving it. */
  gtk_filter_changed (GTK_FILTER (self->joined_filter), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_filter_changed (GTK_FILTER (self->invited_filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_rooms_visibility (self);
}

static void
on_direct_toggled (ConfabSidebar *self)
{
  self->direct_only = gtk_toggle_button_get_active (self->direct_button);
  confab_sidebar_refilter (self);
}

void
confab_sidebar_set_direct_only (ConfabSidebar *self,
                                gboolean       direct_only)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));
  gtk_toggle_button_set_active (self->direct_button, direct_only);
}

static void
on_search_changed (ConfabSidebar *self)
{
  if (self->search_filter == NULL)
    return;

  gtk_string_filter_set_search (self->search_filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  update_rooms_visibility (self);
}

static void
on_search_activate (ConfabSidebar *self)
{
  g_autoptr(MatrixRoom) room = NULL;

  if (self->joined_rooms == NULL)
    return;

  room = g_list_model_get_item (G_LIST_MODEL (self->joined_rooms), 0);
  if (room != NULL)
    {
      gtk_single_selection_set_selected (self->selection, 0);
      on_selected_item_changed (self);
      gtk_search_bar_set_search_mode (self->search_bar, FALSE);
    }
}

void
confab_sidebar_clear_search (ConfabSidebar *self)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

void
confab_sidebar_start_search (ConfabSidebar *self)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
setup_room_row (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  gtk_list_item_set_child (item, confab_room_row_new ());
}

static void
bind_room_row (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  confab_room_row_set_room (CONFAB_ROOM_ROW (gtk_list_item_get_child (item)),
                            gtk_list_item_get_item (item));
}

static void
unbind_room_row (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  confab_room_row_set_room (CONFAB_ROOM_ROW (gtk_list_item_get_child (item)), NULL);
}

static GtkWidget *
create_invite_row (gpointer item,
                   gpointer user_data)
{
  GtkWidget *row = confab_room_row_new ();

  confab_room_row_set_room (CONFAB_ROOM_ROW (row), item);
  return row;
}

static void
clear_tracker (ConfabSidebar *self)
{
  gtk_list_view_set_model (self->rooms_view, NULL);
  gtk_list_box_bind_model (self->invites_list, NULL, NULL, NULL, NULL);

  list_all_rooms (self);
  g_clear_object (&self->selection);
  g_clear_object (&self->listed_rooms);
  g_clear_object (&self->joined_rooms);
  g_clear_object (&self->invited_rooms);
  g_clear_object (&self->joined_filter);
  g_clear_object (&self->invited_filter);
  g_clear_object (&self->search_filter);
  g_clear_object (&self->tracker);
}

void
confab_sidebar_set_tracker (ConfabSidebar          *self,
                            MatrixRoomStateTracker *tracker)
{
  GtkListItemFactory *factory;
  GtkEveryFilter *every, *invited_every;
  GtkExpression *expression;

  g_return_if_fail (CONFAB_IS_SIDEBAR (self));
  g_return_if_fail (tracker == NULL || MATRIX_IS_ROOM_STATE_TRACKER (tracker));

  clear_tracker (self);
  if (tracker == NULL)
    return;

  self->tracker = g_object_ref (tracker);
  self->joined_filter = gtk_custom_filter_new (room_is_joined, self, NULL);
  self->invited_filter = gtk_custom_filter_new (room_is_invited, NULL, NULL);
  expression = gtk_property_expression_new (MATRIX_TYPE_ROOM, NULL, "display-name");
  self->search_filter = gtk_string_filter_new (expression);
  gtk_string_filter_set_match_mode (self->search_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->search_filter, TRUE);
  gtk_string_filter_set_search (self->search_filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));

  every = gtk_every_filter_new ();
  gtk_multi_filter_append (GTK_MULTI_FILTER (every), g_object_ref (GTK_FILTER (self->joined_filter)));
  gtk_multi_filter_append (GTK_MULTI_FILTER (every), g_object_ref (GTK_FILTER (self->search_filter)));

  self->joined_rooms = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (tracker)),
                                                  GTK_FILTER (every));
  /* The search filters invites as it filters the rooms. */
  invited_every = gtk_every_filter_new ();
  gtk_multi_filter_append (GTK_MULTI_FILTER (invited_every),
                           g_object_ref (GTK_FILTER (self->invited_filter)));
  gtk_multi_filter_append (GTK_MULTI_FILTER (invited_every),
                           g_object_ref (GTK_FILTER (self->search_filter)));
  self->invited_rooms = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (tracker)),
                                                   GTK_FILTER (invited_every));
  self->listed_rooms = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (self->joined_rooms)),
                                                 0, rooms_in_first_frame (self));
  self->grow_frames = 0;
  self->grow_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->rooms_view), grow_listed_rooms,
                                                  self, NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->listed_rooms)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selected_item_changed), self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_room_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_room_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_room_row), self);
  gtk_list_view_set_factory (self->rooms_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->rooms_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "items-changed", G_CALLBACK (on_listed_rooms_changed),
                           self, G_CONNECT_SWAPPED);

  gtk_list_box_bind_model (self->invites_list, G_LIST_MODEL (self->invited_rooms),
                           create_invite_row, self, NULL);

  update_rooms_visibility (self);
}

GListModel *
confab_sidebar_get_joined_rooms (ConfabSidebar *self)
{
  g_return_val_if_fail (CONFAB_IS_SIDEBAR (self), NULL);

  return G_LIST_MODEL (self->joined_rooms);
}

gboolean
confab_sidebar_get_rooms_listed (ConfabSidebar *self)
{
  g_return_val_if_fail (CONFAB_IS_SIDEBAR (self), FALSE);

  return self->tracker != NULL && self->grow_tick == 0;
}

/* A menu button's popover is made when it is first opened (by a click or,
 * for the primary menu, F10), not with the window. */
static void
create_menu_popup (GtkMenuButton *button,
                   gpointer       user_data)
{
  if (gtk_menu_button_get_popover (button) == NULL)
    gtk_menu_button_set_menu_model (button, G_MENU_MODEL (user_data));
}

static void
set_menu_when_opened (GtkMenuButton *button,
                      GMenuModel    *menu)
{
  gtk_menu_button_set_create_popup_func (button, create_menu_popup, g_object_ref (menu),
                                         g_object_unref);
}

static void
confab_sidebar_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabSidebar *self = CONFAB_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_sidebar_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ConfabSidebar *self = CONFAB_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_sidebar_dispose (GObject *object)
{
  ConfabSidebar *self = CONFAB_SIDEBAR (object);

  clear_tracker (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_SIDEBAR);

  G_OBJECT_CLASS (confab_sidebar_parent_class)->dispose (object);
}

static void
confab_sidebar_class_init (ConfabSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = confab_sidebar_get_property;
  object_class->set_property = confab_sidebar_set_property;
  object_class->dispose = confab_sidebar_dispose;

  /* Folded, the sidebar's header bar shows the window's buttons. */
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ROOM_SELECTED] =
    g_signal_new ("room-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, MATRIX_TYPE_ROOM);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, add_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, add_menu);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, search_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, invites_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, invites_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, rooms_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, rooms_view);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_direct_toggled);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebar, direct_button);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_room_activated);
}

static void
confab_sidebar_init (ConfabSidebar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  set_menu_when_opened (self->add_menu_button, self->add_menu);
  set_menu_when_opened (self->primary_menu_button, self->primary_menu);
}
