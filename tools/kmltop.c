// SPDX-License-Identifier: GPL-2.0
/*
 * kmltop - per KML process, system calls per second, split into those that
 * took KML's fast path and those that took the full path, with the reasons
 * for the full path.  man -l tools/kmltop.8
 *
 * Totals: the per-task counters the kernel keeps for every KML task
 * (thread_info.kml_syscalls, .kml_slow_syscalls), read each interval by a
 * BPF task iterator: one read(2) returns every KML task's counts, instead
 * of opening and parsing /proc/PID/task/TID/status for every thread of
 * every process.  Reasons: the kml:kml_syscall_full tracepoint, counted
 * per (process, reason) in a BPF hash map (kmltop.bpf.c).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kml-bpf.h"
#include "kml-bpf-util.h"
#include "kmltop.skel.h"

static struct {
	unsigned long pid;
	unsigned long count;		/* 0: until interrupted */
	double interval;
	bool json;
	int verbose;
} opt = { .interval = 1.0 };

static volatile sig_atomic_t exiting;

static const char usage[] =
"usage: kmltop [-i SECS] [-n COUNT] [-p PID] [-j] [-v]\n"
"Per KML process (one running a stamped program in ring 0): system calls\n"
"per second, how many took the fast path and how many the full path, and\n"
"why they took the full path (syscall_work, eflags, nr, exit_work).\n"
"\n"
"  -i, --interval SECS  seconds between reports (default 1; 0.001 to 3600)\n"
"  -n, --count COUNT    stop after COUNT reports (default: until SIGINT/SIGTERM)\n"
"  -p, --pid PID        process PID only (ends when it exits)\n"
"  -j, --json           one JSON object per process and report\n"
"  -v, --verbose        show libbpf's messages (twice: its debug messages too)\n"
"  -h, --help           this text\n"
"\n"
"Needs root (CAP_BPF, CAP_PERFMON) and a KML kernel with BTF.\n";

static const char *const why_name[KML_FULL_NWHY] = {
	[KML_FULL_WORK] = "syscall_work",
	[KML_FULL_EFLAGS] = "eflags",
	[KML_FULL_NR] = "nr",
	[KML_FULL_EXIT] = "exit_work",
};

/* Names of the syscall_work bits, from the kernel's enum syscall_work_bit. */
static char *work_bit[64];

static void load_work_names(const struct btf *btf)
{
	static const char prefix[] = "SYSCALL_WORK_BIT_";
	const struct btf_enum *e;
	const struct btf_type *t;
	const char *name;
	char *s;
	int id, i;

	id = btf__find_by_name_kind(btf, "syscall_work_bit", BTF_KIND_ENUM);
	if (id < 0)
		return;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		if (e->val < 0 || e->val >= 64)
			continue;
		name = btf__name_by_offset(btf, e->name_off);
		if (!strncmp(name, prefix, sizeof(prefix) - 1))
			name += sizeof(prefix) - 1;
		s = strdup(name);
		if (!s)
			continue;
		for (char *p = s; *p; p++)
			*p = tolower((unsigned char)*p);
		work_bit[e->val] = s;
	}
}

/* One snapshot of the counters and the reasons. */
struct snap {
	struct kml_task_rec *task;	/* sorted by tid */
	size_t ntask;
	struct kml_reason_key *rkey;
	struct kml_reason_val *rval;
	size_t nreason;
	__u64 ns;			/* CLOCK_MONOTONIC */
};

