/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml-bpf-util.h - what kmlsnoop and kmltop share in user space: the
 * checks that the running kernel has what they need (KML, BTF, the KML
 * tracepoints), libbpf's messages kept out of sight, time stamps, JSON and
 * text escaping, and number parsing for options.
 */
#ifndef KML_BPF_UTIL_H
#define KML_BPF_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct btf;

/* The tool's name, for messages ("kmlsnoop: ..."). */
extern const char *kml_tool;

/* Print "TOOL: message" on stderr. */
void kml_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Does the running kernel have what the tool needs?  In this order:
 * CONFIG_KML (the Kml: line of /proc/self/status), BTF
 * (/sys/kernel/btf/vmlinux), each tracepoint in @tps (its btf_trace_NAME
 * type), and with @counters the per-task counters
 * (thread_info.kml_syscalls).  On a miss: one line on stderr saying what
 * is missing, NULL.  Else the kernel's BTF (btf__free() it).
 */
struct btf *kml_check_kernel(const char *const *tps, int ntps, bool counters);

/*
 * libbpf's messages (the verifier's log among them) only with -v: 0 none,
 * 1 its warnings and information, 2 its debug messages too.
 */
void kml_libbpf_log(int verbose);

/* The one-line error for a failed open/load/attach of @what. */
void kml_bpf_fail(const char *what, int err);

/* CLOCK_MONOTONIC ns (as bpf_ktime_get_ns()) to local wall-clock time. */
void kml_time_init(void);
void kml_fmt_time(__u64 mono_ns, char *buf, size_t len, bool iso);

/* A string as a JSON string (quotes included); bytes that are not UTF-8,
 * and control characters, as \u00XX. */
void kml_json_str(FILE *f, const char *s);
/* The same for a terminal: printable ASCII and UTF-8 as is, anything else
 * (newlines too) as \xNN, backslash as \\: a file name cannot fake a line. */
void kml_text_str(FILE *f, const char *s);

/* Options: a whole positive decimal number, at most @max; 0 on success. */
int kml_parse_uint(const char *s, unsigned long max, unsigned long *out);
/* Seconds, > 0 and <= max, with up to 3 decimals ("0.5", "2"); 0 on success. */
int kml_parse_secs(const char *s, double max, double *out);

#endif /* KML_BPF_UTIL_H */
