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
 * lines it shows its start (as plain text, its bare links kept) and a
 * "Show more" button that shows it whole, and "Show less" again.
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

  char      *markup;          /* the whole text */
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

void
confab_message_body_set_label (ConfabMessageBody *self,
                               GtkLabel          *label)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_BODY (self));
  g_return_if_fail (label == NULL || GTK_IS_LABEL (label));

  if (self->label == label)
    return;

  self->label = label;
  confab_wrap_bin_set_child (CONFAB_WRAP_BIN (self->wrap_bin), GTK_WIDGET (label));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

static void
show (ConfabMessageBody *self)
{
  gboolean folded = self->preview_markup != NULL && !self->expanded;

  if (self->label != NULL)
    gtk_label_set_markup (self->label, folded ? self->preview_markup : self->markup);
  gtk_widget_set_visible (self->more_button, self->preview_markup != NULL);
  gtk_button_set_label (GTK_BUTTON (self->more_button),
                        folded ? _("Show more") : _("Show less"));
}

/**
 * confab_message_body_set_text:
 * @self: a #ConfabMessageBody
 * @markup: the message as label markup
 * @plain: the same as plain text, of which a long message shows the start
 *
 * Shows a message, folded if it is long.
 */
void
confab_message_body_set_text (ConfabMessageBody *self,
                              const char        *markup,
                              const char        *plain)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_BODY (self));
  g_return_if_fail (markup != NULL);
  g_return_if_fail (plain != NULL);

  g_free (self->markup);
  self->markup = g_strdup (markup);
  g_clear_pointer (&self->preview_markup, g_free);
  self->expanded = FALSE;

  if (matrix_text_is_long (plain, CONFAB_MESSAGE_BODY_MAX_CHARS, CONFAB_MESSAGE_BODY_MAX_LINES))
    {
      g_autofree char *start = matrix_text_preview (plain, CONFAB_MESSAGE_BODY_MAX_CHARS,
                                                    CONFAB_MESSAGE_BODY_MAX_LINES);
      g_autofree char *start_markup = matrix_text_to_pango_markup (start, -1);

      self->preview_markup = matrix_text_bound (start_markup, -1);
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

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-message-body");
}

static void
confab_message_body_init (ConfabMessageBody *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

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