/* One process in a report. */
struct proc {
	__u32 tgid;
	char comm[KML_COMM_LEN];
	bool have_leader;
	bool ring0;
	unsigned int threads, live;
	__u64 calls, full;
	__u64 why[KML_FULL_NWHY];
	__u64 detail[KML_FULL_NWHY];
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct kml_task_rec *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void snap_free(struct snap *s)
{
	free(s->task);
	free(s->rkey);
	free(s->rval);
	memset(s, 0, sizeof(*s));
}

/* Every KML task's counters, through the iterator; 0 or -errno. */
static int read_tasks(struct kmltop_bpf *skel, struct snap *s)
{
	size_t cap = 64 * sizeof(struct kml_task_rec), len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = bpf_iter_create(bpf_link__fd(skel->links.kml_tasks));
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		if (len == cap) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	s->task = (struct kml_task_rec *)buf;
	s->ntask = len / sizeof(struct kml_task_rec);
	qsort(s->task, s->ntask, sizeof(*s->task), cmp_tid);
	return 0;
}

/* Every (tgid, why) counter of the reasons map. */
static int read_reasons(struct kmltop_bpf *skel, struct snap *s)
{
	int fd = bpf_map__fd(skel->maps.reasons);
	struct kml_reason_key key, next, *pk = NULL;
	size_t cap = 0;
	void *nk, *nv;

	while (!bpf_map_get_next_key(fd, pk, &next)) {
		key = next;
		pk = &key;
		if (s->nreason == cap) {
			cap = cap ? cap * 2 : 64;
			nk = realloc(s->rkey, cap * sizeof(*s->rkey));
			if (nk)
				s->rkey = nk;
			nv = realloc(s->rval, cap * sizeof(*s->rval));
			if (nv)
				s->rval = nv;
			if (!nk || !nv)
				return -ENOMEM;
		}
		if (bpf_map_lookup_elem(fd, &key, &s->rval[s->nreason]))
			continue;	/* deleted meanwhile */
		s->rkey[s->nreason++] = key;
	}
	return 0;
}

/*
 * The final counts of KML threads that exited since the last snapshot (the
 * exit hook's map, emptied here), added unless the iterator still saw the
 * thread (a zombie has its counts too).
 */
static int read_exited(struct kmltop_bpf *skel, struct snap *s)
{
	int fd = bpf_map__fd(skel->maps.exited);
	__u32 key, next, *pk = NULL, *keys = NULL, *nk;
	size_t n = 0, cap = 0, i, have = s->ntask;
	struct kml_task_rec r, *nt;
	int err = 0;

	while (!bpf_map_get_next_key(fd, pk, &next)) {
		key = next;
		pk = &key;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk) {
				err = -ENOMEM;
				goto out;
			}
			keys = nk;
		}
		keys[n++] = key;
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &keys[i], &r))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		if (bsearch(&r, s->task, have, sizeof(*s->task), cmp_tid))
			continue;
		nt = realloc(s->task, (s->ntask + 1) * sizeof(*s->task));
		if (!nt) {
			err = -ENOMEM;
			goto out;
		}
		s->task = nt;
		s->task[s->ntask++] = r;
	}
	qsort(s->task, s->ntask, sizeof(*s->task), cmp_tid);
out:
	free(keys);
	return err;
}

static int take_snap(struct kmltop_bpf *skel, struct snap *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->ns = now_ns();
	err = read_tasks(skel, s);
	if (!err)
		err = read_exited(skel, s);
	if (!err)
		err = read_reasons(skel, s);
	if (err)
		snap_free(s);
	return err;
}

static const struct kml_task_rec *find_tid(const struct snap *s, __u32 tid)
{
	struct kml_task_rec k = { .tid = tid };

	return bsearch(&k, s->task, s->ntask, sizeof(*s->task), cmp_tid);
}

static const struct kml_reason_val *find_reason(const struct snap *s,
						const struct kml_reason_key *k)
{
	size_t i;

	for (i = 0; i < s->nreason; i++)
		if (s->rkey[i].tgid == k->tgid && s->rkey[i].why == k->why)
			return &s->rval[i];
	return NULL;
}

