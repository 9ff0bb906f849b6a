/* dynlib — a shared library opened on first use instead of linked, so a
 * start that never needs it does not pay for loading and relocating it (and
 * the libraries it brings). A user keeps one struct dynlib and a table of
 * typed pointers filled by dynlib_resolve, and calls through the table:
 * (*table.p_name)(...) for a function, *table.p_name for a variable. */
#ifndef AIWB_DYNLIB_H
#define AIWB_DYNLIB_H

struct dynlib {
	int state;      /* 0 not tried, 1 open and resolved, -1 failed */
	char why[256];  /* when failed: one sentence naming the library and what is missing */
	void *handle;
};

/* Opens soname (RTLD_NOW | RTLD_LOCAL) unless tried before: 1 when open, 0
 * when it failed now or earlier (d->why says why). */
int dynlib_open(struct dynlib *d, const char *soname);
/* Copies the address of symbol name into *slot (a typed pointer, e.g. a
 * function pointer's address): 0, or -1 with d->state -1 and d->why set;
 * after a failure it does nothing and returns -1, so why names the first. */
int dynlib_resolve(struct dynlib *d, const char *soname, const char *name, void *slot);

#endif
