/* till-test-harness.h: real till-server and Stripe stand-in processes for tests
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define TILL_TEST_SECRET_KEY "sk_test_till_harness_0123456789"

typedef struct
{
  GSubprocess *process;
  char        *url;         /* http://127.0.0.1:PORT, no trailing slash */
  char        *err_path;    /* its stderr */
} TillTestStripe;

typedef struct
{
  GSubprocess *process;
  char        *url;         /* http://127.0.0.1:PORT */
  char        *err_path;    /* its stderr */
} TillTestProxy;

typedef struct
{
  char        *dir;         /* temporary folder: config, database, log */
  char        *config_path;
  char        *log_path;
  char        *stripe_url;
  char        *extra_config;
  GSubprocess *process;
  char        *url;         /* http://127.0.0.1:PORT or https://…, no trailing slash */
  guint        fd_limit;    /* RLIMIT_NOFILE, soft and hard, for the server; 0: inherited */
} TillTestServer;

typedef struct
{
  guint               status;
  JsonNode           *json;    /* NULL when the body was not JSON */
  char               *body;
  SoupMessageHeaders *headers;
} TillTestResponse;

/* The stand-in is one process per test program, started on first use. */
TillTestStripe   *till_test_stripe_get          (void);
void              till_test_count_notify_cb     (GObject          *object,
                                                 GParamSpec       *pspec,
                                                 guint            *count);
JsonNode         *till_test_stripe_get_json     (const char       *path);
JsonNode         *till_test_stripe_call         (const char       *method,
                                                 const char       *path,
                                                 const char       *json);
void              till_test_stripe_post_json    (const char       *path,
                                                 const char       *json);
guint             till_test_stripe_count_requests (const char     *method,
                                                 const char       *path);
void              till_test_stripe_assert_conforms (void);
/* Plays the customer's answer ("succeed" or "fail") to the 3-D Secure
 * challenge of till-server's payment payment_id at the stand-in. */
char             *till_test_stripe_find         (const char       *list_path,
                                                 const char       *key,
                                                 const char       *value);
void              till_test_stripe_authenticate (const char       *payment_id,
                                                 const char       *result);
guint             till_test_stripe_count_for_payment (const char  *object_path,
                                                 const char       *payment_id,
                                                 const char       *status,
                                                 gint64           *out_amount);

void              till_test_assert_running      (GSubprocess      *process,
                                                 const char       *what,
                                                 const char       *err_path);
TillTestProxy    *till_test_proxy_start        (const char       *target_url);
void              till_test_proxy_plan          (TillTestProxy    *proxy,
                                                 const char       *faults,
                                                 guint             delay_ms);
JsonNode         *till_test_proxy_get_log       (TillTestProxy    *proxy);
void              till_test_proxy_assert_fresh_connections (JsonNode *log);
void              till_test_proxy_free          (TillTestProxy    *proxy);

TillTestServer   *till_test_server_new          (const char       *stripe_url,
                                                 const char       *extra_config);
void              till_test_server_start        (TillTestServer   *server);
void              till_test_server_set_fd_limit (TillTestServer   *server,
                                                 guint             limit);
void              till_test_server_stop         (TillTestServer   *server);
GSubprocessLauncher *till_test_server_new_launcher (TillTestServer *server,
                                                 GSubprocessFlags  flags);
void              till_test_server_kill         (TillTestServer   *server);
/* kill () now, not later from GLib's worker thread; SIGSTOP and SIGCONT
 * return once the process is stopped, or running again. */
void              till_test_signal              (GSubprocess      *process,
                                                 int               signal_number);
void              till_test_server_free         (TillTestServer   *server);
int               till_test_server_cli          (TillTestServer   *server,
                                                 const char       *stdin_text,
                                                 char            **out_stdout,
                                                 char            **out_stderr,
                                                 ...) G_GNUC_NULL_TERMINATED;
void              till_test_server_add_user     (TillTestServer   *server,
                                                 const char       *name,
                                                 const char       *role,
                                                 const char       *password);
char             *till_test_server_login        (TillTestServer   *server,
                                                 const char       *name,
                                                 const char       *password);
gint64            till_test_server_count_payments (TillTestServer *server,
                                                 const char       *manager_token);
char             *till_test_server_read_log     (TillTestServer   *server);
/* The server process's peak resident memory (VmHWM) in KiB. */
/* "[server]\nport=N\n" with a port free now, so that a server stopped
 * and started again is where its clients look. */
char             *till_test_fixed_port_config   (void);
void              till_test_server_expire_sessions (TillTestServer *server);
/* Writes payments straight into the server's database (see the .c). */
void              till_test_server_seed_payments (TillTestServer *server,
                                                 const char       *username,
                                                 guint             count,
                                                 gint64           newest_age);
