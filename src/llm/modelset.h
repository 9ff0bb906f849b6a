/* modelset — every provider and its models, asked all at once on the loop:
 * whether each provider is usable (credentials) and reachable, and its models
 * joined with the catalog (context window, price). Shared by `aiwb models`
 * and the workbench's Models pane; plain data out, callbacks from the loop.
 *
 * modelset_start opens each provider (a provider that cannot be opened gets
 * MS_NO_CREDENTIALS and the reason) and starts its model listing; `changed`
 * runs from the loop each time a provider's answer arrives, and `done` once
 * when none is pending. The set keeps the opened providers, so callers can
 * run chats with them (modelset_provider). */
#ifndef AIWB_MODELSET_H
#define AIWB_MODELSET_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "config.h"
#include "llm/catalog.h"
#include "llm/provider.h"
#include "loop.h"

enum ms_state { MS_CHECKING, MS_REACHABLE, MS_UNREACHABLE, MS_ERROR, MS_NO_CREDENTIALS };

struct ms_model {
	char *id;              /* MODEL */
	char *spec;            /* PROVIDER/MODEL */
	char *name;            /* display name or NULL */
	int64_t context;       /* 0 when unknown */
	int has_price;
	double input_per_mtok, output_per_mtok;
	const char *price_source;   /* borrowed from the catalog; NULL when none */
	const char *price_recorded;
	int embedding;
};

struct ms_provider {
	char *name, *type;
	char *endpoint;        /* NULL when not opened */
	char *key_source;      /* where its credentials come from; NULL when none */
	enum ms_state state;
	char *message;         /* why not reachable/usable; NULL when fine */
	struct ms_model *models;
	size_t nmodels;
	/* private */
	struct provider *p;
	struct provider_call *call;
	struct modelset *set;
};

struct modelset {
	struct ms_provider *providers;
	size_t n;
	int pending;
	const struct catalog *catalog;
	void (*changed)(void *ud);
	void (*done)(void *ud);
	void *ud;
};

/* only: a provider name, or NULL for all. Returns -1 with e when `only` names
 * no provider. */
int modelset_start(struct modelset *ms, struct loop *l, const struct config *cfg, const struct catalog *cat,
		   const char *only, void (*changed)(void *ud), void (*done)(void *ud), void *ud, struct err *e);
/* Asks every provider again that is not being asked now: one that could not
 * be opened is opened again (its key may be set by now), the others list
 * their models again. A provider keeps the models it has until its new list
 * arrives. Opened providers are never replaced, so streams using them go on.
 * Returns how many providers are being asked. */
size_t modelset_refresh(struct modelset *ms, struct loop *l, const struct config *cfg);
/* Stops every pending listing (no more callbacks); those providers become MS_UNREACHABLE "cancelled". */
void modelset_cancel(struct modelset *ms);
void modelset_free(struct modelset *ms);
const char *ms_state_name(enum ms_state s);
/* The opened provider called name (borrowed), or NULL. */
struct provider *modelset_provider(const struct modelset *ms, const char *name);

#endif
