/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-wrap-bin"

#include "config.h"

#include "confab-wrap-bin.h"

/**
 * ConfabWrapBin:
 *
 * Holds one child whose height depends on its width, typically a wrapping
 * #GtkLabel, and asks it for its height only at the width it was given.
 *
 * A #GtkListView asks its rows for their height without a width (through
 * #GtkScrolledWindow, which does not use the answer) and at the widths
 * their containers try while sharing space out. Each is a new layout of the
 * whole text for a wrapping label, shaped again line by line, and a
 * timeline asks again for every row it rebinds. Here a height without a
 * width is the height at the width the child already has, and a width
 * never depends on a height.
 *
 * What the child measures is kept per width until the child changes (any
 * of its properties, its text or its style classes) or the system font
 * does: GTK's own cache of sizes is dropped whenever anything beside the
 * child in the row asks to be measured again, and a row of a long message
 * would then be laid out again for nothing, frame after frame.
 */

/* Enough for the widths a list tries while it settles, and the width without one. */
#define N_CACHED 4

typedef struct {
  int for_size;      /* -1 for the width; else the width a height is for */
  int minimum;
  int natural;
} CachedSize;

struct _ConfabWrapBin
{
  GtkWidget   parent_instance;

  GtkWidget  *child;
  gulong      notify_handler;
  /* The width a height was given for before it had one, or 0 */
  int         guessed_width;

  CachedSize  cached[N_CACHED];
  guint       n_cached;
  guint       next_evicted;
  guint       n_measured;
};

G_DEFINE_FINAL_TYPE (ConfabWrapBin, confab_wrap_bin, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CHILD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
confab_wrap_bin_new (void)
{
  return g_object_new (CONFAB_TYPE_WRAP_BIN, NULL);
}

GtkWidget *
confab_wrap_bin_get_child (ConfabWrapBin *self)
{
  g_return_val_if_fail (CONFAB_IS_WRAP_BIN (self), NULL);

  return self->child;
}

void
confab_wrap_bin_set_child (ConfabWrapBin *self,
                           GtkWidget     *child)
{
  g_return_if_fail (CONFAB_IS_WRAP_BIN (self));
  g_return_if_fail (child == NULL || GTK_IS_WIDGET (child));

  if (self->child == child)
    return;

  if (self->child != NULL)
    g_clear_signal_handler (&self->notify_handler, self->child);
  g_clear_pointer (&self->child, gtk_widget_unparent);
  if (child != NULL)
    {
      self->child = child;
      gtk_widget_set_parent (child, GTK_WIDGET (self));
      self->notify_handler = g_signal_connect_swapped (child, "notify",
                                                       G_CALLBACK (confab_wrap_bin_invalidate),
                                                       self);
    }
  confab_wrap_bin_invalidate (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);
}

/**
 * confab_wrap_bin_invalidate:
 * @self: a #ConfabWrapBin
 *
 * Forgets the sizes measured so far and queues a resize: for a change of
 * the child that is not one of its properties.
 */
void
confab_wrap_bin_invalidate (ConfabWrapBin *self)
{
  g_return_if_fail (CONFAB_IS_WRAP_BIN (self));

  self->n_cached = 0;
  self->next_evicted = 0;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* How many times the child was measured, the cache missed: for tests. */
guint
confab_wrap_bin_get_n_measured (ConfabWrapBin *self)
{
  g_return_val_if_fail (CONFAB_IS_WRAP_BIN (self), 0);

  return self->n_measured;
}

static void
measure_child (ConfabWrapBin  *self,
               GtkOrientation  orientation,
               int             for_size,
               int            *minimum,
               int            *natural)
{
  /* Only one width is measured without a height: the cache holds the
   * width at -1 and heights at their widths. */
  int key = orientation == GTK_ORIENTATION_HORIZONTAL ? -1 : for_size;
  CachedSize *entry;

  for (guint i = 0; i < self->n_cached; i++)
    if (self->cached[i].for_size == key)
      {
        *minimum = self->cached[i].minimum;
        *natural = self->cached[i].natural;
        return;
      }

  gtk_widget_measure (self->child, orientation, for_size, minimum, natural, NULL, NULL);
  self->n_measured++;

  if (self->n_cached < N_CACHED)
    entry = &self->cached[self->n_cached++];
  else
    {
      /* Never the width: it is asked for most. */
      if (self->cached[self->next_evicted].for_size == -1)
        self->next_evicted = (self->next_evicted + 1) % N_CACHED;
      entry = &self->cached[self->next_evicted];
      self->next_evicted = (self->next_evicted + 1) % N_CACHED;
    }
  *entry = (CachedSize) { key, *minimum, *natural };
}

/* The width the last wrap bin was given. One not allocated yet is most
 * likely as wide as that (a row of a list, as wide as the row before it):
 * a better guess than the width of its text on one line, which gives a
 * height far too small, and takes a layout that is good for nothing else. */
static int last_width;

static int
width_guess (void)
{
  return last_width;
}

static void
confab_wrap_bin_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  ConfabWrapBin *self = CONFAB_WRAP_BIN (widget);

  *minimum = *natural = 0;
  if (self->child == NULL || !gtk_widget_get_visible (self->child))
    return;

  /* Its width does not depend on its height: for a wrapping label, a width
   * for a given height is a search over many layouts of the text. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      for_size = -1;
    }
  else if (for_size < 0)
    {
      /* A height without a width: at the width it has, else at the width
       * the last wrap bin was given, else at its natural width (for a
       * label, its text on one line). */
      for_size = gtk_widget_get_width (widget);
      if (for_size <= 0)
        {
          int unused;

          for_size = width_guess ();
          if (for_size <= 0)
            measure_child (self, GTK_ORIENTATION_HORIZONTAL, -1, &unused, &for_size);
          self->guessed_width = for_size;
        }
    }

  measure_child (self, orientation, for_size, minimum, natural);
}

