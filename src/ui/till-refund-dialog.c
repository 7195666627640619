/* till-refund-dialog.c: refunding a payment, with a manager's approval when a cashier asks
 *
 * The amount is typed the way the shop writes money (till-money.c) and
 * starts at what is left of the payment. A cashier's refund needs a
 * manager standing at the till: their name and password go into the
 * refund's own request (TillRefundRequest), the password field is emptied
 * as soon as it is sent, and no session comes of it.
 *
 * The flow lives in TillRefundRequest; the dialog shows its outcome in
 * words. An outcome that is not known yet is never shown as failed: the
 * button becomes "Try Again", which repeats the same attempt with the
 * same key, so that the payment is refunded once at most.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-refund-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-backend-answers.h"
#include "till-money.h"
#include "till-refund-dialog-private.h"

/* Stripe's names for the reasons, in the order of the reason row's list. */
static const char * const reasons[] = { "requested_by_customer", "duplicate", "fraudulent" };

struct _TillRefundDialog
{
  AdwWindow             parent_instance;

  /* template widgets */
  GtkButton            *refund_button;
  GtkSpinner           *spinner;
  GtkLabel             *summary_label;
  AdwPreferencesGroup  *refund_group;
  AdwEntryRow          *amount_row;
  AdwComboRow          *reason_row;
  AdwPreferencesGroup  *approval_group;
  AdwEntryRow          *approver_row;
  AdwPasswordEntryRow  *approver_password_row;
  GtkLabel             *message_label;

  /* owned references */
  TillSession          *session;
  TillRefundRequest    *request;
  GCancellable         *cancellable;
  char                 *payment_id;
  char                 *currency;

  /* state */
  gint64                left;        /* what may still be refunded, minor units */
  gboolean              needs_approval;
  gboolean              busy;
  gboolean              can_send;
  gboolean              done;        /* nothing more to send */
  int                   outcome;     /* TillRefundOutcome, or -1 */
  GtkWidget            *described;   /* weak: says the message (till_a11y_describe_focus()) */
  char                 *message;
};

G_DEFINE_FINAL_TYPE (TillRefundDialog, till_refund_dialog, ADW_TYPE_WINDOW)

enum {
  REFUNDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
format (TillRefundDialog *self,
        gint64            amount)
{
  return till_money_format (amount, self->currency, NULL);
}

/* The typed amount, or NULL and *problem when it cannot be refunded. */
static gboolean
read_amount (TillRefundDialog  *self,
             gint64            *out_amount,
             char             **problem)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->amount_row));
  g_autoptr(GError) error = NULL;
  gint64 amount = 0;

  if (!till_money_parse (text, self->currency, NULL, &amount, &error) ||
      !till_money_to_stripe (amount, self->currency, NULL, &error))
    {
      *problem = g_strdup (error->message);
      return FALSE;
    }
  if (amount <= 0)
    {
      *problem = g_strdup (_("Type the amount to refund."));
      return FALSE;
    }
  if (amount > self->left)
    {
      g_autofree char *left = format (self, self->left);

      /* Translators: %s is an amount of money, such as “€12.50” */
      *problem = g_strdup_printf (_("At most %s is left to refund."), left);
      return FALSE;
    }
  *out_amount = amount;
  return TRUE;
}

/* kind: "error", "warning", "success" or NULL for plain text. */
static void
show_message (TillRefundDialog *self,
              const char       *kind,
              const char       *message)
{
  static const char * const kinds[] = { "error", "warning", "success" };

  g_free (self->message);
  self->message = g_strdup (message);
  gtk_label_set_text (self->message_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  till_a11y_describe_focus (GTK_WIDGET (self->message_label), message, &self->described);
  till_a11y_announce (GTK_WIDGET (self->message_label), message);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      if (g_strcmp0 (kind, kinds[i]) == 0)
        gtk_widget_add_css_class (GTK_WIDGET (self->message_label), kinds[i]);
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), kinds[i]);
    }
}

