/* doctor — what aiwb sees, for when something does not work: the data home
 * (exists, writable, or why it cannot be created), the database (schema,
 * runs, or why it cannot be read), the config file and its warnings, the
 * share directory, whether core dumps are allowed, the versions and features
 * of the libraries, and each provider's endpoint and where its credentials
 * come from (never the credentials). Reads only; changes nothing.
 *
 * The report is the JSON of `aiwb doctor --json` (docs/cli.md); *fatal is set
 * when something found stops aiwb from working (the data home or database
 * unusable, the config invalid). The curses and readline versions come from
 * the caller (the core does not link them); NULL reads "unknown". */
#ifndef AIWB_DOCTOR_H
#define AIWB_DOCTOR_H

#include <cjson/cJSON.h>

cJSON *doctor_report(const char *ui_version, const char *readline_version, int *fatal);

#endif