static void
confab_wrap_bin_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  ConfabWrapBin *self = CONFAB_WRAP_BIN (widget);

  if (self->child != NULL && gtk_widget_get_visible (self->child))
    gtk_widget_allocate (self->child, width, height, -1, NULL);
  last_width = width;

  /* Whoever took the guess (a list view's natural height, say) keeps it
   * until told: tell them, now that the real width is known. */
  if (self->guessed_width != 0 && self->guessed_width != width)
    gtk_widget_queue_resize (widget);
  self->guessed_width = 0;
}

static GtkSizeRequestMode
confab_wrap_bin_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
confab_wrap_bin_system_setting_changed (GtkWidget        *widget,
                                        GtkSystemSetting  setting)
{
  /* Fonts and their rendering change every size. */
  confab_wrap_bin_invalidate (CONFAB_WRAP_BIN (widget));

  GTK_WIDGET_CLASS (confab_wrap_bin_parent_class)->system_setting_changed (widget, setting);
}

static void
confab_wrap_bin_dispose (GObject *object)
{
  ConfabWrapBin *self = CONFAB_WRAP_BIN (object);

  if (self->child != NULL)
    g_clear_signal_handler (&self->notify_handler, self->child);
  g_clear_pointer (&self->child, gtk_widget_unparent);

  G_OBJECT_CLASS (confab_wrap_bin_parent_class)->dispose (object);
}

static void
confab_wrap_bin_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ConfabWrapBin *self = CONFAB_WRAP_BIN (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      g_value_set_object (value, self->child);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_wrap_bin_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ConfabWrapBin *self = CONFAB_WRAP_BIN (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      confab_wrap_bin_set_child (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_wrap_bin_class_init (ConfabWrapBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_wrap_bin_dispose;
  object_class->get_property = confab_wrap_bin_get_property;
  object_class->set_property = confab_wrap_bin_set_property;

  widget_class->measure = confab_wrap_bin_measure;
  widget_class->size_allocate = confab_wrap_bin_size_allocate;
  widget_class->get_request_mode = confab_wrap_bin_get_request_mode;
  widget_class->system_setting_changed = confab_wrap_bin_system_setting_changed;

  properties[PROP_CHILD] =
    g_param_spec_object ("child", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "confab-wrap-bin");
}

static void
confab_wrap_bin_init (ConfabWrapBin *self)
{
}
