/* SPDX-License-Identifier: MIT */
/*
 * query.c --- the questions drydock-gc answers without changing the store
 * (why, du): the mark and the plan of a dry run, then the answer, and the
 * exit code a run would have.
 */
#include <stdio.h>

#include "fe/jsonhead.h"
#include "gc.h"

json_t *
gc_query_json(const struct gc_run *run, const char *command)
{
	const struct gc_opts *o = run->opts;
	json_t *root = json_object();

	fe_json_head(root, "drydock-gc", 1, run->start_ns);
	json_object_set_new(root, "command", json_string(command));
	json_object_set_new(
	    root, "root", json_string(drydock_store_root(run->st)));
	json_object_set_new(
	    root, "delete_untagged", json_boolean(o->delete_untagged));
	json_object_set_new(root, "grace_seconds", json_integer(o->grace));
	if (o->policy_file != NULL)
		json_object_set_new(
		    root, "policy", json_string(o->policy_file));
	json_object_set_new(root, "problems", gc_problems_json(run));
	json_object_set_new(root, "exit_code", json_integer(run->exit_code));
	return root;
}

int
gc_query(
    struct gc_run *run, int (*answer)(struct gc_run *run, void *arg), void *arg)
{
	struct drydock_store *st = run->st;
	int error;

	drydock_store_set_problem_cb(st, gc_problem, run);
	if ((error = gc_mark(run)) == 0 && (error = gc_plan(run)) == 0)
		error = answer(run, arg);
	drydock_store_set_problem_cb(st, NULL, NULL);
	if (error < 0 && error != DRYDOCK_EINTR)
		fprintf(stderr, "drydock-gc: %s\n", drydock_error_message());
	return error == DRYDOCK_EINTR ? DRYDOCK_EXIT_INTERRUPTED
	    : error < 0               ? DRYDOCK_EXIT_OPERATIONAL
	                              : run->exit_code;
}
