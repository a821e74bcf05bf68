/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message-body"

#include <glib/gi18n.h>

#include "confab-message-body.h"
#include "confab-wrap-bin.h"

#include "matrix.h"

/**
 * ConfabMessageBody:
 *
 * A message's text in a wrapping label, folded when it is long: beyond
 * %CONFAB_MESSAGE_BODY_MAX_CHARS characters or %CONFAB_MESSAGE_BODY_MAX_LINES
 * lines it shows its start (%CONFAB_MESSAGE_BODY_START_CHARS characters or
 * %CONFAB_MESSAGE_BODY_START_LINES lines, as plain text with its bare links
 * kept) and a "Show more" button that shows it whole, and "Show less" again.
 *
 * Anyone in a room decides how long a message is, and a long one costs its
 * layout on every row that shows it: folded, a row costs the same whatever
 * the message holds. Unfolded, the label sits in a #ConfabWrapBin, so the
 * whole text is laid out once per width, not once per frame.
 */
struct _ConfabMessageBody
{
  GtkWidget  parent_instance;

  GtkWidget *wrap_bin;
  GtkLabel  *label;
  GtkWidget *more_button;

  MatrixTimelineItem *item;
  char      *emote_sender;    /* the name an emote starts with, or NULL */
  char      *markup;          /* the whole text, once it is shown */
  char      *preview_markup;  /* its start, or NULL if it is short */
  gboolean   expanded;
};

G_DEFINE_FINAL_TYPE (ConfabMessageBody, confab_message_body, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
confab_message_body_new (void)
{
  return g_object_new (CONFAB_TYPE_MESSAGE_BODY, NULL);
}

GtkLabel *
confab_message_body_get_label (ConfabMessageBody *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_BODY (self), NULL);

  return self->label;
}

/* A link to a room, an event or a user (matrix: or matrix.to) opens in
 * Confab (win.open-link); any other goes to the default handler. */
static gboolean
on_activate_link (GtkLabel          *label,
                  const char        *uri,
                  ConfabMessageBody *self)
{
  g_autoptr(MatrixLink) link = matrix_link_parse (uri, NULL);

  if (link == NULL)
    return FALSE;
  return gtk_widget_activate_action (GTK_WIDGET (self), "win.open-link", "s", uri);
}

void
confab_message_body_set_label (ConfabMessageBody *self,
                               GtkLabel          *label)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_BODY (self));
  g_return_if_fail (label == NULL || GTK_IS_LABEL (label));

  if (self->label == label)
    return;

  if (self->label != NULL)
    g_signal_handlers_disconnect_by_func (self->label, on_activate_link, self);
  self->label = label;
  if (label != NULL)
    g_signal_connect (label, "activate-link", G_CALLBACK (on_activate_link), self);
  confab_wrap_bin_set_child (CONFAB_WRAP_BIN (self->wrap_bin), GTK_WIDGET (label));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

/* "* Alice waves": the name and the action each keep their direction. */
static char *
emote_markup (const char *sender,
              const char *markup)
{
  g_autofree char *escaped_sender = g_markup_escape_text (sender, -1);
  g_autofree char *isolated_sender = matrix_text_isolate (escaped_sender);
  g_autofree char *isolated_markup = matrix_text_isolate (markup);

  return g_strdup_printf ("* %s %s", isolated_sender, isolated_markup);
}

/* The whole message's markup: only made when it is shown, since a long
 * message is most often not. */
static const char *
ensure_markup (ConfabMessageBody *self)
{
  g_autofree char *markup = NULL;

  if (self->markup != NULL)
    return self->markup;
  if (self->item != NULL)
    markup = matrix_timeline_item_dup_body_markup (self->item);
  if (markup == NULL)
    markup = g_strdup ("");
  self->markup = self->emote_sender != NULL ? emote_markup (self->emote_sender, markup)
                                            : g_steal_pointer (&markup);
  return self->markup;
}

static void
show (ConfabMessageBody *self)
{
  gboolean folded = self->preview_markup != NULL && !self->expanded;

  if (self->label != NULL)
    {
      gtk_label_set_markup (self->label, folded ? self->preview_markup : ensure_markup (self));
    }
  gtk_widget_set_visible (self->more_button, self->preview_markup != NULL);
  gtk_button_set_label (GTK_BUTTON (self->more_button),
                        folded ? _("Show more") : _("Show less"));
}

/**
 * confab_message_body_set_message:
 * @self: a #ConfabMessageBody
 * @item: (nullable): a message
 * @emote_sender: (nullable): for an emote, the name of its sender, which
 *   it starts with
 *
 * Shows @item's text (its newest edit), folded if it is long.
 */
void
confab_message_body_set_message (ConfabMessageBody  *self,
                                 MatrixTimelineItem *item,
                                 const char         *emote_sender)
{
  const char *body;

  g_return_if_fail (CONFAB_IS_MESSAGE_BODY (self));
  g_return_if_fail (item == NULL || MATRIX_IS_TIMELINE_ITEM (item));

  g_set_object (&self->item, item);
  g_free (self->emote_sender);
  self->emote_sender = g_strdup (emote_sender);
  g_clear_pointer (&self->markup, g_free);
  g_clear_pointer (&self->preview_markup, g_free);
  self->expanded = FALSE;

  body = item != NULL ? matrix_timeline_item_get_body (item) : NULL;
  if (body != NULL &&
      matrix_text_is_long (body, CONFAB_MESSAGE_BODY_MAX_CHARS, CONFAB_MESSAGE_BODY_MAX_LINES))
    {
      g_autofree char *start = matrix_text_preview (body, CONFAB_MESSAGE_BODY_START_CHARS,
                                                    CONFAB_MESSAGE_BODY_START_LINES);
      g_autofree char *start_markup = matrix_text_to_pango_markup (start, -1);
      g_autofree char *bound = matrix_text_bound (start_markup, -1);
      g_autofree char *bounded = matrix_text_break_runs (bound, TRUE);

      self->preview_markup = emote_sender != NULL ? emote_markup (emote_sender, bounded)
                                                  : g_steal_pointer (&bounded);
    }

  show (self);
}