gint64            till_test_server_count_rows   (TillTestServer   *server,
                                                 const char       *sql);
JsonNode         *till_test_server_newest_audit (TillTestServer   *server,
                                                 const char       *manager_token,
                                                 const char       *action);
guint64           till_test_server_peak_rss_kib (TillTestServer   *server);
guint64           till_test_server_rss_kib      (TillTestServer   *server);
/* Connects to the server, writes request as it is, and returns all it
 * answers until it closes the connection (or timeout_seconds pass, which
 * fails the test). */
char             *till_test_raw_exchange        (TillTestServer   *server,
                                                 const char       *request,
                                                 guint             timeout_seconds);

TillTestResponse *till_test_request             (TillTestServer   *server,
                                                 const char       *method,
                                                 const char       *path,
                                                 const char       *token,
                                                 const char       *idempotency_key,
                                                 const char       *content_type,
                                                 const char       *body,
                                                 gssize            body_length);
TillTestResponse *till_test_get                 (TillTestServer   *server,
                                                 const char       *path,
                                                 const char       *token);
TillTestResponse *till_test_post_json           (TillTestServer   *server,
                                                 const char       *path,
                                                 const char       *token,
                                                 const char       *idempotency_key,
                                                 const char       *json);
void              till_test_response_free       (TillTestResponse *response);

const char       *till_test_json_string         (JsonNode         *node,
                                                 const char       *path);
gint64            till_test_json_int            (JsonNode         *node,
                                                 const char       *path);
char             *till_test_new_key             (void);
/* A new folder from tmpl (g_dir_make_tmp's "till-NAME-XXXXXX"), removed
 * with all it holds at exit when till_test_run () passed; a failed or
 * crashed program leaves its folders for whoever reads the failure. */
char             *till_test_make_tmp_dir        (const char       *tmpl);
int               till_test_run                 (void);
int               till_test_finish              (int               status);
void              till_test_xdo                 (const char       *first,
                                                 ...) G_GNUC_NULL_TERMINATED;
void              till_test_settle              (guint             milliseconds);
void              till_test_drain               (void);
void              till_test_age_file            (const char       *path,
                                                 gint64            seconds);
void              till_test_keep_off_midnight   (guint             seconds);
/* Whether process exits within seconds; killed (and reaped) if not. */
gboolean          till_test_wait_exit           (GSubprocess      *process,
                                                 guint             seconds);
/* Runs the main loop until condition (data) holds; g_error()s naming what
 * after seconds (till_test_wait_for: 40 s). */
typedef gboolean (*TillTestCondition) (gconstpointer data);
void              till_test_wait_until          (TillTestCondition condition,
                                                 gconstpointer     data,
                                                 guint             seconds,
                                                 const char       *what);
void              till_test_wait_for            (TillTestCondition condition,
                                                 gconstpointer     data,
                                                 const char       *what);
/* X key events to the focused window (xdotool): text typed 30 ms a key,
 * keys ("ctrl+q Return") pressed 20 ms apart. */
void              till_test_type                (const char       *text);
void              till_test_press               (const char       *keys);
gboolean          till_test_take_flag           (int              *argc,
                                                 char            **argv,
                                                 const char       *flag);
void              till_test_make_certificate    (const char       *dir,
                                                 char            **out_cert,
                                                 char            **out_key);

/* Async tests: pass till_test_result_cb with &slot as user data, then
 * till_test_wait (&slot) iterates the thread-default main context until
 * the result is there and returns it (owned by the slot). */
void              till_test_result_cb           (GObject          *object,
                                                 GAsyncResult     *result,
                                                 gpointer          user_data);
GAsyncResult     *till_test_wait                (GAsyncResult    **slot);
/* How many lines of the server's log contain needle, e.g.
 * "path=/api/login status=200". */
guint             till_test_server_count_log    (TillTestServer   *server,
                                                 const char       *needle);
/* The same after waiting (up to 30 s) for at least expected: a request's
 * line is written once its answer has been sent. */
guint             till_test_server_wait_log     (TillTestServer   *server,
                                                 const char       *needle,
                                                 guint             expected);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillTestServer, till_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillTestResponse, till_test_response_free)

#define till_assert_error_code(response, expected_status, expected_code) \
  G_STMT_START { \
    g_assert_cmpuint ((response)->status, ==, (expected_status)); \
    g_assert_nonnull ((response)->json); \
    g_assert_cmpstr (till_test_json_string ((response)->json, "error.code"), ==, (expected_code)); \
    g_assert_nonnull (till_test_json_string ((response)->json, "error.message")); \
  } G_STMT_END

G_END_DECLS
