/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml-bpf.h - what the BPF halves of kmlsnoop and kmltop hand to their
 * user-space halves.  Included by the .bpf.c files (after vmlinux.h) and by
 * the loaders (after <linux/types.h>).
 *
 * The kernel side (include/trace/events/kml.h of a KML kernel):
 *   kml:kml_exec (filename, verdict, reason, digest[8], cached, flags)
 *   kml:kml_syscall_full (nr, why, detail)
 *   task_struct.thread_info.kml_syscalls / .kml_slow_syscalls
 */
#ifndef KML_BPF_H
#define KML_BPF_H

/* enum kml_verdict of the kml_exec tracepoint */
#define KML_VERDICT_RING0	0
#define KML_VERDICT_RING3	1
#define KML_VERDICT_REFUSED	2

/* enum kml_full_why of the kml_syscall_full tracepoint */
#define KML_FULL_WORK		0	/* syscall_work at entry */
#define KML_FULL_EFLAGS		1	/* EFLAGS the fast return cannot rebuild */
#define KML_FULL_NR		2	/* a number beyond the table */
#define KML_FULL_EXIT		3	/* exit work pending */
#define KML_FULL_NWHY		4

#define KML_DIGEST_SHOWN	8	/* bytes of the stamped SHA-256 */
#define KML_COMM_LEN		16	/* TASK_COMM_LEN */
#define KML_REASON_LEN		128	/* the longest reason is ~70 bytes */
#define KML_PATH_LEN		4096	/* PATH_MAX: bprm->filename never exceeds it */

/* Stamp flags (elfnote/kml_note.h): bit 0, privileged instructions allowed. */
#define KML_STAMP_F_PRIVILEGED	0x1

/* One kml_exec event, through the ring buffer (kmlsnoop). */
struct kml_exec_event {
	__u64 ts_ns;			/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 pid;			/* the exec'ing process (tgid) */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__s32 verdict;			/* KML_VERDICT_* */
	__s32 cached;			/* verification from the per-inode cache */
	__u32 flags;			/* stamp flags */
	__u8 digest[KML_DIGEST_SHOWN];	/* zero: not computed */
	char comm[KML_COMM_LEN];	/* still the old program's */
	char reason[KML_REASON_LEN];	/* empty for ring 0 */
	char path[KML_PATH_LEN];	/* bprm->filename, as exec was given it */
};

/*
 * One task with KML system-call counts, as the task iterator of kmltop
 * writes it (bpf_seq_write, fixed size).
 */
struct kml_task_rec {
	__u32 tgid;
	__u32 tid;
	__u64 calls;			/* thread_info.kml_syscalls */
	__u64 full;			/* thread_info.kml_slow_syscalls */
	__u32 kml;			/* TIF_KML: runs in ring 0 now */
	__u32 exited;			/* final counts: exit hook, or a zombie */
	char comm[KML_COMM_LEN];
};

/* kmltop's map of full-path reasons: key (tgid, why). */
struct kml_reason_key {
	__u32 tgid;
	__u32 why;			/* KML_FULL_* */
};

struct kml_reason_val {
	__u64 count;
	__u64 detail_or;		/* the details OR-ed (work bits, flags) */
	__u64 last_detail;
	__s64 last_nr;
};

#endif /* KML_BPF_H */
