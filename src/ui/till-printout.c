/* till-printout.c: a receipt or a report as lines of text, printed or saved as PDF
 *
 * Receipts and the day's totals are short lists of lines: a title, label
 * and amount pairs, rules. They are drawn with Pango on cairo, so that a
 * PDF holds real text (a search finds the payment id; pdftotext reads it)
 * and the printed page is the same drawing as the preview on screen.
 *
 * Everything goes through GtkPrintOperation: printing with its dialog,
 * and "Save as PDF" with its export action, which writes a PDF without a
 * dialog once a file chooser has asked where.
 *
 * Receipt paper is 80 mm wide, of which a receipt printer prints 72 mm;
 * its length is the text's, so each receipt is one custom paper size
 * measured before the operation runs. Metric hinting is off for the
 * measure and for the drawing, so both agree whatever the surface.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-printout"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "till-a11y.h"
#include "till-application.h"
#include "till-printout.h"

#define RECEIPT_WIDTH_MM 80.0
#define RECEIPT_PRINTED_MM 72.0
#define RECEIPT_END_MM 6.0          /* blank paper before and after, for the cutter */
#define A4_MARGIN_MM 20.0
#define MM_TO_PT(mm) ((mm) * 72.0 / 25.4)

typedef enum
{
  LINE_TEXT,
  LINE_ROW,
  LINE_RULE,
  LINE_SPACE,
} LineKind;

typedef struct
{
  LineKind           kind;
  TillPrintoutStyle  style;
  char              *label;
  char              *middle;
  char              *value;
} Line;

struct _TillPrintout
{
  GObject    parent_instance;

  /* owned */
  char      *title;
  GPtrArray *lines;         /* Line */

  /* state, while an operation runs */
  TillPaper  paper;
  GArray    *page_starts;   /* guint: first line of each page */
};

G_DEFINE_FINAL_TYPE (TillPrintout, till_printout, G_TYPE_OBJECT)

static void
line_free (gpointer data)
{
  Line *line = data;

  g_free (line->label);
  g_free (line->middle);
  g_free (line->value);
  g_free (line);
}

static Line *
add_line (TillPrintout      *self,
          LineKind           kind,
          TillPrintoutStyle  style)
{
  Line *line = g_new0 (Line, 1);

  line->kind = kind;
  line->style = style;
  g_ptr_array_add (self->lines, line);
  return line;
}

TillPrintout *
till_printout_new (const char *title)
{
  TillPrintout *self = g_object_new (TILL_TYPE_PRINTOUT, NULL);

  self->title = g_strdup (title);
  return self;
}

void
till_printout_add_text (TillPrintout      *self,
                        TillPrintoutStyle  style,
                        const char        *text)
{
  g_return_if_fail (TILL_IS_PRINTOUT (self));
  g_return_if_fail (text != NULL);

  add_line (self, LINE_TEXT, style)->label = g_strdup (text);
}

void
till_printout_add_row (TillPrintout      *self,
                       TillPrintoutStyle  style,
                       const char        *label,
                       const char        *middle,
                       const char        *value)
{
  Line *line;

  g_return_if_fail (TILL_IS_PRINTOUT (self));
  g_return_if_fail (label != NULL && value != NULL);

  line = add_line (self, LINE_ROW, style);
  line->label = g_strdup (label);
  line->middle = g_strdup (middle);
  line->value = g_strdup (value);
}

void
till_printout_add_rule (TillPrintout *self)
{
  g_return_if_fail (TILL_IS_PRINTOUT (self));
  add_line (self, LINE_RULE, TILL_PRINTOUT_NORMAL);
}

void
till_printout_add_space (TillPrintout *self)
{
  g_return_if_fail (TILL_IS_PRINTOUT (self));
  add_line (self, LINE_SPACE, TILL_PRINTOUT_NORMAL);
}

char *
till_printout_dup_text (TillPrintout *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (TILL_IS_PRINTOUT (self), NULL);

  for (guint i = 0; i < self->lines->len; i++)
    {
      Line *line = g_ptr_array_index (self->lines, i);

      if (line->label != NULL)
        g_string_append (text, line->label);
      if (line->middle != NULL)
        g_string_append_printf (text, "\t%s", line->middle);
      if (line->value != NULL)
        g_string_append_printf (text, "\t%s", line->value);
      g_string_append_c (text, '\n');
    }
  return g_string_free (text, FALSE);
}

