/* till-printout.h: a receipt or a report as lines of text, printed or saved as PDF
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/**
 * TillPaper:
 * @TILL_PAPER_RECEIPT: 80 mm receipt paper, 72 mm printed, as long as the
 *   text
 * @TILL_PAPER_A4: an A4 page (more pages if the text needs them)
 */
typedef enum
{
  TILL_PAPER_RECEIPT,
  TILL_PAPER_A4,
} TillPaper;

/**
 * TillPrintoutStyle:
 * @TILL_PRINTOUT_TITLE: large, bold, centred
 * @TILL_PRINTOUT_CENTRED: centred
 * @TILL_PRINTOUT_NORMAL: plain
 * @TILL_PRINTOUT_STRONG: bold, and larger
 * @TILL_PRINTOUT_HEADING: bold, a section's name
 *
 * How a line looks.
 */
typedef enum
{
  TILL_PRINTOUT_TITLE,
  TILL_PRINTOUT_CENTRED,
  TILL_PRINTOUT_NORMAL,
  TILL_PRINTOUT_STRONG,
  TILL_PRINTOUT_HEADING,
} TillPrintoutStyle;

#define TILL_TYPE_PRINTOUT (till_printout_get_type ())
G_DECLARE_FINAL_TYPE (TillPrintout, till_printout, TILL, PRINTOUT, GObject)

/* title names the print job. */
TillPrintout *till_printout_new           (const char        *title);
/* A line of text, wrapped to the width. */
void          till_printout_add_text      (TillPrintout      *self,
                                           TillPrintoutStyle  style,
                                           const char        *text);
/* label on the left, value on the right; middle (may be NULL) in a column
 * of its own, right-aligned before the value (a count beside an amount). */
void          till_printout_add_row       (TillPrintout      *self,
                                           TillPrintoutStyle  style,
                                           const char        *label,
                                           const char        *middle,
                                           const char        *value);
/* A horizontal line. */
void          till_printout_add_rule      (TillPrintout      *self);
/* Empty space, half a line. */
void          till_printout_add_space     (TillPrintout      *self);

/* Every line's text, one line each, a row's parts separated by tabs: what
 * the printout says, for tests. */
char         *till_printout_dup_text      (TillPrintout      *self);

/* Draws the lines on cr from its origin, width points wide; returns the
 * height used, in points. The same drawing as the printed page's, for a
 * preview on screen. */
double        till_printout_draw          (TillPrintout      *self,
                                           cairo_t           *cr,
                                           double             width);

/* The height till_printout_draw() takes at width. */
double        till_printout_get_height    (TillPrintout      *self,
                                           double             width);

/* Saves a PDF without asking anything (GtkPrintOperation's export). */
gboolean      till_printout_export_pdf    (TillPrintout      *self,
                                           TillPaper          paper,
                                           const char        *filename,
                                           GError           **error);
/* Shows the print dialog over parent and prints (a kiosk prints to the
 * default printer without it); errors are shown to the user in a dialog
 * over parent. */
void          till_printout_print         (TillPrintout      *self,
                                           TillPaper          paper,
                                           GtkWindow         *parent);
/* Asks where with a file chooser over parent (suggested_name: "….pdf"),
 * then exports (a kiosk saves into the save folder and says where);
 * errors are shown in a dialog over parent. */
void          till_printout_save_pdf      (TillPrintout      *self,
                                           TillPaper          paper,
                                           GtkWindow         *parent,
                                           const char        *suggested_name);
/* Kiosk mode: no print or file dialog (till-printout.c says why). */
gboolean      till_printout_in_kiosk      (void);
GFile        *till_printout_dup_kiosk_file (const char       *name);
void          till_printout_tell_saved    (GtkWindow         *parent,
                                           GFile             *file);
/* Where a file chooser for saving starts: the Documents folder, else the
 * home folder. */
GFile        *till_printout_dup_save_folder (void);
void          till_printout_choose_folder (GtkFileChooser    *chooser);
/* A dialog over parent (may be NULL) that says what went wrong, for the
 * printouts' callers too. */
void          till_printout_show_problem  (GtkWindow         *parent,
                                           const char        *heading,
                                           const char        *text);

G_END_DECLS
