/* till-api-approvals.c: till-server's approval of what a terminal asks
 *
 * A terminal in kiosk mode lets nobody leave full screen, quit or open
 * Preferences without a manager's approval, and asks the server for it:
 * only the server knows the passwords. The manager's name and password
 * are checked like a sign-in, in the same check slots and counted by the
 * same limiters (till_api_check_password()), and every answer that checked
 * a password is in the audit log. A granted approval makes no session and
 * grants nothing on the server: it is the server's word to the terminal
 * that this manager said yes to this one thing.
 *
 * The route is public, since a kiosk may stand at its sign-in form with
 * nobody signed in; a session sent with it is checked all the same, and
 * names who asked in the log (docs/api.md says why this is safe).
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include "till-api-private.h"

/* Why a user whose password was checked may not approve, or NULL. */
static const char *
refusal_of (TillUser *approver)
{
  if (approver == NULL)
    return "wrong_credentials";
  if (approver->disabled)
    return "approver_disabled";
  if (!till_api_is_manager (approver))
    return "not_a_manager";
  return NULL;
}

static gboolean
approval_checked (TillApiRequest *req,
                  const char     *username,
                  TillUser       *approver)
{
  g_autoptr(JsonObject) body = till_api_parse_body (req, FALSE);
  g_autoptr(JsonBuilder) details = json_builder_new ();
  g_autoptr(JsonBuilder) answer = NULL;
  const char *requester = req->user ? req->user->name : NULL;
  const char *refusal = refusal_of (approver);
  TillApprovalInput input;
  TillApiProblem problem;

  /* Checked before the password, so this only reads it again. */
  if (body == NULL || !till_api_input_approval (body, &input, &problem))
    g_assert_not_reached ();

  json_builder_begin_object (details);
  till_api_add_string (details, "for", input.action);
  if (refusal != NULL)
    {
      till_api_audit_add_name_tried (details, req->self, "approver", username);
      till_api_add_string (details, "reason", refusal);
      till_api_audit (req, requester, TILL_AUDIT_APPROVAL_REFUSED, NULL, details);
      till_api_send_error (req->msg, 403, "approval_refused",
                           "The approval was refused: it needs the name and password of an "
                           "enabled manager");
      return FALSE;
    }
  till_api_add_string (details, "requested_by", requester);
  till_api_audit (req, approver->name, TILL_AUDIT_APPROVAL_GRANTED, NULL, details);

  answer = json_builder_new ();
  json_builder_begin_object (answer);
  till_api_add_string (answer, "action", input.action);
  till_api_add_user_as (answer, "approver", approver);
  json_builder_end_object (answer);
  till_api_send_json (req->msg, 200, answer);
  return TRUE;
}

static void
handle_approval (TillApiRequest *req)
{
  g_autoptr(JsonObject) body = NULL;
  TillApprovalInput input;
  TillApiProblem problem;

  /* Public, but a session sent is never taken unchecked: a revoked or
   * expired one gets its 401 as on any other route. */
  if (soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                    "Authorization") != NULL &&
      !till_api_authenticate (req, TILL_API_ACCESS_STAFF))
    return;
  if ((body = till_api_parse_body (req, FALSE)) == NULL)
    return;
  if (!till_api_input_approval (body, &input, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }
  till_api_check_password (req, input.username, input.password, approval_checked);
}

const TillApiRoute till_api_approvals_routes[] = {
  { "POST", "api/approvals", TILL_API_ACCESS_PUBLIC, handle_approval },
  { NULL }
};