/* Drawing */

static double
base_size (double width)
{
  /* 9 pt fits about 40 characters on 72 mm, as receipt printers do. */
  return width < MM_TO_PT (100) ? 9.0 : 11.0;
}

static PangoLayout *
new_layout (cairo_t           *cr,
            TillPrintoutStyle  style,
            double             size,
            const char        *text,
            double             width)
{
  PangoContext *context = pango_cairo_create_context (cr);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string ("Sans");
  cairo_font_options_t *options = cairo_font_options_create ();
  PangoLayout *layout;

  /* Points as cairo units, and the same metrics on screen and on paper. */
  pango_cairo_context_set_resolution (context, 72.0);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (context, options);
  cairo_font_options_destroy (options);

  if (style == TILL_PRINTOUT_TITLE)
    size *= 1.4;
  else if (style == TILL_PRINTOUT_STRONG)
    size *= 1.2;
  if (style == TILL_PRINTOUT_TITLE || style == TILL_PRINTOUT_STRONG || style == TILL_PRINTOUT_HEADING)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_font_description_set_size (font, (int) (size * PANGO_SCALE));

  layout = pango_layout_new (context);
  g_object_unref (context);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_width (layout, width < 0 ? -1 : (int) (width * PANGO_SCALE));
  if (style == TILL_PRINTOUT_TITLE || style == TILL_PRINTOUT_CENTRED)
    pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

static double
layout_height (PangoLayout *layout)
{
  int height;

  pango_layout_get_size (layout, NULL, &height);
  return (double) height / PANGO_SCALE;
}

static double
layout_width (PangoLayout *layout)
{
  int width;

  pango_layout_get_size (layout, &width, NULL);
  return (double) width / PANGO_SCALE;
}

static void
show_at (cairo_t     *cr,
         PangoLayout *layout,
         double       x,
         double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

/* A row: the value right-aligned at the right edge, the middle column
 * right-aligned at two thirds, the label wrapped in what is left. */
static double
draw_row (cairo_t    *cr,
          const Line *line,
          double      size,
          double      width,
          double      y,
          gboolean    draw)
{
  g_autoptr(PangoLayout) value = new_layout (cr, line->style, size, line->value, -1);
  g_autoptr(PangoLayout) middle = NULL;
  g_autoptr(PangoLayout) label = NULL;
  double gap = size;
  double value_width = layout_width (value);
  double label_width = width - value_width - gap;
  double height = layout_height (value);
  double middle_right = width * 2 / 3;

  if (line->middle != NULL)
    {
      middle = new_layout (cr, line->style, size, line->middle, -1);
      middle_right = MIN (middle_right, width - value_width - gap);
      label_width = middle_right - layout_width (middle) - gap;
      height = MAX (height, layout_height (middle));
    }
  label = new_layout (cr, line->style, size, line->label, MAX (label_width, width / 4));
  height = MAX (height, layout_height (label));

  if (draw)
    {
      show_at (cr, label, 0, y);
      if (middle != NULL)
        show_at (cr, middle, middle_right - layout_width (middle), y);
      show_at (cr, value, width - value_width, y);
    }
  return height;
}

static double
draw_line (cairo_t    *cr,
           const Line *line,
           double      width,
           double      y,
           gboolean    draw)
{
  double size = base_size (width);

  switch (line->kind)
    {
    case LINE_TEXT:
      {
        g_autoptr(PangoLayout) layout = new_layout (cr, line->style, size, line->label, width);

        if (draw)
          show_at (cr, layout, 0, y);
        return layout_height (layout);
      }
    case LINE_ROW:
      return draw_row (cr, line, size, width, y, draw);
    case LINE_RULE:
      if (draw)
        {
          cairo_save (cr);
          cairo_set_line_width (cr, 0.5);
          cairo_move_to (cr, 0, y + size / 2);
          cairo_line_to (cr, width, y + size / 2);
          cairo_stroke (cr);
          cairo_restore (cr);
        }
      return size;
    case LINE_SPACE:
      return size / 2;
    default:
      g_assert_not_reached ();
    }
}

/* Lines first to last - 1 from y = 0; the height they take. */
static double
draw_lines (TillPrintout *self,
            cairo_t      *cr,
            double        width,
            guint         first,
            guint         last,
            gboolean      draw)
{
  double y = 0;

  if (draw)
    cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint i = first; i < last; i++)
    y += draw_line (cr, g_ptr_array_index (self->lines, i), width, y, draw) + base_size (width) / 4;
  return y;
}

double
till_printout_draw (TillPrintout *self,
                    cairo_t      *cr,
                    double        width)
{
  g_return_val_if_fail (TILL_IS_PRINTOUT (self), 0);
  g_return_val_if_fail (cr != NULL, 0);

  return draw_lines (self, cr, width, 0, self->lines->len, TRUE);
}

/* The height of all lines, measured without a page to draw on. */
double
till_printout_get_height (TillPrintout *self,
                          double        width)
{
  cairo_surface_t *surface;
  cairo_t *cr;
  double height;

  g_return_val_if_fail (TILL_IS_PRINTOUT (self), 0);

  surface = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, NULL);
  cr = cairo_create (surface);
  height = draw_lines (self, cr, width, 0, self->lines->len, FALSE);

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return height;
}

