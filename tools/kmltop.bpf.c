// SPDX-License-Identifier: GPL-2.0
/*
 * kmltop.bpf.c - the in-kernel half of kmltop.
 *
 *   iter/task: one struct kml_task_rec per task that runs a KML program
 *     (or has KML system-call counts since its exec), read with read(2)
 *     from an iterator fd: the per-task counters thread_info.kml_syscalls
 *     and .kml_slow_syscalls, which the fast path keeps for every call.
 *   tp_btf/sched_process_exit: the same record, final, for a KML task
 *     that exits (kept by tid in the exited map until kmltop reads it), so
 *     that a thread or process that ends between two reports still counts.
 *   tp_btf/kml_syscall_full: every system call that took the full path,
 *     counted per (tgid, why) in the reasons hash map.
 *
 * The KML fields are read through a local flavour of thread_info
 * (CO-RE), so this object builds against any vmlinux.h; the loader checks
 * the running kernel's BTF for them before loading.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "kml-bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* TIF_KML: arch/x86/include/asm/thread_info.h of a KML kernel */
#define KML_TIF_KML	6

const volatile __u32 targ_tgid;		/* 0: every process */

struct thread_info___kml {
	unsigned long flags;
	unsigned long kml_syscalls;
	unsigned long kml_slow_syscalls;
} __attribute__((preserve_access_index));

struct task_struct___kml {
	struct thread_info___kml thread_info;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct kml_reason_key);
	__type(value, struct kml_reason_val);
} reasons SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);		/* tid */
	__type(value, struct kml_task_rec);
} exited SEC(".maps");

/* Exits whose counts did not fit in the exited map. */
__u64 lost_exits;

/* @task's KML counts into @r; false if it is no KML task (or filtered). */
static __always_inline bool task_rec(struct task_struct *task,
				     struct kml_task_rec *r)
{
	struct task_struct___kml *t = (void *)task;

	r->tgid = BPF_CORE_READ(task, tgid);
	if (targ_tgid && r->tgid != targ_tgid)
		return false;
	r->calls = BPF_CORE_READ(t, thread_info.kml_syscalls);
	r->full = BPF_CORE_READ(t, thread_info.kml_slow_syscalls);
	r->kml = (BPF_CORE_READ(t, thread_info.flags) >> KML_TIF_KML) & 1;
	if (!r->kml && !r->calls)
		return false;
	r->tid = BPF_CORE_READ(task, pid);
	r->exited = BPF_CORE_READ(task, exit_state) != 0;	/* a zombie */
	BPF_CORE_READ_STR_INTO(&r->comm, task, comm);
	return true;
}

SEC("iter/task")
int kml_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct kml_task_rec r = {};

	if (task && task_rec(task, &r))
		bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kml_exit)
{
	struct kml_task_rec r = {};

	if (!task_rec(bpf_get_current_task_btf(), &r))
		return 0;
	r.exited = 1;
	if (bpf_map_update_elem(&exited, &r.tid, &r, BPF_ANY))
		__sync_fetch_and_add(&lost_exits, 1);
	return 0;
}

SEC("tp_btf/kml_syscall_full")
int BPF_PROG(kml_syscall_full, long nr, int why, unsigned long detail)
{
	struct kml_reason_key k = {
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.why = why,
	};
	struct kml_reason_val *v, zero = {};

	if (targ_tgid && k.tgid != targ_tgid)
		return 0;
	v = bpf_map_lookup_elem(&reasons, &k);
	if (!v) {
		bpf_map_update_elem(&reasons, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&reasons, &k);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->count, 1);
	__sync_fetch_and_or(&v->detail_or, detail);
	v->last_detail = detail;
	v->last_nr = nr;
	return 0;
}