/* What may be pressed, and what the button says, follow the state. */
static void
update (TillRefundDialog *self)
{
  gboolean locked = till_refund_request_get_locked (self->request);
  gboolean editable = !self->busy && !self->done && !locked;
  gboolean approval_typed = !self->needs_approval ||
    (*gtk_editable_get_text (GTK_EDITABLE (self->approver_row)) != '\0' &&
     *gtk_editable_get_text (GTK_EDITABLE (self->approver_password_row)) != '\0');
  g_autofree char *problem = NULL;
  gint64 amount;
  gboolean amount_ok = locked || read_amount (self, &amount, &problem);

  gtk_widget_set_sensitive (GTK_WIDGET (self->refund_group), editable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->approval_group), !self->busy && !self->done);
  gtk_spinner_set_spinning (self->spinner, self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);

  /* Refunding is destructive; closing after it is not. */
  if (self->done)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->refund_button), "destructive-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->refund_button), "suggested-action");
    }
  if (self->done)
    gtk_button_set_label (self->refund_button, _("_Done"));
  else if (self->outcome == TILL_REFUND_OUTCOME_PENDING)
    gtk_button_set_label (self->refund_button, _("_Check Again"));
  else if (locked)
    gtk_button_set_label (self->refund_button, _("_Try Again"));
  else
    gtk_button_set_label (self->refund_button, _("_Refund"));

  if (amount_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->amount_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->amount_row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->amount_row), problem);
  self->can_send = !self->busy && (self->done || (amount_ok && approval_typed));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "refund.send", self->can_send);
}

static const char *
reason_text (const char *code)
{
  if (g_strcmp0 (code, "expired_or_canceled_card") == 0)
    return _("The card has expired or was cancelled.");
  if (g_strcmp0 (code, "lost_or_stolen_card") == 0)
    return _("The card was reported lost or stolen.");
  if (g_strcmp0 (code, "amount_not_accepted") == 0)
    return _("Stripe does not take this amount in the payment’s currency.");
  return _("Stripe refused the refund.");
}

/* Why the server turned the request away, in words. */
static char *
refused_text (TillRefundDialog *self)
{
  const char *code = till_refund_request_get_error_code (self->request);

  if (code == NULL || g_str_equal (code, "unauthorized") || g_str_equal (code, "session_expired"))
    return g_strdup (_("Your session has ended. Sign in again, then refund."));
  if (g_str_equal (code, "invalid_amount"))
    return g_strdup (_("That is more than is left to refund. Someone may have refunded part of "
                       "this payment meanwhile."));
  if (g_str_equal (code, "amount_not_accepted"))
    return g_strdup (reason_text (code));
  if (g_str_equal (code, "payment_not_refundable"))
    return g_strdup (_("This payment cannot be refunded: it did not go through, or it is "
                       "refunded in full already."));
  if (g_str_equal (code, "payment_not_found"))
    return g_strdup (_("The shop server does not know this payment."));
  if (g_str_equal (code, "forbidden"))
    return g_strdup (_("Only a manager can refund."));
  /* Translators: %s is a code from the shop server, for whoever runs it */
  return g_strdup_printf (_("The shop server refused the refund (%s)."), code);
}

static char *
succeeded_text (TillRefundDialog *self,
                JsonObject       *refund)
{
  g_autofree char *amount = format (self, till_refund_request_get_amount (self->request));
  const char *requested_by = NULL, *approved_by = NULL;

  if (refund != NULL)
    {
      till_answer_get_string (refund, "requested_by", TILL_ANSWER_NAME_MAX, FALSE, &requested_by, NULL);
      till_answer_get_string (refund, "approved_by", TILL_ANSWER_NAME_MAX, FALSE, &approved_by, NULL);
    }
  if (requested_by != NULL && approved_by != NULL)
    /* Translators: an amount, then two user names */
    return g_strdup_printf (_("Refunded %s. Asked for by %s, approved by %s."), amount, requested_by, approved_by);
  if (requested_by != NULL)
    /* Translators: an amount, then a user name */
    return g_strdup_printf (_("Refunded %s. Made by %s."), amount, requested_by);
  /* Translators: %s is an amount of money */
  return g_strdup_printf (_("Refunded %s."), amount);
}