/* Paper */

static GtkPageSetup *
new_page_setup (TillPrintout *self,
                TillPaper     paper)
{
  GtkPageSetup *setup = gtk_page_setup_new ();
  g_autoptr(GtkPaperSize) size = NULL;
  double side_mm;
  double end_mm;

  if (paper == TILL_PAPER_RECEIPT)
    {
      double text_mm = till_printout_get_height (self, MM_TO_PT (RECEIPT_PRINTED_MM)) * 25.4 / 72.0;

      /* A millimetre to spare, in case a font measures differently. */
      size = gtk_paper_size_new_custom ("till-receipt-80mm", _("Receipt paper 80 mm"), RECEIPT_WIDTH_MM,
                                        text_mm + 2 * RECEIPT_END_MM + 1, GTK_UNIT_MM);
      side_mm = (RECEIPT_WIDTH_MM - RECEIPT_PRINTED_MM) / 2;
      end_mm = RECEIPT_END_MM;
    }
  else
    {
      size = gtk_paper_size_new (GTK_PAPER_NAME_A4);
      side_mm = end_mm = A4_MARGIN_MM;
    }
  gtk_page_setup_set_orientation (setup, GTK_PAGE_ORIENTATION_PORTRAIT);
  gtk_page_setup_set_paper_size (setup, size);
  gtk_page_setup_set_left_margin (setup, side_mm, GTK_UNIT_MM);
  gtk_page_setup_set_right_margin (setup, side_mm, GTK_UNIT_MM);
  gtk_page_setup_set_top_margin (setup, end_mm, GTK_UNIT_MM);
  gtk_page_setup_set_bottom_margin (setup, end_mm, GTK_UNIT_MM);
  return setup;
}

/* The operation's callbacks */

/* Splits the lines into pages of the context's height; a receipt is one. */
static void
begin_print_cb (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                TillPrintout      *self)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  double width = gtk_print_context_get_width (context);
  double page_height = gtk_print_context_get_height (context);
  double y = 0;
  guint first = 0;

  g_array_set_size (self->page_starts, 0);
  g_array_append_val (self->page_starts, first);
  for (guint i = 0; i < self->lines->len; i++)
    {
      double height = draw_lines (self, cr, width, i, i + 1, FALSE);

      /* On receipt paper the page was measured to hold everything. */
      if (self->paper == TILL_PAPER_A4 && y > 0 && y + height > page_height)
        {
          g_array_append_val (self->page_starts, i);
          y = 0;
        }
      y += height;
    }
  gtk_print_operation_set_n_pages (operation, self->page_starts->len);
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page,
              TillPrintout      *self)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  guint first = g_array_index (self->page_starts, guint, page);
  guint last = (guint) page + 1 < self->page_starts->len
               ? g_array_index (self->page_starts, guint, page + 1)
               : self->lines->len;

  draw_lines (self, cr, gtk_print_context_get_width (context), first, last, TRUE);
}

static GtkPrintOperation *
new_operation (TillPrintout *self,
               TillPaper     paper)
{
  GtkPrintOperation *operation = gtk_print_operation_new ();
  g_autoptr(GtkPageSetup) setup = new_page_setup (self, paper);

  self->paper = paper;
  gtk_print_operation_set_job_name (operation, self->title);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  gtk_print_operation_set_default_page_setup (operation, setup);
  gtk_print_operation_set_embed_page_setup (operation, TRUE);
  g_signal_connect_object (operation, "begin-print", G_CALLBACK (begin_print_cb), self, 0);
  g_signal_connect_object (operation, "draw-page", G_CALLBACK (draw_page_cb), self, 0);
  return operation;
}