/* Whether the message shows only its start. */
gboolean
confab_message_body_get_collapsed (ConfabMessageBody *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_BODY (self), FALSE);

  return self->preview_markup != NULL && !self->expanded;
}

void
confab_message_body_set_expanded (ConfabMessageBody *self,
                                  gboolean           expanded)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_BODY (self));

  if (self->expanded == expanded || self->preview_markup == NULL)
    return;
  self->expanded = expanded;
  show (self);
}

static void
on_more_clicked (ConfabMessageBody *self)
{
  confab_message_body_set_expanded (self, !self->expanded);
}

/* As the wrap bin does, a width never depends on a height: a box would
 * search for the narrowest width that fits a height, laying the text out
 * at each width it tries. */
static void
confab_message_body_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  ConfabMessageBody *self = CONFAB_MESSAGE_BODY (widget);
  GtkWidget *children[] = { self->wrap_bin, self->more_button };

  *minimum = *natural = 0;
  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    {
      int child_min, child_nat;

      if (!gtk_widget_get_visible (children[i]))
        continue;
      gtk_widget_measure (children[i], orientation,
                          orientation == GTK_ORIENTATION_HORIZONTAL ? -1 : for_size,
                          &child_min, &child_nat, NULL, NULL);
      if (orientation == GTK_ORIENTATION_HORIZONTAL)
        {
          *minimum = MAX (*minimum, child_min);
          *natural = MAX (*natural, child_nat);
        }
      else
        {
          *minimum += child_min;
          *natural += child_nat;
        }
    }
}

static void
confab_message_body_size_allocate (GtkWidget *widget,
                                   int        width,
                                   int        height,
                                   int        baseline)
{
  ConfabMessageBody *self = CONFAB_MESSAGE_BODY (widget);
  int button_height = 0, button_width = 0;

  if (gtk_widget_get_visible (self->more_button))
    {
      int unused;

      gtk_widget_measure (self->more_button, GTK_ORIENTATION_VERTICAL, -1,
                          &button_height, &unused, NULL, NULL);
      gtk_widget_measure (self->more_button, GTK_ORIENTATION_HORIZONTAL, -1,
                          &unused, &button_width, NULL, NULL);
      button_width = MIN (button_width, width);
      gtk_widget_allocate (self->more_button, button_width, button_height, -1,
                           gsk_transform_translate (NULL,
                                                    &GRAPHENE_POINT_INIT (0, MAX (0, height - button_height))));
    }
  gtk_widget_allocate (self->wrap_bin, width, MAX (0, height - button_height), -1, NULL);
}

static GtkSizeRequestMode
confab_message_body_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
confab_message_body_dispose (GObject *object)
{
  ConfabMessageBody *self = CONFAB_MESSAGE_BODY (object);

  g_clear_pointer (&self->wrap_bin, gtk_widget_unparent);
  g_clear_pointer (&self->more_button, gtk_widget_unparent);
  self->label = NULL;

  G_OBJECT_CLASS (confab_message_body_parent_class)->dispose (object);
}

static void
confab_message_body_finalize (GObject *object)
{
  ConfabMessageBody *self = CONFAB_MESSAGE_BODY (object);

  g_clear_object (&self->item);
  g_free (self->emote_sender);
  g_free (self->markup);
  g_free (self->preview_markup);

  G_OBJECT_CLASS (confab_message_body_parent_class)->finalize (object);
}

static void
confab_message_body_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabMessageBody *self = CONFAB_MESSAGE_BODY (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      g_value_set_object (value, self->label);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_body_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabMessageBody *self = CONFAB_MESSAGE_BODY (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      confab_message_body_set_label (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_body_class_init (ConfabMessageBodyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_message_body_dispose;
  object_class->finalize = confab_message_body_finalize;
  object_class->get_property = confab_message_body_get_property;
  object_class->set_property = confab_message_body_set_property;

  properties[PROP_LABEL] =
    g_param_spec_object ("label", NULL, NULL, GTK_TYPE_LABEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  widget_class->measure = confab_message_body_measure;
  widget_class->size_allocate = confab_message_body_size_allocate;
  widget_class->get_request_mode = confab_message_body_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "confab-message-body");
}

static void
confab_message_body_init (ConfabMessageBody *self)
{
  self->wrap_bin = confab_wrap_bin_new ();
  gtk_widget_set_hexpand (self->wrap_bin, TRUE);
  gtk_widget_set_parent (self->wrap_bin, GTK_WIDGET (self));

  self->more_button = gtk_button_new_with_label (_("Show more"));
  gtk_widget_set_halign (self->more_button, GTK_ALIGN_START);
  gtk_widget_set_visible (self->more_button, FALSE);
  gtk_widget_add_css_class (self->more_button, "flat");
  gtk_widget_add_css_class (self->more_button, "confab-show-more");
  g_signal_connect_swapped (self->more_button, "clicked", G_CALLBACK (on_more_clicked), self);
  gtk_widget_set_parent (self->more_button, GTK_WIDGET (self));
}