static void
show_outcome (TillRefundDialog  *self,
              TillRefundOutcome  outcome)
{
  JsonObject *refund = till_refund_request_get_refund (self->request);
  JsonObject *payment = till_refund_request_get_payment (self->request);
  g_autofree char *amount = format (self, till_refund_request_get_amount (self->request));
  g_autofree char *text = NULL;
  const char *kind = "error";

  switch (outcome)
    {
    case TILL_REFUND_OUTCOME_SUCCEEDED:
      text = succeeded_text (self, refund);
      kind = "success";
      self->done = TRUE;
      break;
    case TILL_REFUND_OUTCOME_PENDING:
      /* Translators: %s is an amount of money */
      text = g_strdup_printf (_("Pending at the bank: Stripe took the refund of %s, and the card’s "
                                "bank has not confirmed it yet. That can take days. Do not refund "
                                "again; check again later."), amount);
      kind = "warning";
      break;
    case TILL_REFUND_OUTCOME_FAILED:
      {
        const char *code = NULL;

        if (refund != NULL)
          till_answer_get_string (refund, "error_code", TILL_ANSWER_CODE_MAX, FALSE, &code, NULL);
        /* Translators: the second sentence says why, e.g. “The card has expired.” */
        text = g_strdup_printf (_("Refused: nothing was refunded. %s"), reason_text (code));
      }
      break;
    case TILL_REFUND_OUTCOME_UNKNOWN:
      text = g_strdup (self->needs_approval
                       ? _("Not confirmed yet: the refund may or may not have been made. The manager "
                           "types the password again, then try again. It is never refunded twice.")
                       : _("Not confirmed yet: the refund may or may not have been made. Try again; "
                           "it is never refunded twice."));
      kind = "warning";
      break;
    case TILL_REFUND_OUTCOME_NEEDS_REVIEW:
      text = g_strdup (_("Unknown: this refund is too old to send again. Check it in the Stripe "
                         "Dashboard, and do not refund again."));
      kind = "warning";
      self->done = TRUE;
      break;
    case TILL_REFUND_OUTCOME_APPROVAL_REQUIRED:
      text = g_strdup (_("A manager must approve this refund: ask one to type their name and password."));
      break;
    case TILL_REFUND_OUTCOME_APPROVAL_REFUSED:
      text = g_strdup (_("Not approved: the manager’s name or password is wrong, or that account "
                         "cannot approve refunds. Nothing was refunded."));
      break;
    case TILL_REFUND_OUTCOME_RATE_LIMITED:
      {
        guint seconds = MAX (till_refund_request_get_retry_after (self->request), 1);

        text = g_strdup_printf (g_dngettext (NULL, "Too many wrong passwords. Try again in %u second.",
                                             "Too many wrong passwords. Try again in %u seconds.", seconds),
                                seconds);
      }
      break;
    case TILL_REFUND_OUTCOME_REFUSED:
      text = refused_text (self);
      break;
    default:
      g_assert_not_reached ();
    }

  self->outcome = outcome;
  show_message (self, kind, text);
  if ((outcome == TILL_REFUND_OUTCOME_SUCCEEDED || outcome == TILL_REFUND_OUTCOME_PENDING) && payment != NULL)
    g_signal_emit (self, signals[REFUNDED], 0, payment);

}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TillRefundDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  TillRefundOutcome outcome;

  outcome = till_refund_request_send_finish (TILL_REFUND_REQUEST (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  show_outcome (self, outcome);
  update (self);
  /* Where the next key goes: a refused approval is typed again; anything
   * else is for the button (Try Again, Done). */
  if (outcome == TILL_REFUND_OUTCOME_APPROVAL_REQUIRED || outcome == TILL_REFUND_OUTCOME_APPROVAL_REFUSED)
    gtk_widget_grab_focus (*gtk_editable_get_text (GTK_EDITABLE (self->approver_row)) == '\0'
                           ? GTK_WIDGET (self->approver_row) : GTK_WIDGET (self->approver_password_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->refund_button));
  till_a11y_describe_focus (GTK_WIDGET (self->message_label), self->message, &self->described);
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TillRefundDialog *self = TILL_REFUND_DIALOG (widget);
  g_autofree char *problem = NULL;
  guint reason = adw_combo_row_get_selected (self->reason_row);
  const char *approver = NULL;
  const char *password = NULL;
  gint64 amount = 0;

  if (self->done)
    {
      gtk_window_close (GTK_WINDOW (self));
      return;
    }
  if (self->busy ||
      (!till_refund_request_get_locked (self->request) && !read_amount (self, &amount, &problem)))
    return;
  if (self->needs_approval)
    {
      approver = gtk_editable_get_text (GTK_EDITABLE (self->approver_row));
      password = gtk_editable_get_text (GTK_EDITABLE (self->approver_password_row));
    }

  self->busy = TRUE;
  show_message (self, NULL, NULL);
  till_refund_request_send_async (self->request, amount, reason < G_N_ELEMENTS (reasons) ? reasons[reason] : NULL,
                                  approver, password, self->cancellable, sent_cb, g_object_ref (self));
  /* Sent once: the request's body holds the only copy now, wiped when the
   * answer is in. A repeat needs the manager to type it again. */
  if (self->needs_approval)
    gtk_editable_set_text (GTK_EDITABLE (self->approver_password_row), "");
  update (self);
}

static void
field_changed_cb (TillRefundDialog *self)
{
  /* Still being filled in by till_refund_dialog_new() */
  if (self->request == NULL)
    return;
  /* A problem of the last try goes once the fields change; an outcome
   * still open stays on show. */
  if (!self->busy && !self->done && !till_refund_request_get_locked (self->request) &&
      self->message != NULL && self->outcome != -1)
    {
      show_message (self, NULL, NULL);
      self->outcome = -1;
    }
  update (self);
}

static void
activated_cb (TillRefundDialog *self,
              AdwEntryRow      *row)
{
  if (row == self->approver_row &&
      *gtk_editable_get_text (GTK_EDITABLE (self->approver_password_row)) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->approver_password_row));
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "refund.send", NULL);
}

