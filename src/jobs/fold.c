#include "jobs/fold.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int is_unfolded(const int64_t *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return 1;
	return 0;
}

/* Children in the order of their ids, numbers compared as numbers:
 * slurm:41_2 before slurm:41_10, whatever the list is sorted by. */
static int child_cmp(const void *a, const void *b, void *ud)
{
	const struct job_list *l = ud;
	const struct job *x = &l->v[*(const size_t *)a], *y = &l->v[*(const size_t *)b];
	int c = strverscmp(x->ext_id ? x->ext_id : "", y->ext_id ? y->ext_id : "");
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

size_t job_fold_children(const struct job_list *l, int64_t id)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += id > 0 && l->v[i].parent_id == id;
	return n;
}

size_t job_fold_rows(const struct job_list *l, const size_t *sorted, size_t n, const int64_t *unfolded,
		     size_t n_unfolded, size_t *out, int *depth)
{
	/* the ids in the list, sorted: an array's thousands of tasks look up their parent in log time */
	int64_t *ids = xcalloc(l->n ? l->n : 1, sizeof *ids);
	for (size_t i = 0; i < l->n; i++)
		ids[i] = l->v[i].id;
	qsort(ids, l->n, sizeof *ids, id_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct job *j = &l->v[sorted[i]];
		if (j->parent_id && bsearch(&j->parent_id, ids, l->n, sizeof *ids, id_cmp))
			continue;
		if (depth)
			depth[k] = 0;
		out[k++] = sorted[i];
		if (!is_unfolded(unfolded, n_unfolded, j->id))
			continue;
		size_t first = k;
		for (size_t c = 0; c < n; c++)
			if (l->v[sorted[c]].parent_id == j->id && sorted[c] != sorted[i]) {
				if (depth)
					depth[k] = 1;
				out[k++] = sorted[c];
			}
		qsort_r(out + first, k - first, sizeof *out, child_cmp, (void *)(uintptr_t)l);
	}
	free(ids);
	return k;
}