static struct proc *get_proc(struct proc **procs, size_t *n, size_t *cap,
			     __u32 tgid)
{
	struct proc *p;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*procs)[i].tgid == tgid)
			return &(*procs)[i];
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		p = realloc(*procs, *cap * sizeof(**procs));
		if (!p)
			return NULL;
		*procs = p;
	}
	p = &(*procs)[(*n)++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	return p;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

static void print_work_bits(__u64 detail, bool json)
{
	bool first = true;
	int b;

	for (b = 0; b < 64; b++) {
		if (!(detail & (1ULL << b)))
			continue;
		if (json) {
			printf("%s", first ? "" : ",");
			if (work_bit[b])
				printf("\"%s\"", work_bit[b]);
			else
				printf("\"bit%d\"", b);
		} else {
			printf("%s", first ? "" : "|");
			if (work_bit[b])
				printf("%s", work_bit[b]);
			else
				printf("bit%d", b);
		}
		first = false;
	}
}

/* The reasons of @p, most frequent first. */
static int reason_order(const struct proc *p, int *order)
{
	int n = 0, i, j, t;

	for (i = 0; i < KML_FULL_NWHY; i++)
		if (p->why[i])
			order[n++] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && p->why[order[j]] > p->why[order[j - 1]]; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return n;
}

/*
 * Prints one report; returns the live threads of process -p PID, or -1 if
 * it is not in the report.
 */
static int report(const struct snap *prev, const struct snap *cur)
{
	double secs = (cur->ns - prev->ns) / 1e9;
	struct proc *procs = NULL, *p;
	size_t nproc = 0, cap = 0, i;
	const struct kml_task_rec *t, *o;
	int order[KML_FULL_NWHY], n, k;
	int live = -1;
	char tbuf[64];

	for (i = 0; i < cur->ntask; i++) {
		__u64 dc, df;

		t = &cur->task[i];
		o = find_tid(prev, t->tid);
		if (o && o->tgid == t->tgid && t->calls >= o->calls &&
		    t->full >= o->full) {
			dc = t->calls - o->calls;
			df = t->full - o->full;
		} else {
			/* new since the last report, or exec'd (counts restart) */
			dc = t->calls;
			df = t->full;
		}
		p = get_proc(&procs, &nproc, &cap, t->tgid);
		if (!p)
			break;
		if (!p->have_leader) {
			memcpy(p->comm, t->comm, sizeof(p->comm));
			p->comm[KML_COMM_LEN - 1] = '\0';
			p->have_leader = t->tid == t->tgid;
		}
		p->ring0 |= t->kml && !t->exited;
		p->threads++;
		p->live += !t->exited;
		p->calls += dc;
		p->full += df > dc ? dc : df;
	}
	for (i = 0; i < cur->nreason; i++) {
		const struct kml_reason_val *ov = find_reason(prev, &cur->rkey[i]);
		__u64 d = cur->rval[i].count - (ov && ov->count <= cur->rval[i].count ?
						ov->count : 0);
		__u32 why = cur->rkey[i].why;

		if (!d || why >= KML_FULL_NWHY)
			continue;
		for (k = 0; k < (int)nproc; k++)
			if (procs[k].tgid == cur->rkey[i].tgid)
				break;
		if (k == (int)nproc)
			continue;	/* exited: not a process of this report */
		procs[k].why[why] += d;
		procs[k].detail[why] = cur->rval[i].last_detail;
	}
	qsort(procs, nproc, sizeof(*procs), cmp_proc);

	kml_fmt_time(cur->ns, tbuf, sizeof(tbuf), opt.json);
	if (!opt.json) {
		printf("\n%s  %zu KML process%s, %.2f s\n", tbuf, nproc,
		       nproc == 1 ? "" : "es", secs);
		printf("%7s %-16s %4s %11s %11s %11s %7s  %s\n", "PID", "COMM", "THR",
		       "CALLS/s", "FAST/s", "FULL/s", "FAST%", "FULL-PATH REASONS");
	}
	for (i = 0; i < nproc; i++) {
		__u64 fast;

		p = &procs[i];
		if (p->tgid == opt.pid)
			live = p->live;
		fast = p->calls - p->full;
		n = reason_order(p, order);
		if (opt.json) {
			printf("{\"time\":\"%s\",\"interval\":%.3f,\"pid\":%u,\"comm\":",
			       tbuf, secs, p->tgid);
			kml_json_str(stdout, p->comm);
			printf(",\"threads\":%u,\"exited\":%s,\"ring0\":%s,\"calls\":%llu,\"fast\":%llu,\"full\":%llu,",
			       p->threads, p->live ? "false" : "true", p->ring0 ? "true" : "false",
			       (unsigned long long)p->calls, (unsigned long long)fast,
			       (unsigned long long)p->full);
			printf("\"calls_per_sec\":%.1f,\"fast_per_sec\":%.1f,\"full_per_sec\":%.1f,\"fast_pct\":",
			       p->calls / secs, fast / secs, p->full / secs);
			if (p->calls)
				printf("%.2f", 100.0 * fast / p->calls);
			else
				printf("null");
			printf(",\"reasons\":[");
			for (k = 0; k < n; k++) {
				int w = order[k];

				printf("%s{\"why\":\"%s\",\"count\":%llu,\"per_sec\":%.1f,\"detail\":\"%#llx\"",
				       k ? "," : "", why_name[w],
				       (unsigned long long)p->why[w], p->why[w] / secs,
				       (unsigned long long)p->detail[w]);
				if (w == KML_FULL_WORK) {
					printf(",\"work\":[");
					print_work_bits(p->detail[w], true);
					printf("]");
				}
				printf("}");
			}
			printf("]}\n");
			continue;
		}
		printf("%7u ", p->tgid);
		kml_text_str(stdout, p->comm);
		printf("%*s %4u %11.0f %11.0f %11.0f ", (int)(16 - strnlen(p->comm, 16)), "",
		       p->threads, p->calls / secs, fast / secs, p->full / secs);
		if (p->calls)
			printf("%7.2f  ", 100.0 * fast / p->calls);
		else
			printf("%7s  ", "-");
		if (!n)
			printf("-");
		for (k = 0; k < n; k++) {
			int w = order[k];
			__u64 all = 0;

			for (int j = 0; j < KML_FULL_NWHY; j++)
				all += p->why[j];
			printf("%s%s %.1f%%", k ? ", " : "", why_name[w],
			       100.0 * p->why[w] / all);
			if (w == KML_FULL_WORK) {
				printf(" (");
				print_work_bits(p->detail[w], false);
				printf(")");
			}
		}
		if (!p->live)
			printf(" (exited)");
		putchar('\n');
	}
	free(procs);
	return live;
}

/* Forget the reasons of processes that are gone (the map is LRU anyway). */
static void prune_reasons(struct kmltop_bpf *skel, const struct snap *s)
{
	int fd = bpf_map__fd(skel->maps.reasons);
	size_t i;

	for (i = 0; i < s->nreason; i++)
		if (kill(s->rkey[i].tgid, 0) && errno == ESRCH)
			bpf_map_delete_elem(fd, &s->rkey[i]);
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

/* Sleeps @secs unless a signal comes. */
static void nap(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (time_t)secs) * 1e9),
	};

	while (!exiting && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const tps[] = { "kml_syscall_full" };
	struct snap prev = { 0 }, cur;
	struct kmltop_bpf *skel;
	struct sigaction sa;
	unsigned long done = 0;
	struct btf *btf;
	int c, err, ret = 1;

	kml_tool = "kmltop";
	while ((c = getopt_long(argc, argv, "i:n:p:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (kml_parse_secs(optarg, 3600, &opt.interval) ||
			    opt.interval < 0.001) {
				kml_err("-i: '%s' is not a number of seconds (0.001 to 3600, e.g. 0.5)",
					optarg);
				return 2;
			}
			break;
		case 'n':
			if (kml_parse_uint(optarg, 1000000000, &opt.count)) {
				kml_err("-n: '%s' is not a count (a positive number)", optarg);
				return 2;
			}
			break;
		case 'p':
			if (kml_parse_uint(optarg, 0x3fffffff, &opt.pid)) {
				kml_err("-p: '%s' is not a process id (a positive number)", optarg);
				return 2;
			}
			break;
		case 'j':
			opt.json = true;
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "%s", usage);
			return 2;
		}
	}
	if (optind < argc) {
		kml_err("unexpected argument '%s' (--help for usage)", argv[optind]);
		return 2;
	}

	btf = kml_check_kernel(tps, 1, true);
	if (!btf)
		return 1;
	load_work_names(btf);
	btf__free(btf);
	if (opt.pid && kill(opt.pid, 0) && errno == ESRCH) {
		kml_err("no process %lu", opt.pid);
		return 1;
	}
	kml_libbpf_log(opt.verbose);
	kml_time_init();
	setvbuf(stdout, NULL, _IOLBF, 0);

	skel = kmltop_bpf__open();
	if (!skel) {
		kml_bpf_fail("open the BPF object", errno);
		return 1;
	}
	skel->rodata->targ_tgid = opt.pid;
	err = kmltop_bpf__load(skel);
	if (err) {
		kml_bpf_fail("load the BPF programs", err);
		goto out;
	}
	err = kmltop_bpf__attach(skel);
	if (err) {
		kml_bpf_fail("attach to kml:kml_syscall_full and the task iterator", err);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = take_snap(skel, &prev);
	if (err) {
		kml_bpf_fail("read the task iterator", err);
		goto out;
	}
	kml_err("tracing KML system calls%s, a report every %g s (Ctrl-C ends)",
		opt.pid ? " of one process" : "", opt.interval);
	while (!exiting && (!opt.count || done < opt.count)) {
		bool gone;

		nap(opt.interval);
		if (exiting)
			break;
		gone = opt.pid && kill(opt.pid, 0) && errno == ESRCH;
		err = take_snap(skel, &cur);
		if (err) {
			kml_bpf_fail("read the task iterator", err);
			goto out;
		}
		/* -p: gone, or all its threads have ended (a zombie) */
		if (report(&prev, &cur) == 0)
			gone = true;
		prune_reasons(skel, &cur);
		snap_free(&prev);
		prev = cur;
		done++;
		if (gone) {
			kml_err("process %lu has exited", opt.pid);
			break;
		}
	}
	if (skel->bss->lost_exits)
		kml_err("the final counts of %llu exited threads were lost (map full)",
			(unsigned long long)skel->bss->lost_exits);
	ret = 0;
out:
	snap_free(&prev);
	kmltop_bpf__destroy(skel);
	return ret;
}