static char *
describe_payment (TillRefundDialog *self,
                  JsonObject       *payment,
                  gint64            amount,
                  gint64            refunded)
{
  g_autofree char *total = format (self, amount);
  g_autofree char *left = format (self, self->left);
  JsonObject *card = till_answer_get_object (payment, "card");
  const char *last4 = NULL;
  g_autofree char *paid = NULL;

  if (card != NULL)
    till_answer_get_string (card, "last4", 4, FALSE, &last4, NULL);
  if (last4 != NULL)
    /* Translators: an amount of money, then the last four digits of a card */
    paid = g_strdup_printf (_("A payment of %s by the card ending in %s."), total, last4);
  else
    /* Translators: %s is an amount of money */
    paid = g_strdup_printf (_("A payment of %s."), total);
  if (refunded == 0)
    return g_steal_pointer (&paid);
  /* Translators: a sentence about the payment, then an amount of money */
  return g_strdup_printf (_("%s %s of it is left to refund."), paid, left);
}

/* What refunds still pending at the card's bank hold of the payment:
 * GET /api/payments/{id} lists the payment's refunds ("refunds"); other
 * answers do not, and then nothing is known to be held. */
static gint64
pending_refunds (JsonObject *payment,
                 gint64      limit)
{
  JsonNode *refunds = json_object_get_member (payment, "refunds");
  JsonArray *array;
  gint64 held = 0;

  if (refunds == NULL || !JSON_NODE_HOLDS_ARRAY (refunds))
    return 0;
  array = json_node_get_array (refunds);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *refund = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *status = NULL;
      gint64 amount = 0;

      if (refund != NULL &&
          till_answer_get_string (refund, "status", 32, TRUE, &status, NULL) && g_str_equal (status, "pending") &&
          till_answer_get_int (refund, "amount", 1, limit, &amount, NULL))
        held += amount;
    }
  return MIN (held, limit);
}

/* What may be refunded: the payment's amount less what is refunded and
 * what pending refunds hold. The server refuses more than is left
 * (invalid_amount), and the dialog says so. */
