// SPDX-License-Identifier: GPL-2.0
/*
 * kmlsnoop.bpf.c - the in-kernel half of kmlsnoop: one ring-buffer record
 * per kml:kml_exec event (an exec of a file that carries a KML note).
 *
 * Attached as a BTF-typed raw tracepoint (tp_btf): the tracepoint's own
 * arguments, no tracefs needed, no copy of the trace record.  The event
 * fires in the exec'ing task, before the new program replaces the old one:
 * current's comm is still the old program's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "kml-bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before loading (the skeleton's rodata). */
const volatile __u32 targ_tgid;		/* 0: every process */
const volatile bool refused_only;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);	/* ~240 records */
} events SEC(".maps");

/* Records the ring buffer had no room for. */
__u64 lost;

SEC("tp_btf/kml_exec")
int BPF_PROG(kml_exec, const char *filename, int verdict, const char *reason,
	     const __u8 *digest, int cached, __u32 flags)
{
	struct task_struct *task;
	struct kml_exec_event *e;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if (targ_tgid && tgid != targ_tgid)
		return 0;
	if (refused_only && verdict != KML_VERDICT_REFUSED)
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	task = bpf_get_current_task_btf();
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = tgid;
	e->tid = (__u32)id;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->verdict = verdict;
	e->cached = cached;
	e->flags = flags;
	if (!digest || bpf_probe_read_kernel(e->digest, sizeof(e->digest), digest))
		__builtin_memset(e->digest, 0, sizeof(e->digest));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->reason[0] = '\0';
	if (reason)
		bpf_probe_read_kernel_str(e->reason, sizeof(e->reason), reason);
	e->path[0] = '\0';
	if (filename)
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), filename);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
