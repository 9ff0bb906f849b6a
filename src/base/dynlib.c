#include "base/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int dynlib_open(struct dynlib *d, const char *soname)
{
	if (d->state)
		return d->state > 0;
	d->state = -1;
	d->handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!d->handle) {
		const char *why = dlerror();
		snprintf(d->why, sizeof d->why, "%s cannot be loaded: %s", soname, why ? why : "unknown reason");
		return 0;
	}
	d->state = 1;
	return 1;
}

int dynlib_resolve(struct dynlib *d, const char *soname, const char *name, void *slot)
{
	if (d->state < 0)
		return -1; /* the first failure is the one said */
	void *sym = d->handle ? dlsym(d->handle, name) : NULL;
	if (!sym) {
		d->state = -1;
		snprintf(d->why, sizeof d->why, "%s has no %s", soname, name);
		return -1;
	}
	memcpy(slot, &sym, sizeof sym);
	return 0;
}
