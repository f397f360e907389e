// SPDX-License-Identifier: GPL-2.0
/*
 * kml-bpf-util.c - shared by kmlsnoop and kmltop (kml-bpf-util.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kml-bpf-util.h"

#define BTF_VMLINUX	"/sys/kernel/btf/vmlinux"

const char *kml_tool = "kml";

void kml_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", kml_tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* CONFIG_KML: 1, not: 0, cannot tell: -1 (message printed). */
static int kml_configured(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int found = 0;

	if (!f) {
		kml_err("cannot read /proc/self/status (%s): is /proc mounted?",
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Kml:", 4)) {
			found = 1;
			break;
		}
	fclose(f);
	return found;
}

static bool btf_has_member(const struct btf *btf, const char *type,
			   const char *member)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return true;
	return false;
}

struct btf *kml_check_kernel(const char *const *tps, int ntps, bool counters)
{
	char name[128];
	struct btf *btf;
	int i, kml;

	kml = kml_configured();
	if (kml < 0)
		return NULL;
	if (!kml) {
		kml_err("KML is not in this kernel (no Kml: line in /proc/self/status: CONFIG_KML=n); nothing to trace");
		return NULL;
	}
	if (access(BTF_VMLINUX, R_OK)) {
		if (errno == ENOENT && access("/sys/kernel", F_OK))
			kml_err("/sys is not mounted: %s is needed", BTF_VMLINUX);
		else if (errno == ENOENT)
			kml_err("this kernel has no BTF (%s is missing: CONFIG_DEBUG_INFO_BTF=n); %s needs it",
				BTF_VMLINUX, kml_tool);
		else
			kml_err("cannot read %s: %s", BTF_VMLINUX, strerror(errno));
		return NULL;
	}
	btf = btf__parse(BTF_VMLINUX, NULL);
	if (!btf) {
		kml_err("cannot parse %s: %s", BTF_VMLINUX, strerror(errno));
		return NULL;
	}
	for (i = 0; i < ntps; i++) {
		snprintf(name, sizeof(name), "btf_trace_%s", tps[i]);
		if (btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) < 0) {
			kml_err("this KML kernel has no kml:%s tracepoint (built before the KML tracepoints, or without CONFIG_TRACEPOINTS)",
				tps[i]);
			goto fail;
		}
	}
	if (counters && (!btf_has_member(btf, "thread_info", "kml_syscalls") ||
			 !btf_has_member(btf, "thread_info", "kml_slow_syscalls"))) {
		kml_err("this KML kernel has no per-task system-call counters (thread_info.kml_syscalls)");
		goto fail;
	}
	return btf;
fail:
	btf__free(btf);
	return NULL;
}

static int libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!libbpf_verbose || (level == LIBBPF_DEBUG && libbpf_verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void kml_libbpf_log(int verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

void kml_bpf_fail(const char *what, int err)
{
	if (err < 0)
		err = -err;
	if (err == EPERM || err == EACCES)
		kml_err("cannot %s: %s (run it as root: it needs CAP_BPF and CAP_PERFMON)",
			what, strerror(err));
	else
		kml_err("cannot %s: %s%s", what, strerror(err),
			libbpf_verbose ? "" : " (-v shows libbpf's messages)");
}

static __s64 mono_to_real_ns;

void kml_time_init(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	mono_to_real_ns = (r.tv_sec - m.tv_sec) * 1000000000LL +
			  (r.tv_nsec - m.tv_nsec);
}

void kml_fmt_time(__u64 mono_ns, char *buf, size_t len, bool iso)
{
	__s64 real = (__s64)mono_ns + mono_to_real_ns;
	time_t sec = real / 1000000000LL;
	unsigned int ms = (real % 1000000000LL) / 1000000;
	struct tm tm;
	size_t n;

	localtime_r(&sec, &tm);
	n = strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	if (iso && n)
		snprintf(buf + n, len - n, ".%03u", ms);
}

/* Length of the valid UTF-8 sequence at @s (1-4), or 0 if there is none. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void kml_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
			continue;
		}
		n = utf8_len(s);
		if (n == 0 || *s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s++);
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

void kml_text_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	while (*s) {
		if (*s == '\\') {
			fputs("\\\\", f);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (n == 0 || *s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\x%02x", *s++);
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
}

int kml_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int kml_parse_secs(const char *s, double max, double *out)
{
	const char *p, *dot = NULL;
	double v;
	char *end;

	if (!s || !*s)
		return -1;
	for (p = s; *p; p++) {
		if (*p == '.' && !dot)
			dot = p;
		else if (*p < '0' || *p > '9')
			return -1;
	}
	if (dot && (dot == s || !dot[1] || strlen(dot + 1) > 3))
		return -1;
	v = strtod(s, &end);
	if (*end || !(v > 0) || v > max)
		return -1;
	*out = v;
	return 0;
}
