// SPDX-License-Identifier: GPL-2.0
/*
 * kmlsnoop - one line per exec of a file that carries a KML note: who
 * exec'd it, and whether it runs in ring 0, in ring 3 (and why), or was
 * refused (and why).  The kernel's kml:kml_exec tracepoint, read through a
 * BPF ring buffer (kmlsnoop.bpf.c).  man -l tools/kmlsnoop.8
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kml-bpf.h"
#include "kml-bpf-util.h"
#include "kmlsnoop.skel.h"

static struct {
	unsigned long pid;
	bool refused;
	bool json;
	int verbose;
} opt;

static volatile sig_atomic_t exiting;

static const char usage[] =
"usage: kmlsnoop [-r] [-p PID] [-j] [-v]\n"
"One line per exec of a file that carries a KML note (kml:kml_exec):\n"
"TIME PID PPID COMM VERDICT REASON PATH.  VERDICT is ring0, ring3 (runs as\n"
"an ordinary program) or refused (exec fails with EPERM); COMM is the\n"
"program that called exec.  Runs until SIGINT or SIGTERM.\n"
"\n"
"  -r, --refused     refused execs only\n"
"  -p, --pid PID     execs by process PID only\n"
"  -j, --json        one JSON object per line (adds tid, uid, digest, cached, flags)\n"
"  -v, --verbose     show libbpf's messages (twice: its debug messages too)\n"
"  -h, --help        this text\n"
"\n"
"Needs root (CAP_BPF, CAP_PERFMON) and a KML kernel with BTF.\n";

static const char *verdict_name(int v)
{
	switch (v) {
	case KML_VERDICT_RING0:
		return "ring0";
	case KML_VERDICT_RING3:
		return "ring3";
	case KML_VERDICT_REFUSED:
		return "refused";
	default:
		return "unknown";
	}
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int print_event(void *ctx, void *data, size_t size)
{
	const struct kml_exec_event *e = data;
	char tbuf[64];
	bool have_digest = false;
	unsigned int i;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	for (i = 0; i < KML_DIGEST_SHOWN; i++)
		have_digest |= e->digest[i] != 0;

	if (opt.json) {
		kml_fmt_time(e->ts_ns, tbuf, sizeof(tbuf), true);
		printf("{\"time\":\"%s\",\"pid\":%u,\"tid\":%u,\"ppid\":%u,\"uid\":%u,\"comm\":",
		       tbuf, e->pid, e->tid, e->ppid, e->uid);
		kml_json_str(stdout, e->comm);
		printf(",\"verdict\":\"%s\",\"reason\":", verdict_name(e->verdict));
		kml_json_str(stdout, e->reason);
		printf(",\"path\":");
		kml_json_str(stdout, e->path);
		printf(",\"digest\":");
		if (have_digest) {
			putchar('"');
			for (i = 0; i < KML_DIGEST_SHOWN; i++)
				printf("%02x", e->digest[i]);
			putchar('"');
		} else {
			printf("null");
		}
		printf(",\"cached\":%s,\"flags\":%u,\"privileged\":%s}\n",
		       e->cached ? "true" : "false", e->flags,
		       e->flags & KML_STAMP_F_PRIVILEGED ? "true" : "false");
	} else {
		kml_fmt_time(e->ts_ns, tbuf, sizeof(tbuf), false);
		printf("%-8s %-7u %-7u ", tbuf, e->pid, e->ppid);
		kml_text_str(stdout, e->comm);
		printf("%*s %-7s ", (int)(16 - strnlen(e->comm, 16)), "",
		       verdict_name(e->verdict));
		if (e->reason[0]) {
			putchar('"');
			kml_text_str(stdout, e->reason);
			putchar('"');
		} else {
			putchar('-');
		}
		putchar(' ');
		kml_text_str(stdout, e->path);
		putchar('\n');
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "refused", no_argument, NULL, 'r' },
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const tps[] = { "kml_exec" };
	struct ring_buffer *rb = NULL;
	struct kmlsnoop_bpf *skel;
	struct sigaction sa;
	struct btf *btf;
	int c, err, ret = 1;

	kml_tool = "kmlsnoop";
	while ((c = getopt_long(argc, argv, "rp:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			opt.refused = true;
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

	btf = kml_check_kernel(tps, 1, false);
	if (!btf)
		return 1;
	btf__free(btf);
	kml_libbpf_log(opt.verbose);
	kml_time_init();
	setvbuf(stdout, NULL, _IOLBF, 0);

	skel = kmlsnoop_bpf__open();
	if (!skel) {
		kml_bpf_fail("open the BPF object", errno);
		return 1;
	}
	skel->rodata->targ_tgid = opt.pid;
	skel->rodata->refused_only = opt.refused;
	err = kmlsnoop_bpf__load(skel);
	if (err) {
		kml_bpf_fail("load the BPF program", err);
		goto out;
	}
	err = kmlsnoop_bpf__attach(skel);
	if (err) {
		kml_bpf_fail("attach to kml:kml_exec", err);
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), print_event, NULL, NULL);
	if (!rb) {
		kml_bpf_fail("open the ring buffer", errno);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: the poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!opt.json)
		printf("%-8s %-7s %-7s %-16s %-7s %s %s\n", "TIME", "PID", "PPID",
		       "COMM", "VERDICT", "REASON", "PATH");
	kml_err("tracing execs of files with a KML note%s%s (Ctrl-C ends)",
		opt.refused ? ", refusals only" : "",
		opt.pid ? ", by one process" : "");

	while (!exiting) {
		err = ring_buffer__poll(rb, 250);
		if (err == -EINTR)
			continue;
		if (err < 0) {
			kml_bpf_fail("read the ring buffer", err);
			goto out;
		}
	}
	/* What arrived before the signal is still printed. */
	ring_buffer__consume(rb);
	if (skel->bss->lost)
		kml_err("%llu events lost (ring buffer full)",
			(unsigned long long)skel->bss->lost);
	ret = 0;
out:
	ring_buffer__free(rb);
	kmlsnoop_bpf__destroy(skel);
	return ret;
}
