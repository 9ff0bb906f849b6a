#include "jobs/fold.h"

static int in_list(const struct job_list *l, int64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return 1;
	return 0;
}

static int is_unfolded(const int64_t *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return 1;
	return 0;
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
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct job *j = &l->v[sorted[i]];
		if (j->parent_id && in_list(l, j->parent_id))
			continue;
		if (depth)
			depth[k] = 0;
		out[k++] = sorted[i];
		if (!is_unfolded(unfolded, n_unfolded, j->id))
			continue;
		for (size_t c = 0; c < n; c++)
			if (l->v[sorted[c]].parent_id == j->id && sorted[c] != sorted[i]) {
				if (depth)
					depth[k] = 1;
				out[k++] = sorted[c];
			}
	}
	return k;
}