gboolean
till_printout_export_pdf (TillPrintout  *self,
                          TillPaper      paper,
                          const char    *filename,
                          GError       **error)
{
  g_autoptr(GtkPrintOperation) operation = NULL;

  g_return_val_if_fail (TILL_IS_PRINTOUT (self), FALSE);
  g_return_val_if_fail (filename != NULL, FALSE);

  operation = new_operation (self, paper);
  gtk_print_operation_set_export_filename (operation, filename);
  return gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, error)
         != GTK_PRINT_OPERATION_RESULT_ERROR;
}

void
till_printout_show_problem (GtkWindow  *parent,
                            const char *heading,
                            const char *text)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, text);

  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  till_a11y_fix_mnemonics (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
print_done_cb (GtkPrintOperation       *operation,
               GtkPrintOperationResult  result,
               GtkWindow               *parent)
{
  g_autoptr(GError) error = NULL;

  /* With no dialog, nobody cancelled: no printer was found to print on. */
  if (result == GTK_PRINT_OPERATION_RESULT_CANCEL &&
      g_object_get_data (G_OBJECT (operation), "till-kiosk") != NULL)
    {
      till_printout_show_problem (parent, _("Could Not Print"),
                                  _("This terminal has no default printer, and kiosk mode opens no "
                                    "print dialog to choose one."));
      return;
    }
  if (result != GTK_PRINT_OPERATION_RESULT_ERROR)
    return;
  gtk_print_operation_get_error (operation, &error);
  g_message ("Printing failed: %s", error->message);
  till_printout_show_problem (parent, _("Could Not Print"), error->message);
}

/**
 * till_printout_in_kiosk:
 *
 * A kiosk opens no print or file dialog of GTK's: the print dialog's
 * Preview starts a document viewer, and GTK 4.8's file chooser offers
 * "Open With File Manager", ways out of the kiosk that no manager
 * approved. It prints to the default printer and saves into the save
 * folder instead.
 *
 * Returns: whether the terminal is in kiosk mode
 */
gboolean
till_printout_in_kiosk (void)
{
  GApplication *app = g_application_get_default ();
  GSettings *settings = TILL_IS_APPLICATION (app)
                        ? till_application_get_settings (TILL_APPLICATION (app)) : NULL;

  return settings != NULL && g_settings_get_boolean (settings, "kiosk");
}

/**
 * till_printout_dup_kiosk_file:
 * @name: the name a file chooser would have suggested
 *
 * Where a kiosk saves what it would have asked where to save: @name in the
 * save folder, as "name (2).pdf" and so on when taken. A "/" in @name (a
 * payment id is the server's word) names no other folder.
 *
 * Returns: (transfer full): the file
 */
GFile *
till_printout_dup_kiosk_file (const char *name)
{
  g_autoptr(GFile) folder = till_printout_dup_save_folder ();
  g_autofree char *safe = g_strdelimit (g_strdup (name), G_DIR_SEPARATOR_S, '-');
  const char *dot = strrchr (safe, '.');
  g_autofree char *stem = dot != NULL && dot != safe ? g_strndup (safe, dot - safe) : g_strdup (safe);
  const char *extension = dot != NULL && dot != safe ? dot : "";
  GFile *file = g_file_get_child (folder, safe);

  for (guint i = 2; g_file_query_exists (file, NULL); i++)
    {
      g_autofree char *other = g_strdup_printf ("%s (%u)%s", stem, i, extension);

      g_object_unref (file);
      file = g_file_get_child (folder, other);
    }
  return file;
}

/* Says where a kiosk saved a file, since nobody chose the place. */
void
till_printout_tell_saved (GtkWindow *parent,
                          GFile     *file)
{
  g_autoptr(GFile) folder = g_file_get_parent (file);
  g_autofree char *where = g_file_get_parse_name (folder);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *text = NULL;

  /* Translators: %1$s is a folder, %2$s a file's name. */
  text = g_strdup_printf (_("Kiosk mode opens no file dialogs, so it was saved in %1$s as “%2$s”."),
                          where, name);
  till_printout_show_problem (parent, _("Saved"), text);
}

void
till_printout_print (TillPrintout *self,
                     TillPaper     paper,
                     GtkWindow    *parent)
{
  g_autoptr(GtkPrintOperation) operation = NULL;
  g_autoptr(GError) error = NULL;
  GtkPrintOperationAction action = till_printout_in_kiosk () ? GTK_PRINT_OPERATION_ACTION_PRINT
                                                               : GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG;

  g_return_if_fail (TILL_IS_PRINTOUT (self));
  g_return_if_fail (GTK_IS_WINDOW (parent));

  operation = new_operation (self, paper);
  gtk_print_operation_set_allow_async (operation, TRUE);
  /* The operation keeps what it draws until it is done. */
  g_object_set_data_full (G_OBJECT (operation), "till-printout", g_object_ref (self), g_object_unref);
  if (action == GTK_PRINT_OPERATION_ACTION_PRINT)
    g_object_set_data (G_OBJECT (operation), "till-kiosk", GINT_TO_POINTER (TRUE));
  g_signal_connect_object (operation, "done", G_CALLBACK (print_done_cb), parent, 0);
  if (gtk_print_operation_run (operation, action, parent, &error)
      == GTK_PRINT_OPERATION_RESULT_ERROR)
    till_printout_show_problem (parent, _("Could Not Print"), error->message);
}

GFile *
till_printout_dup_save_folder (void)
{
  const char *documents = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);

  if (documents != NULL && g_file_test (documents, G_FILE_TEST_IS_DIR))
    return g_file_new_for_path (documents);
  return g_file_new_for_path (g_get_home_dir ());
}