static void
read_payment (TillRefundDialog *self,
              JsonObject       *payment)
{
  const char *id = NULL, *currency = NULL;
  gint64 amount = 0, refunded = 0, held;
  g_autofree char *summary = NULL;
  g_autofree char *left = NULL;

  till_answer_get_string (payment, "id", TILL_ANSWER_PAYMENT_ID_MAX, TRUE, &id, NULL);
  till_answer_get_string (payment, "currency", 3, TRUE, &currency, NULL);
  till_answer_get_int (payment, "amount", 0, TILL_ANSWER_AMOUNT_MAX, &amount, NULL);
  if (json_object_has_member (payment, "amount_refunded"))
    till_answer_get_int (payment, "amount_refunded", 0, amount, &refunded, NULL);
  held = pending_refunds (payment, amount - refunded);

  self->payment_id = g_strdup (id ? id : "");
  self->currency = g_strdup (currency);
  self->left = MAX (amount - refunded - held, 0);
  summary = describe_payment (self, payment, amount, refunded + held);
  gtk_label_set_text (self->summary_label, summary);
  /* The customary form, which the field reads back as it is. */
  left = format (self, self->left);
  gtk_editable_set_text (GTK_EDITABLE (self->amount_row), left);
}

TillRefundDialog *
till_refund_dialog_new (TillSession *session,
                        JsonObject  *payment)
{
  TillRefundDialog *self;

  g_return_val_if_fail (TILL_IS_SESSION (session), NULL);
  g_return_val_if_fail (payment != NULL, NULL);

  self = g_object_new (TILL_TYPE_REFUND_DIALOG, NULL);
  self->session = g_object_ref (session);
  self->needs_approval = !till_session_is_manager (session);
  read_payment (self, payment);
  self->request = till_refund_request_new (session, self->payment_id);
  gtk_widget_set_visible (GTK_WIDGET (self->approval_group), self->needs_approval);
  /* Room for every field and a message of two lines. */
  gtk_window_set_default_size (GTK_WINDOW (self), 440, self->needs_approval ? 640 : 400);
  update (self);
  /* The amount is what is asked first, and is typed over. */
  gtk_widget_grab_focus (GTK_WIDGET (self->amount_row));
  return self;
}

const char *
till_refund_dialog_get_message (TillRefundDialog *self)
{
  return self->message;
}

gboolean
till_refund_dialog_get_busy (TillRefundDialog *self)
{
  return self->busy;
}

gboolean
till_refund_dialog_get_can_send (TillRefundDialog *self)
{
  return self->can_send;
}

int
till_refund_dialog_get_outcome (TillRefundDialog *self)
{
  return self->outcome;
}

const char *
till_refund_dialog_get_amount_text (TillRefundDialog *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->amount_row));
}

const char *
till_refund_dialog_get_approver_password (TillRefundDialog *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->approver_password_row));
}

TillRefundRequest *
till_refund_dialog_get_request (TillRefundDialog *self)
{
  return self->request;
}

GtkWidget *
till_refund_dialog_get_approver_row (TillRefundDialog *self)
{
  return GTK_WIDGET (self->approver_row);
}

static void
till_refund_dialog_dispose (GObject *object)
{
  TillRefundDialog *self = (TillRefundDialog *)object;

  /* A refund sent stays sent; only its answer is no longer awaited. */
  g_cancellable_cancel (self->cancellable);
  g_clear_weak_pointer (&self->described);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_REFUND_DIALOG);

  G_OBJECT_CLASS (till_refund_dialog_parent_class)->dispose (object);
}

static void
till_refund_dialog_finalize (GObject *object)
{
  TillRefundDialog *self = (TillRefundDialog *)object;

  g_clear_object (&self->session);
  g_clear_object (&self->request);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->payment_id, g_free);
  g_clear_pointer (&self->currency, g_free);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (till_refund_dialog_parent_class)->finalize (object);
}

static void
till_refund_dialog_class_init (TillRefundDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_refund_dialog_dispose;
  object_class->finalize = till_refund_dialog_finalize;

  signals[REFUNDED] = g_signal_new ("refunded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-refund-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, refund_button);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, refund_group);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, amount_row);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, reason_row);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, approval_group);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, approver_row);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, approver_password_row);
  gtk_widget_class_bind_template_child (widget_class, TillRefundDialog, message_label);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, activated_cb);

  gtk_widget_class_install_action (widget_class, "refund.send", NULL, send_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
till_refund_dialog_init (TillRefundDialog *self)
{
  self->outcome = -1;
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_name_password_row (self->approver_password_row);
  till_a11y_fix_mnemonics (GTK_WIDGET (self));
}
