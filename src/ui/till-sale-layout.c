/* till-sale-layout.c: the charge screen's two columns, side by side when there is room
 *
 * The widget's first child is the sale (amount and keypad), its second the
 * card and the buttons that charge. One above the other they need about
 * 600 px of height, more than a 1024x600 screen leaves a window; side by
 * side the keypad, the card and Charge all fit it, and a cashier never
 * scrolls for them. Narrow (a phone, a sidebar beside the page) they stack
 * again. The choice is made from the width given (height-for-width), not by
 * switching widgets around when the window is resized (libadwaita 1.2 has
 * no breakpoints), so a scrolled window around it sees the right height.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-sale-layout.h"

/* Below this width the columns stack: each column wants about 300 px. */
#define SIDE_BY_SIDE_WIDTH 640
/* Side by side, the card's column is never narrower: number, expiry and
 * CVC on one line, however wide the sale's column asks to be (a long
 * sentence while a payment is on its way). */
#define CARD_COLUMN_WIDTH 300
#define COLUMN_SPACING 24
#define ROW_SPACING 12

struct _TillSaleLayout
{
  GtkLayoutManager parent_instance;

  /* state */
  gboolean stacked;
};

G_DEFINE_FINAL_TYPE (TillSaleLayout, till_sale_layout, GTK_TYPE_LAYOUT_MANAGER)

/* The two visible children; FALSE unless there are exactly two. */
static gboolean
get_columns (GtkWidget  *widget,
             GtkWidget **out_sale,
             GtkWidget **out_card)
{
  GtkWidget *found[2] = { NULL, NULL };
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_should_layout (child))
        continue;
      if (n == 2)
        return FALSE;
      found[n++] = child;
    }
  *out_sale = found[0];
  *out_card = found[1];
  return n == 2;
}

static int
min_width (GtkWidget *child)
{
  int minimum;

  gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  return minimum;
}

static int
card_min_width (GtkWidget *card)
{
  return MAX (CARD_COLUMN_WIDTH, min_width (card));
}

static gboolean
side_by_side (TillSaleLayout *self,
              GtkWidget      *sale,
              GtkWidget      *card,
              int             width)
{
  return !self->stacked &&
         width >= MAX (SIDE_BY_SIDE_WIDTH, min_width (sale) + COLUMN_SPACING + card_min_width (card));
}

/* The columns' widths, side by side: the keypad takes a little less than
 * half, the card's field (number, expiry and CVC on one line) the rest. */
static void
split (GtkWidget *sale,
       GtkWidget *card,
       int        width,
       int       *out_sale,
       int       *out_card)
{
  int available = width - COLUMN_SPACING;

  *out_sale = MAX (min_width (sale), available * 4 / 9);
  *out_card = MAX (card_min_width (card), available - *out_sale);
  *out_sale = available - *out_card;
}

static void
till_sale_layout_measure (GtkLayoutManager *manager,
                          GtkWidget        *widget,
                          GtkOrientation    orientation,
                          int               for_size,
                          int              *minimum,
                          int              *natural,
                          int              *minimum_baseline,
                          int              *natural_baseline)
{
  GtkWidget *sale, *card;
  int sale_min, sale_nat, card_min, card_nat;

  *minimum = *natural = 0;
  if (!get_columns (widget, &sale, &card))
    return;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* Stacked at the least, side by side by preference. */
      gtk_widget_measure (sale, orientation, -1, &sale_min, &sale_nat, NULL, NULL);
      gtk_widget_measure (card, orientation, -1, &card_min, &card_nat, NULL, NULL);
      *minimum = MAX (sale_min, card_min);
      *natural = MAX (sale_nat + COLUMN_SPACING + card_nat, SIDE_BY_SIDE_WIDTH);
      return;
    }

  if (for_size >= 0 && side_by_side (TILL_SALE_LAYOUT (manager), sale, card, for_size))
    {
      int sale_width, card_width;

      split (sale, card, for_size, &sale_width, &card_width);
      gtk_widget_measure (sale, orientation, sale_width, &sale_min, &sale_nat, NULL, NULL);
      gtk_widget_measure (card, orientation, card_width, &card_min, &card_nat, NULL, NULL);
      *minimum = MAX (sale_min, card_min);
      *natural = MAX (sale_nat, card_nat);
    }
  else
    {
      gtk_widget_measure (sale, orientation, for_size, &sale_min, &sale_nat, NULL, NULL);
      gtk_widget_measure (card, orientation, for_size, &card_min, &card_nat, NULL, NULL);
      *minimum = sale_min + ROW_SPACING + card_min;
      *natural = sale_nat + ROW_SPACING + card_nat;
    }
}

static void
till_sale_layout_allocate (GtkLayoutManager *manager,
                           GtkWidget        *widget,
                           int               width,
                           int               height,
                           int               baseline)
{
  GtkWidget *sale, *card;

  if (!get_columns (widget, &sale, &card))
    return;

  if (side_by_side (TILL_SALE_LAYOUT (manager), sale, card, width))
    {
      gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
      int sale_width, card_width;

      split (sale, card, width, &sale_width, &card_width);
      gtk_widget_size_allocate (sale, &(GtkAllocation) { rtl ? card_width + COLUMN_SPACING : 0, 0, sale_width, height },
                                -1);
      gtk_widget_size_allocate (card, &(GtkAllocation) { rtl ? 0 : sale_width + COLUMN_SPACING, 0, card_width, height },
                                -1);
    }
  else
    {
      int sale_min, sale_nat, card_min, sale_height;

      /* The sale as tall as it likes, the card the rest (a bank's
       * challenge in it takes what there is). */
      gtk_widget_measure (sale, GTK_ORIENTATION_VERTICAL, width, &sale_min, &sale_nat, NULL, NULL);
      gtk_widget_measure (card, GTK_ORIENTATION_VERTICAL, width, &card_min, NULL, NULL, NULL);
      sale_height = CLAMP (height - ROW_SPACING - card_min, sale_min, sale_nat);
      gtk_widget_size_allocate (sale, &(GtkAllocation) { 0, 0, width, sale_height }, -1);
      gtk_widget_size_allocate (card, &(GtkAllocation) { 0, sale_height + ROW_SPACING, width,
                                                         MAX (card_min, height - sale_height - ROW_SPACING) }, -1);
    }
}

static GtkSizeRequestMode
till_sale_layout_get_request_mode (GtkLayoutManager *manager,
                                   GtkWidget        *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
till_sale_layout_class_init (TillSaleLayoutClass *klass)
{
  GtkLayoutManagerClass *layout_class = GTK_LAYOUT_MANAGER_CLASS (klass);

  layout_class->get_request_mode = till_sale_layout_get_request_mode;
  layout_class->measure = till_sale_layout_measure;
  layout_class->allocate = till_sale_layout_allocate;
}

static void
till_sale_layout_init (TillSaleLayout *self)
{
}

GtkLayoutManager *
till_sale_layout_new (void)
{
  return g_object_new (TILL_TYPE_SALE_LAYOUT, NULL);
}

void
till_sale_layout_set_stacked (TillSaleLayout *self,
                              gboolean        stacked)
{
  g_return_if_fail (TILL_IS_SALE_LAYOUT (self));

  if (self->stacked == !!stacked)
    return;
  self->stacked = !!stacked;
  gtk_layout_manager_layout_changed (GTK_LAYOUT_MANAGER (self));
}