void
till_printout_choose_folder (GtkFileChooser *chooser)
{
  g_autoptr(GFile) folder = till_printout_dup_save_folder ();

  g_return_if_fail (GTK_IS_FILE_CHOOSER (chooser));

  /* Not the folder Till was started from, which a user never chose. */
  gtk_file_chooser_set_current_folder (chooser, folder, NULL);
}

typedef struct
{
  TillPrintout *printout;
  TillPaper     paper;
  GtkWindow    *parent;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_object_unref (data->printout);
  g_clear_weak_pointer (&data->parent);
  g_free (data);
}

static void
save_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  SaveData        *data)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  g_debug ("Save as PDF: response %d, %s", response, path != NULL ? path : "no file");
  if (file != NULL && path == NULL)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                         _("Choose a folder on this computer."));
  else if (path != NULL)
    till_printout_export_pdf (data->printout, data->paper, path, &error);
  if (error != NULL)
    {
      g_message ("Saving a PDF failed: %s", error->message);
      till_printout_show_problem (data->parent, _("Could Not Save the PDF"), error->message);
    }
  save_data_free (data);
  g_object_unref (chooser);
}

void
till_printout_save_pdf (TillPrintout *self,
                        TillPaper     paper,
                        GtkWindow    *parent,
                        const char   *suggested_name)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  SaveData *data = g_new0 (SaveData, 1);

  g_return_if_fail (TILL_IS_PRINTOUT (self));

  if (till_printout_in_kiosk ())
    {
      g_autoptr(GFile) file = till_printout_dup_kiosk_file (suggested_name ? suggested_name : "printout.pdf");
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      g_free (data);
      if (till_printout_export_pdf (self, paper, path, &error))
        till_printout_tell_saved (parent, file);
      else
        till_printout_show_problem (parent, _("Could Not Save the PDF"), error->message);
      return;
    }
  data->printout = g_object_ref (self);
  data->paper = paper;
  g_set_weak_pointer (&data->parent, parent);

  chooser = gtk_file_chooser_native_new (_("Save as PDF"), parent, GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (filter, _("PDF documents"));
  gtk_file_filter_add_mime_type (filter, "application/pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  till_printout_choose_folder (GTK_FILE_CHOOSER (chooser));
  if (suggested_name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested_name);
  g_signal_connect (chooser, "response", G_CALLBACK (save_response_cb), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
till_printout_finalize (GObject *object)
{
  TillPrintout *self = TILL_PRINTOUT (object);

  g_free (self->title);
  g_ptr_array_unref (self->lines);
  g_array_unref (self->page_starts);
  G_OBJECT_CLASS (till_printout_parent_class)->finalize (object);
}

static void
till_printout_class_init (TillPrintoutClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_printout_finalize;
}

static void
till_printout_init (TillPrintout *self)
{
  self->lines = g_ptr_array_new_with_free_func (line_free);
  self->page_starts = g_array_new (FALSE, FALSE, sizeof (guint));
}
