/* out — how the commands print untrusted text: to the terminal sanitized
 * (base/sanitize.h) when asked, into JSON always valid UTF-8, and a JSON
 * document on stdout. */
#ifndef AIWB_CLI_OUT_H
#define AIWB_CLI_OUT_H

#include <cjson/cJSON.h>

/* s on stdout; sanitized when safe (stdout is a terminal, or always when not raw). */
void cli_put_text(const char *s, int safe);
/* s as o's string key: made valid UTF-8 when raw, else sanitized. */
void cli_json_text(cJSON *o, const char *key, const char *s, int raw);
/* o printed (indented) on stdout, then freed. */
void cli_print_json(cJSON *o);

#endif
