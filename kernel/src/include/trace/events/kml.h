/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux tracepoints (defined in fs/kml_trust.c).
 *
 *   kml:kml_exec         the verdict on every exec of a file that carries a
 *                        KML note: ring 0, ring 3 (and why), or refused (and
 *                        why); the stamped digest's first bytes, whether the
 *                        verification came from the cache, the stamp flags.
 *   kml:kml_syscall_full a system call of a KML task that took the full
 *                        path instead of the fast one, and why (the work
 *                        flags, or its EFLAGS, or its number).
 *
 * Both are off (a patched-out branch) unless someone attaches.  The fast
 * path itself has no tracepoint: its calls are counted per task
 * (thread_info.kml_syscalls, "KmlSyscalls:" in /proc/PID/status).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kml

#if !defined(_TRACE_KML_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KML_H

#include <linux/tracepoint.h>

#ifndef _TRACE_KML_ENUMS
#define _TRACE_KML_ENUMS
/* kml_exec: the verdict */
enum kml_verdict {
	KML_VERDICT_RING0 = 0,		/* runs its code at CPL 0 */
	KML_VERDICT_RING3 = 1,		/* runs as an ordinary program */
	KML_VERDICT_REFUSED = 2,	/* exec fails with EPERM */
};

/* kml_syscall_full: why the full path */
enum kml_full_why {
	KML_FULL_WORK = 0,	/* syscall_work at entry (detail: the bits) */
	KML_FULL_EFLAGS = 1,	/* EFLAGS the fast return cannot rebuild */
	KML_FULL_NR = 2,	/* a number beyond the table */
	KML_FULL_EXIT = 3,	/* exit work pending (detail: thread flags) */
};
#endif

#define KML_DIGEST_SHOWN	8

TRACE_EVENT(kml_exec,

	TP_PROTO(const char *filename, enum kml_verdict verdict,
		 const char *reason, const u8 *digest, int cached, u32 flags),

	TP_ARGS(filename, verdict, reason, digest, cached, flags),

	TP_STRUCT__entry(
		__string(filename, filename)
		__field(int, verdict)
		__string(reason, reason ?: "")
		__array(u8, digest, KML_DIGEST_SHOWN)
		__field(int, cached)
		__field(u32, flags)
	),

	TP_fast_assign(
		__assign_str(filename);
		__entry->verdict = verdict;
		__assign_str(reason);
		if (digest)
			memcpy(__entry->digest, digest, KML_DIGEST_SHOWN);
		else
			memset(__entry->digest, 0, KML_DIGEST_SHOWN);
		__entry->cached = cached;
		__entry->flags = flags;
	),

	TP_printk("file=%s verdict=%s reason=\"%s\" digest=%*phN cached=%d flags=%#x",
		  __get_str(filename),
		  __print_symbolic(__entry->verdict,
				   { KML_VERDICT_RING0, "ring0" },
				   { KML_VERDICT_RING3, "ring3" },
				   { KML_VERDICT_REFUSED, "refused" }),
		  __get_str(reason), KML_DIGEST_SHOWN, __entry->digest,
		  __entry->cached, __entry->flags)
);

TRACE_EVENT(kml_syscall_full,

	TP_PROTO(long nr, enum kml_full_why why, unsigned long detail),

	TP_ARGS(nr, why, detail),

	TP_STRUCT__entry(
		__field(long, nr)
		__field(int, why)
		__field(unsigned long, detail)
	),

	TP_fast_assign(
		__entry->nr = nr;
		__entry->why = why;
		__entry->detail = detail;
	),

	TP_printk("nr=%ld why=%s detail=%#lx", __entry->nr,
		  __print_symbolic(__entry->why,
				   { KML_FULL_WORK, "syscall_work" },
				   { KML_FULL_EFLAGS, "eflags" },
				   { KML_FULL_NR, "nr" },
				   { KML_FULL_EXIT, "exit_work" }),
		  __entry->detail)
);

#endif /* _TRACE_KML_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
