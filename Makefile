# KML - Kernel Mode Linux for x86-64 on Linux 6.12.  See README.md.
#
# Everything is built under build/ (git-ignored).  Targets:
#   deps kernel tools samples selftests initramfs run shell check bench fuzz
#   bpf-tools
#   checkpatch kernel-tree kernel-refresh kernel-series kernel-series-check
#   clean distclean help
SHELL := /bin/bash
.SUFFIXES:
.DELETE_ON_ERROR:

TOP        := $(abspath .)
BUILD      := $(TOP)/build
KTARBALL   ?= /usr/src/linux-source-6.12.tar.xz
KTREE      := $(BUILD)/linux
KOBJ       := $(BUILD)/kobj
BZIMAGE    := $(KOBJ)/arch/x86/boot/bzImage
JOBS       ?= $(shell echo $$(( $$(nproc) + 1 )))
CCACHE     := $(shell command -v ccache 2>/dev/null)
# build/linux is a git tree (kernel/kml-tree.sh): with LOCALVERSION unset,
# the kernel's setlocalversion would append "+" to every release name
# (6.12.117-kml+).  Set, even empty, it appends nothing.
LOCALVERSION ?=
export LOCALVERSION
# ccache (optional): with the paths made relative and the directory left out
# of the hash, a second checkout of this repository reuses the cache.
# $(call kbuild,OBJDIR): kbuild for one object directory (one config).
kbuild      = $(if $(CCACHE),CCACHE_BASEDIR=$(TOP) CCACHE_NOHASHDIR=1) \
	$(MAKE) -C $(KTREE) O=$(1) ARCH=x86_64 $(if $(CCACHE),CC="ccache gcc")

# The signing key.  Default: made on first use under build/keys.  Set
# KML_KEY=/path/key.pem (PEM private key + certificate) to use your own;
# its certificate is what the kernel trusts.
KEYDIR     := $(BUILD)/keys
KML_KEY    ?= $(KEYDIR)/kml-signing.pem
KML_CERT   := $(KEYDIR)/trusted.crt
UNTRUSTED  := $(KEYDIR)/untrusted.pem

TOOLS      := $(BUILD)/tools
STAMP      := $(TOOLS)/kml-stamp
SAMPLES    := $(BUILD)/samples
SELFTESTS  := $(BUILD)/selftests
GUEST      := $(BUILD)/guest
INITRAMFS  := $(BUILD)/initramfs.cpio.gz
LOGS       := $(BUILD)/logs
KML_LD     := $(TOP)/elfnote/kml.ld
FUZZER     := $(BUILD)/fuzz/fuzz_notewalk
FUZZER_SCAN := $(BUILD)/fuzz/fuzz_scan
FUZZER_ADDNOTE := $(BUILD)/fuzz/fuzz_addnote
FUZZ_SECONDS ?= 180

CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Werror
HOSTCC     ?= gcc

# V=1 shows each command in full; by default one line per file made.
V ?= 0
ifeq ($(V),1)
Q   :=
msg  = @true
else
Q   := @
msg  = @printf '  %-7s %s\n' '$(1)' '$(patsubst $(TOP)/%,%,$(2))'
endif
# Every C compile writes build/deps/<its output>.d: the headers it read
# (-MMD, user headers only; -MP: a removed header is no error), kept out of
# the output directories (they hold programs only).  Included at the end.
DEPDIR      := $(BUILD)/deps
DEPFILE      = $(patsubst $(BUILD)/%,$(DEPDIR)/%,$@).d
DEPFLAGS     = -MMD -MP -MT $@ -MF $(DEPFILE)

# $(call cc-obj,COMPILER FLAGS): one .c ($<) into one object ($@).
define cc-obj
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) $(dir $(DEPFILE))
	$(Q)$(1) $(DEPFLAGS) -c -o $@ $<
endef

.PHONY: all deps kernel kernel-nokml kernel-debug check-debug check-prereqs tools tools-asan samples selftests initramfs run shell check soak \
	bench fuzz fuzz-addnote checkpatch kernel-tree kernel-refresh kernel-series kernel-series-check \
	keys clean distclean help \
	install deb deb-tools kernel-host kernel-host-config deb-kernel-test check-deb

all: kernel tools samples selftests initramfs

# What make check needs beyond "all".
check-prereqs: all kernel-nokml $(FUZZER) $(FUZZER_SCAN) $(FUZZER_ADDNOTE)

help:
	@sed -n 's/^| `\(make [^`]*\)` | \(.*\) |$$/\1: \2/p' README.md

# ---- packages ------------------------------------------------------------
deps:
	@tools/install-deps.sh

# ---- keys ----------------------------------------------------------------
keys: $(KML_CERT) $(UNTRUSTED)

# Made only when absent (order-only): a key is never replaced behind your back.
$(KEYDIR)/kml-signing.pem: | elfnote/x509.genkey
	@mkdir -p $(KEYDIR)
	@echo "  KEY     $@ (new RSA-4096 signing key)"
	@openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 \
		-config elfnote/x509.genkey -outform PEM -out $@ -keyout $@ 2>/dev/null
	@chmod 600 $@

$(UNTRUSTED): | elfnote/x509.genkey
	@mkdir -p $(KEYDIR)
	@echo "  KEY     $@ (a key the kernel does not trust, for tests)"
	@sed 's/^CN = .*/CN = KML untrusted test key/' elfnote/x509.genkey > $@.cfg
	@openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 \
		-newkey rsa:2048 -config $@.cfg -outform PEM -out $@ -keyout $@ 2>/dev/null
	@rm -f $@.cfg

# The certificate the kernel is built to trust, taken from KML_KEY (a
# certificate alone will do), plus any in KML_EXTRA_CERTS (PEM files, e.g.
# the next key while rotating: KEYS.md).
KML_EXTRA_CERTS ?=
$(KML_CERT): $(KML_KEY) $(KML_EXTRA_CERTS)
	@mkdir -p $(KEYDIR)
	@openssl x509 -in $< -out $@.tmp || { echo "KML_KEY=$< holds no certificate" >&2; exit 1; }
	@for c in $(KML_EXTRA_CERTS); do openssl x509 -in $$c >> $@.tmp || \
		{ echo "KML_EXTRA_CERTS: $$c holds no certificate" >&2; rm -f $@.tmp; exit 1; }; done
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# ---- kernel --------------------------------------------------------------
kernel-tree:
	@kernel/kml-tree.sh prepare $(KTARBALL) $(KTREE)

kernel-refresh:
	@kernel/kml-tree.sh refresh $(KTREE)

# The series as upstream reads it (git format-patch, new files included).
SERIES := $(BUILD)/series
kernel-series: kernel-tree
	@kernel/kml-tree.sh export $(KTREE) $(SERIES) > /dev/null
	@echo "  SERIES  $(SERIES): $$(ls $(SERIES) | wc -l) patches"

# Not part of make check (about an hour on 2 cores): build the kernel once
# per patch of the series, in order, with the test kernel's config.
kernel-series-check: kernel
	@kernel/kml-series-build.sh $(KTREE) $(BUILD)/kobj-series $(KOBJ)/.config $(KML_CERT)

# .config = tinyconfig + kernel/kml.config + kml-on.config; every option
# checked (kernel/merge-config.sh).  Redone when an input changes.  The
# trusted certificate is named relative to the object tree, where it is
# copied before each build: the config (and so every object's ccache key)
# stays the same for any key and any checkout; a new key rebuilds only
# certs/.
$(KOBJ)/.config: kernel/kml.config kernel/kml-on.config kernel/kml-test.config \
		kernel/merge-config.sh | kernel-tree
	@echo "  CONFIG  tinyconfig + kernel/kml.config + kernel/kml-on.config + kernel/kml-test.config"
	@kernel/merge-config.sh $(KTREE) $(KOBJ) kernel/kml.config kernel/kml-on.config \
		kernel/kml-test.config -- 'CONFIG_SYSTEM_TRUSTED_KEYS="kml-trusted.pem"'

kernel: kernel-tree $(KOBJ)/.config $(KML_CERT)
	@install -C -m 0644 $(KML_CERT) $(KOBJ)/kml-trusted.pem
	@echo "  KERNEL  $(BZIMAGE)"
	@$(call kbuild,$(KOBJ)) -s -j$(JOBS) bzImage

# The same patched tree and config with CONFIG_KML=n: it must build and
# behave like a stock kernel (make check boots it), and it is the baseline
# for benchmarks of normal processes.
KOBJ_NOKML := $(BUILD)/kobj-nokml
BZIMAGE_NOKML := $(KOBJ_NOKML)/arch/x86/boot/bzImage
$(KOBJ_NOKML)/.config: kernel/kml.config kernel/merge-config.sh | kernel-tree
	@echo "  CONFIG  tinyconfig + kernel/kml.config, CONFIG_KML=n"
	@kernel/merge-config.sh $(KTREE) $(KOBJ_NOKML) kernel/kml.config -- \
		'# CONFIG_KML is not set'

# Debug kernel (DEBUG_ENTRY, lockdep, ORC, DWARF): make check-debug runs the
# whole suite on it.
KOBJ_DEBUG := $(BUILD)/kobj-debug
$(KOBJ_DEBUG)/.config: kernel/kml.config kernel/kml-on.config kernel/kml-test.config \
		kernel/kml-debug.config kernel/merge-config.sh | kernel-tree
	@echo "  CONFIG  tinyconfig + kernel/kml.config + kml-on.config + kml-test.config + kml-debug.config"
	@kernel/merge-config.sh $(KTREE) $(KOBJ_DEBUG) kernel/kml.config kernel/kml-on.config \
		kernel/kml-test.config kernel/kml-debug.config -- 'CONFIG_SYSTEM_TRUSTED_KEYS="kml-trusted.pem"'

kernel-debug: kernel-tree $(KOBJ_DEBUG)/.config $(KML_CERT)
	@install -C -m 0644 $(KML_CERT) $(KOBJ_DEBUG)/kml-trusted.pem
	@echo "  KERNEL  $(KOBJ_DEBUG)/arch/x86/boot/bzImage (debug)"
	@$(call kbuild,$(KOBJ_DEBUG)) -s -j$(JOBS) bzImage

check-debug: deps
	@$(MAKE) --no-print-directory check-prereqs kernel-debug
	@KML_KERNEL=$(KOBJ_DEBUG)/arch/x86/boot/bzImage selftests/check.sh

kernel-nokml: kernel-tree $(KOBJ_NOKML)/.config
	@echo "  KERNEL  $(BZIMAGE_NOKML) (CONFIG_KML=n)"
	@$(call kbuild,$(KOBJ_NOKML)) -s -j$(JOBS) bzImage

# ---- user-space tools ------------------------------------------------------
tools: $(STAMP)

# Host tools are linked from objects under build/obj/ (the same path as
# their source), one .d each; the ASan and fuzzer builds compile the same
# sources with their own flags into directories of their own.
OBJ        := $(BUILD)/obj
OBJ_ASAN   := $(BUILD)/obj-asan
OBJ_FUZZ   := $(BUILD)/fuzz/obj
OBJ_FUZZ_STRICT := $(BUILD)/fuzz/obj-strict
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined
objs = $(patsubst %.c,$(1)/%.o,$(2))

$(OBJ)/%.o: %.c
	$(call cc-obj,$(HOSTCC) $(CFLAGS) $(WARN) -Ielfnote)
$(OBJ_ASAN)/%.o: %.c
	$(call cc-obj,$(HOSTCC) $(ASAN_CFLAGS) $(WARN) -Ielfnote)
$(OBJ_FUZZ)/%.o: %.c
	$(call cc-obj,clang $(FUZZ_CFLAGS) -Ielfnote)
# (fuzz_addnote: any sanitizer finding stops the run)
$(OBJ_FUZZ_STRICT)/%.o: %.c
	$(call cc-obj,clang $(FUZZ_CFLAGS) -fno-sanitize-recover=all -Ielfnote)

# $(call link,COMPILER FLAGS,LIBRARIES): the objects ($^) into $@.
define link
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(1) -o $@ $^ $(2)
endef

STAMP_SRC  := tools/kml-stamp.c tools/kml-scan.c tools/kml-addnote.c elfnote/kml_notewalk.c
$(STAMP): $(call objs,$(OBJ),$(STAMP_SRC))
	$(call link,$(HOSTCC) $(CFLAGS),-lelf -lcrypto -lcapstone)

# The same tool built with ASan + UBSan (any finding aborts): the host tests
# feed it every corpus file (selftests/host/test-add-note.sh, test-kml-scan.sh).
STAMP_ASAN := $(BUILD)/tools-asan/kml-stamp
tools-asan: $(STAMP_ASAN)
check-prereqs: $(STAMP_ASAN)	# (STAMP_ASAN is defined after that rule's first line)
$(STAMP_ASAN): $(call objs,$(OBJ_ASAN),$(STAMP_SRC))
	$(call link,$(HOSTCC) $(ASAN_CFLAGS),-lelf -lcrypto -lcapstone)

# ---- BPF tools: kmlsnoop, kmltop ---------------------------------------------
# Laid out as libbpf-bootstrap does: a .bpf.c beside its loader, the
# skeleton made by bpftool gen skeleton, vmlinux.h dumped from the kernel's
# BTF (made here, never committed), libbpf.a from libbpf-dev linked
# statically with libelf and zlib: the guest needs nothing else.  VMLINUX:
# the kernel whose BTF gives vmlinux.h (any kernel with BTF will do: the
# KML fields are read through CO-RE and looked for at run time).
VMLINUX    ?= $(KOBJ)/vmlinux
BPFTOOL    ?= $(or $(shell PATH=$$PATH:/usr/sbin:/sbin command -v bpftool),bpftool)
BPFOBJ     := $(BUILD)/bpf
BPF_TOOLS  := $(TOOLS)/kmlsnoop $(TOOLS)/kmltop
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -mcpu=v3 -Wall -Werror
BPF_LIBS   := -static -l:libbpf.a -l:libelf.a -l:libz.a

bpf-tools: $(BPF_TOOLS)

$(VMLINUX):
	@echo "bpf-tools: $@ missing: build the kernel (make kernel) or pass VMLINUX=path/to/vmlinux" >&2
	@exit 1

# Which vmlinux vmlinux.h came from: another VMLINUX= remakes it.
$(BPFOBJ)/vmlinux.path: FORCE
	@mkdir -p $(@D)
	@echo "$(abspath $(VMLINUX))" | cmp -s - $@ || echo "$(abspath $(VMLINUX))" > $@

$(BPFOBJ)/vmlinux.h: $(VMLINUX) $(BPFOBJ)/vmlinux.path
	@echo "  BTF     $@ (from $<)"
	@$(BPFTOOL) btf dump file $< format c > $@.tmp || { rm -f $@.tmp; \
		echo "bpf-tools: no BTF in $< (CONFIG_DEBUG_INFO_BTF=y needed; bpftool: $(BPFTOOL))" >&2; exit 1; }
	@mv $@.tmp $@

$(BPFOBJ)/%.bpf.o: tools/%.bpf.c $(BPFOBJ)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $(DEPFILE))
	$(Q)clang $(BPF_CFLAGS) $(DEPFLAGS) -I$(BPFOBJ) -Itools -c $< -o $(@:.bpf.o=.tmp.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.tmp.bpf.o)
	$(Q)rm -f $(@:.bpf.o=.tmp.bpf.o)

$(BPFOBJ)/%.skel.h: $(BPFOBJ)/%.bpf.o
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

# (the skeleton is named: it must exist before the first compile that
# records it in the .d file)
$(BPFOBJ)/kmlsnoop.o $(BPFOBJ)/kmltop.o: $(BPFOBJ)/%.o: tools/%.c $(BPFOBJ)/%.skel.h
	$(call cc-obj,$(HOSTCC) $(CFLAGS) $(WARN) -I$(BPFOBJ) -Itools)

$(BPF_TOOLS): $(TOOLS)/%: $(BPFOBJ)/%.o $(OBJ)/tools/kml-bpf-util.o
	$(call link,$(HOSTCC) $(CFLAGS),$(BPF_LIBS))

# The copies make install and the kml-tools .deb ship: libbpf still linked
# in (no libbpf package of the right version needed), libelf, libz and libc
# shared, so that the package depends on them and gets their security
# updates (the guest's fully static copies above have no libraries there).
PKG_BPF_TOOLS := $(BUILD)/tools-pkg/kmlsnoop $(BUILD)/tools-pkg/kmltop
$(PKG_BPF_TOOLS): $(BUILD)/tools-pkg/%: $(BPFOBJ)/%.o $(OBJ)/tools/kml-bpf-util.o
	$(call link,$(HOSTCC) $(CFLAGS),-l:libbpf.a -lelf -lz)
check-prereqs: $(PKG_BPF_TOOLS)

.PHONY: bpf-tools FORCE
.SECONDARY: $(BPF_TOOLS:$(TOOLS)/%=$(BPFOBJ)/%.bpf.o) $(BPF_TOOLS:$(TOOLS)/%=$(BPFOBJ)/%.skel.h)
FORCE:

# kml.ld is committed (users link with it directly) but generated from
# kml.ld.S + kml_note.h; `make check` verifies the committed copy.
elfnote/kml.ld: elfnote/kml.ld.S elfnote/kml_note.h elfnote/gen-kml-ld.sh
	elfnote/gen-kml-ld.sh $@

# ---- install, packages, a kernel for a real machine ---------------------------
# make install DESTDIR=... PREFIX=...: kml-stamp (+ man page), kml.ld,
# kml_note.S, include/kml/{kml_note.h,kml_syscall.h}, share/pkgconfig/kml.pc,
# sbin/kmlsnoop and sbin/kmltop (+ man pages) (tools/install-tools.sh).  The kml-tools .deb is that tree, PREFIX=/usr.
PREFIX      ?= /usr/local
KML_VERSION ?= 0.1
DEBDIR      := $(BUILD)/deb
TOOLS_DEB   := $(DEBDIR)/kml-tools_$(KML_VERSION)_amd64.deb
TOOLS_DEB_INPUTS := $(STAMP) tools/install-tools.sh tools/mkdeb-tools.sh tools/kml-stamp.1 \
	tools/kml-tools.copyright tools/kml-tools.README.md \
	elfnote/kml.ld elfnote/kml_note.S elfnote/kml_note.h elfnote/kml_syscall.h

# KML_INSTALL_BPF=0: without kmlsnoop and kmltop, which need a KML kernel's
# BTF (VMLINUX, default build/kobj/vmlinux: make kernel builds it).
KML_INSTALL_BPF ?= 1
INSTALL_BPF := $(if $(filter 1,$(KML_INSTALL_BPF)),$(PKG_BPF_TOOLS),$(if $(filter 0,$(KML_INSTALL_BPF)),,$(error KML_INSTALL_BPF must be 0 or 1)))
TOOLS_DEB_INPUTS += $(INSTALL_BPF) tools/kmlsnoop.8 tools/kmltop.8

install: $(STAMP) $(INSTALL_BPF)
	@tools/install-tools.sh "$(DESTDIR)" "$(PREFIX)" $(KML_VERSION) $(STAMP) $(INSTALL_BPF)

deb-tools: $(TOOLS_DEB)
$(TOOLS_DEB): $(TOOLS_DEB_INPUTS)
	@echo "  DEB     $@"
	@tools/mkdeb-tools.sh $(DEBDIR) $(KML_VERSION) $(STAMP) $(INSTALL_BPF) >/dev/null

# A kernel for this machine (kernel/host-config.sh): the running system's
# /boot/config-$(uname -r), else Debian's stock config (KML_BASE_CONFIG=FILE
# picks another), + KML, packaged by bindeb-pkg as
# linux-image-<version>-kml and linux-headers-<version>-kml in build/deb/.
# KML_LOCALMOD=1 keeps only the modules loaded now (lsmod; or
# KML_LOCALMOD=FILE, lsmod output saved on the target machine).
KOBJ_HOST       := $(DEBDIR)/kobj-host
KML_BASE_CONFIG ?=
KML_LOCALMOD    ?=
kernel-host-config:
	@tools/install-deps.sh host
	@$(MAKE) -s --no-print-directory kernel-tree $(KML_CERT)
	@$(if $(filter 1,$(KML_LOCALMOD)),mkdir -p $(KOBJ_HOST) && lsmod > $(KOBJ_HOST)/lsmod.txt)
	@kernel/host-config.sh $(if $(KML_BASE_CONFIG),--base $(KML_BASE_CONFIG)) \
		$(if $(KML_LOCALMOD),--localmod $(if $(filter 1,$(KML_LOCALMOD)),$(KOBJ_HOST)/lsmod.txt,$(KML_LOCALMOD))) \
		$(KTREE) $(KOBJ_HOST) -- 'CONFIG_SYSTEM_TRUSTED_KEYS="kml-trusted.pem"'
	@install -C -m 0644 $(KML_CERT) $(KOBJ_HOST)/kml-trusted.pem

kernel-host: kernel-host-config
	@echo "  DEB     linux-image, linux-headers in $(DEBDIR) (a full distribution kernel: see README)"
	@$(call kbuild,$(KOBJ_HOST)) -j$(JOBS) bindeb-pkg

deb:
	@tools/install-deps.sh host deb
	@$(MAKE) --no-print-directory kernel-host
	@# kmlsnoop and kmltop from the BTF of the kernel just built (no test kernel needed)
	@$(MAKE) --no-print-directory deb-tools VMLINUX=$(KOBJ_HOST)/vmlinux
	@ls -1 $(DEBDIR)/*.deb

# The packaging of the kernel, checked cheaply: the tiny test config in an
# object directory of its own, made into .debs by bindeb-pkg with
# LOCALVERSION=-kml given to make (the release is 6.12.N-kml as on a real
# machine, while the config, and so every ccache key, stays the test
# kernel's: with a warm cache little is compiled).  The object directory
# sits beside build/kobj for the same reason (same relative paths);
# bindeb-pkg leaves the packages in its parent, build/, whence they go to
# build/deb/test/.  make check-deb boots the vmlinuz of the linux-image .deb.
KOBJ_DEBTEST := $(BUILD)/kobj-deb
$(KOBJ_DEBTEST)/.config: kernel/kml.config kernel/kml-on.config kernel/kml-test.config \
		kernel/merge-config.sh | kernel-tree
	@echo "  CONFIG  tinyconfig + kernel/kml.config + kernel/kml-on.config + kernel/kml-test.config (packaged test kernel)"
	@kernel/merge-config.sh $(KTREE) $(KOBJ_DEBTEST) kernel/kml.config kernel/kml-on.config \
		kernel/kml-test.config -- 'CONFIG_SYSTEM_TRUSTED_KEYS="kml-trusted.pem"'

deb-kernel-test:
	@tools/install-deps.sh deb
	@$(MAKE) -s --no-print-directory kernel-tree $(KOBJ_DEBTEST)/.config $(KML_CERT)
	@install -C -m 0644 $(KML_CERT) $(KOBJ_DEBTEST)/kml-trusted.pem
	@mkdir -p $(DEBDIR)/test && rm -f $(DEBDIR)/test/*.deb $(BUILD)/*.deb
	@echo "  DEB     $(DEBDIR)/test/linux-image-*-kml (tiny test config; log: $(DEBDIR)/test/bindeb-pkg.log)"
	@$(call kbuild,$(KOBJ_DEBTEST)) -s -j$(JOBS) LOCALVERSION=-kml bindeb-pkg \
		>$(DEBDIR)/test/bindeb-pkg.log 2>&1 || { tail -30 $(DEBDIR)/test/bindeb-pkg.log; exit 1; }
	@mv $(BUILD)/*.deb $(BUILD)/*.buildinfo $(BUILD)/*.changes $(DEBDIR)/test/

check-deb: deps
	@$(MAKE) --no-print-directory deb-kernel-test initramfs
	@selftests/host/test-deb-kernel.sh

# ---- samples and selftest programs --------------------------------------
# Each program is one C file, compiled and linked by one rule ($(PROGS):) with
# what its line in the tables below gives it:
#   $(call prog,PROGRAM,SOURCE,FLAGS,LINK)       -Wall -Wextra -Werror
#   $(call harness-prog,PROGRAM,SOURCE,FLAGS,LINK)  on the kernel's
#       kselftest_harness.h (from the unpacked tree; not -Wextra clean)
# LINK $(KMLLINK) (the note reserved by kml.ld) also makes kml.ld a
# prerequisite.  Headers: the .d files.
KMLLINK := -Wl,-T,$(KML_LD)
HARNESS := $(KTREE)/tools/testing/selftests
PROGS   :=
define prog
PROGS += $(1)
$(1): $(2) $(if $(findstring $(KMLLINK),$(4)),$(KML_LD))
$(1): PROG_FLAGS := $(WARN) $(3)
$(1): PROG_LINK := $(4)
endef
define harness-prog
$(call prog,$(1),$(2),$(3),$(4))
$(1): PROG_FLAGS := -Wall -Werror -I$(HARNESS) $(3)
$(1): | kernel-tree
endef

# Samples; a name without .unstamped is its stamped copy ($(SAMPLES)/%
# below).  segv and spin are the seed's two examples (a segfault and an
# infinite loop in ring 0); kml_bench is make bench's program, kml_time its
# timer for whole programs (not stamped: it only waits).
$(eval $(call prog,$(SAMPLES)/hello-static.unstamped,samples/hello.c,-static,$(KMLLINK)))
$(eval $(call prog,$(SAMPLES)/hello-dyn.unstamped,samples/hello.c,,$(KMLLINK)))
$(eval $(call prog,$(SAMPLES)/hello-static.nonote,samples/hello.c,-static))
$(foreach p,segv spin kml_bench,$(eval $(call prog,$(SAMPLES)/$(p).unstamped,samples/$(p).c,-Ielfnote -static,$(KMLLINK))))
$(eval $(call prog,$(SAMPLES)/kml_time,samples/kml_time.c,-static))

# Guest test programs (selftests/guest/; mkcases.sh stamps copies of those
# that run stamped: kml-probe, the ring-0 test, fastpath, boundary, ...).
# kml_ring0_test-dyn: glibc's ld.so + libc + libpthread.  kml-preload.so:
# what the policy test preloads into a stamped program.  kml-big: > 2 MB,
# for exec timing.  kml-privinsn: one function per instruction the scan
# decides about (never called).
$(eval $(call prog,$(SELFTESTS)/kml-probe,selftests/guest/kml-probe.c,-static,$(KMLLINK)))
$(eval $(call harness-prog,$(SELFTESTS)/kml_ring0_test-static,selftests/guest/kml_ring0_test.c,-Ielfnote -static -pthread,$(KMLLINK)))
$(eval $(call harness-prog,$(SELFTESTS)/kml_ring0_test-dyn,selftests/guest/kml_ring0_test.c,-Ielfnote -pthread,$(KMLLINK)))
$(eval $(call harness-prog,$(SELFTESTS)/kml_exec_test,selftests/guest/kml_exec_test.c,-static))
$(eval $(call prog,$(SELFTESTS)/kml-preload.so,selftests/guest/kml_preload.c,-shared -fPIC -nostdlib))
$(eval $(call prog,$(SELFTESTS)/kml-big,selftests/guest/kml_big.c,-static,$(KMLLINK)))
$(eval $(call prog,$(SELFTESTS)/kml-privinsn,selftests/guest/kml_privinsn.c,-static,$(KMLLINK)))
$(eval $(call harness-prog,$(SELFTESTS)/kml_ptrace_test,selftests/guest/kml_ptrace_test.c,-static))
$(eval $(call harness-prog,$(SELFTESTS)/kml_fastpath_test,selftests/guest/kml_fastpath_test.c,-Ielfnote -static,$(KMLLINK)))
$(eval $(call harness-prog,$(SELFTESTS)/kml_boundary_test,selftests/guest/kml_boundary_test.c,-static,$(KMLLINK)))
$(eval $(call harness-prog,$(SELFTESTS)/kml_ist_nest_test,selftests/guest/kml_ist_nest_test.c,-static,$(KMLLINK)))
$(eval $(call harness-prog,$(SELFTESTS)/kml_privileged_test,selftests/guest/kml_privileged_test.c,-static))
$(eval $(call harness-prog,$(SELFTESTS)/kml_bash_test,selftests/guest/kml_bash_test.c,-static))
$(eval $(call harness-prog,$(SELFTESTS)/kml_observe_test,selftests/guest/kml_observe_test.c,-static))
$(eval $(call harness-prog,$(SELFTESTS)/kml_policy_test,selftests/guest/kml_policy_test.c,-static))

$(PROGS):
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) $(dir $(DEPFILE))
	$(Q)$(HOSTCC) $(CFLAGS) $(PROG_FLAGS) $(DEPFLAGS) -o $@ $< $(PROG_LINK)

SAMPLE_BINS := $(SAMPLES)/hello-static.unstamped $(SAMPLES)/hello-dyn.unstamped \
	$(SAMPLES)/hello-static.nonote $(SAMPLES)/hello-static $(SAMPLES)/hello-dyn \
	$(SAMPLES)/segv.unstamped $(SAMPLES)/spin.unstamped $(SAMPLES)/segv $(SAMPLES)/spin \
	$(SAMPLES)/kml_bench.unstamped $(SAMPLES)/kml_bench $(SAMPLES)/kml_time

samples: $(SAMPLE_BINS)

$(SAMPLES)/%: $(SAMPLES)/%.unstamped $(STAMP) $(KML_KEY)
	$(call msg,STAMP,$@)
	$(Q)cp $< $@.tmp && $(STAMP) --key $(KML_KEY) $@.tmp >/dev/null && mv $@.tmp $@

SELFTEST_BINS := $(SELFTESTS)/kml-probe $(SELFTESTS)/kml_exec_test \
	$(SELFTESTS)/kml_ring0_test-static $(SELFTESTS)/kml_ring0_test-dyn \
	$(SELFTESTS)/kml_policy_test $(SELFTESTS)/kml-preload.so $(SELFTESTS)/kml-big \
	$(SELFTESTS)/kml_ptrace_test $(SELFTESTS)/kml_fastpath_test $(SELFTESTS)/x86/list \
	$(SELFTESTS)/kml_boundary_test $(SELFTESTS)/kml-pkg-probe \
	$(SELFTESTS)/kml-privinsn $(SELFTESTS)/kml_privileged_test $(SELFTESTS)/kml_bash_test \
	$(SELFTESTS)/kml_observe_test $(SELFTESTS)/kml_ist_nest_test

selftests: $(SELFTEST_BINS)

# Built as a user of the kml-tools package would: the .deb unpacked into a
# scratch root, compiled with only pkg-config's flags and the packaged
# headers and kml.ld, stamped by the packaged kml-stamp (guest suite "pkg").
PKGROOT := $(DEBDIR)/root
$(SELFTESTS)/kml-pkg-probe: selftests/guest/kml_pkg_probe.c $(TOOLS_DEB) $(KML_KEY)
	$(call msg,CC,$@ (kml-tools package))
	$(Q)mkdir -p $(@D)
	$(Q)rm -rf $(PKGROOT) && dpkg -x $(TOOLS_DEB) $(PKGROOT)
	$(Q)$(HOSTCC) $(CFLAGS) $(WARN) -static -o $@.unstamped $< $$(PKG_CONFIG_LIBDIR=$(PKGROOT)/usr/share/pkgconfig \
		PKG_CONFIG_SYSROOT_DIR=$(PKGROOT) pkg-config --cflags --libs kml)
	$(Q)cp $@.unstamped $@.tmp && $(PKGROOT)/usr/bin/kml-stamp --key $(KML_KEY) $@.tmp >/dev/null && mv $@.tmp $@

# The kernel's own x86 selftests, 64-bit, note reserved (stamped copies
# are made by mkcases.sh): the guest's x86-selftests suite.
$(SELFTESTS)/x86/list: selftests/build-x86-selftests.sh $(KML_LD) | kernel-tree
	$(call msg,X86ST,$(@D))
	$(Q)selftests/build-x86-selftests.sh $(KTREE) $(@D) $(KML_LD) 2> $(@D).log || \
		{ cat $(@D).log >&2; exit 1; }

# The broken stamps' surgeon (selftests/mkcases.sh), a host program.
FORGE := $(BUILD)/host/kml-forge
$(FORGE): $(call objs,$(OBJ),selftests/kml-forge.c elfnote/kml_notewalk.c)
	$(call link,$(HOSTCC) $(CFLAGS),-lelf)

# ---- the guest -------------------------------------------------------------
# build/initramfs-run.cpio.gz: make run (the samples it runs, no tests).
# build/initramfs.cpio.gz: the test image: make shell and the small-memory
# boots of make check (256 MB: it must unpack in well under that).
# build/initramfs-full.cpio.gz: the same with Debian's dd, sqlite3 and
# stress-ng (stamped with --add-note, and unmodified) and the kernel's x86
# selftests appended, for the main make check boots and make bench.
INITRAMFS_FULL := $(BUILD)/initramfs-full.cpio.gz
INITRAMFS_RUN  := $(BUILD)/initramfs-run.cpio.gz
INITRAMFS_BENCH := $(BUILD)/initramfs-bench.cpio.gz
GUEST_RUN      := $(BUILD)/guest-run
RUN_BINS       := $(SAMPLES)/hello-static $(SAMPLES)/hello-static.unstamped $(SAMPLES)/hello-dyn
initramfs: $(INITRAMFS) $(INITRAMFS_FULL) $(INITRAMFS_RUN) $(INITRAMFS_BENCH)

# What every image has: tools/mk-initramfs.sh and the guest side of the tools.
GUEST_BASE := tools/mk-initramfs.sh tools/guest/init tools/guest/kml-bench-guest

$(INITRAMFS): $(SAMPLE_BINS) $(SELFTEST_BINS) $(STAMP) $(FORGE) $(KML_CERT) $(UNTRUSTED) \
		selftests/mkcases.sh selftests/guest/run-tests.sh \
		$(wildcard selftests/fuzz-corpus/*) $(GUEST_BASE) $(BPF_TOOLS)
	$(call msg,GUEST,$@)
	$(Q)STAMP=$(STAMP) FORGE=$(FORGE) KEY=$(KML_KEY) UNTRUSTED_KEY=$(UNTRUSTED) SAMPLES=$(SAMPLES) \
		SELFTESTS=$(SELFTESTS) BPF_TOOLS="$(BPF_TOOLS)" selftests/mkcases.sh $(GUEST)/kml
	$(Q)tools/mk-initramfs.sh --add selftests/guest/run-tests.sh /bin/run-tests.sh $(GUEST) $@

# make run's image: the three programs it runs, nothing of the tests.
$(INITRAMFS_RUN): $(RUN_BINS) $(GUEST_BASE)
	$(call msg,GUEST,$@)
	$(Q)rm -rf $(GUEST_RUN) && mkdir -p $(GUEST_RUN)/kml && cp $(RUN_BINS) $(GUEST_RUN)/kml/
	$(Q)tools/mk-initramfs.sh $(GUEST_RUN) $@

$(INITRAMFS_FULL): $(INITRAMFS) $(SAMPLES)/kml_time $(SELFTESTS)/x86/list $(STAMP) \
		selftests/mkprograms.sh tools/mk-bench-programs.sh tools/mk-initramfs.sh
	$(call msg,GUEST,$@)
	$(Q)STAMP=$(STAMP) KEY=$(KML_KEY) SAMPLES=$(SAMPLES) SELFTESTS=$(SELFTESTS) \
		selftests/mkprograms.sh $(BUILD)/guest-programs/kml
	$(Q)tools/mk-initramfs.sh --extra $(BUILD)/guest-programs $(BUILD)/initramfs-programs.cpio.gz
	$(Q)cat $(INITRAMFS) $(BUILD)/initramfs-programs.cpio.gz > $@.tmp && mv $@.tmp $@

QEMU_FLAGS ?=
# make bench's image: its programs (tools/mk-bench-programs.sh), no tests.
$(INITRAMFS_BENCH): $(SAMPLES)/kml_bench $(SAMPLES)/kml_bench.unstamped $(SAMPLES)/kml_time \
		$(STAMP) tools/mk-bench-programs.sh $(GUEST_BASE)
	$(call msg,GUEST,$@)
	$(Q)STAMP=$(STAMP) KEY=$(KML_KEY) SAMPLES=$(SAMPLES) tools/mk-bench-programs.sh $(BUILD)/guest-bench/kml
	$(Q)tools/mk-initramfs.sh $(BUILD)/guest-bench $@

# make run builds only what it boots: the kernel, kml-stamp, three samples.
run: deps
	@$(MAKE) --no-print-directory kernel $(INITRAMFS_RUN)
	@tools/kml-qemu --mode run $(QEMU_FLAGS) $(BZIMAGE) $(INITRAMFS_RUN)

shell: deps
	@$(MAKE) --no-print-directory all
	@tools/kml-qemu --mode shell $(QEMU_FLAGS) $(BZIMAGE) $(INITRAMFS)

# ---- tests -----------------------------------------------------------------
check: deps
	@tools/install-deps.sh check
	@$(MAKE) --no-print-directory check-prereqs
	@selftests/check.sh

# Five boots (wall clock, -icount, pti=on, CONFIG_KML=n baseline, Skylake), each
# running the unstamped and the stamped copy of samples/kml_bench.c and of
# Debian's programs, then the census; its image holds those programs only.
bench: deps
	@$(MAKE) --no-print-directory kernel kernel-nokml $(INITRAMFS_BENCH)
	@tools/kml-bench.sh

# Not part of make check: the stress suite for SOAK_SECONDS (1800) in a
# normal and a pti=on boot at once (selftests/soak.sh; logs in build/soak/).
SOAK_SECONDS ?= 1800
soak: deps
	@$(MAKE) --no-print-directory all
	@selftests/soak.sh $(SOAK_SECONDS)

$(FUZZER): $(call objs,$(OBJ_FUZZ),tools/fuzz_notewalk.c elfnote/kml_notewalk.c)
	$(call link,clang $(FUZZ_CFLAGS))

$(FUZZER_SCAN): $(call objs,$(OBJ_FUZZ),tools/fuzz_scan.c tools/kml-scan.c)
	$(call link,clang $(FUZZ_CFLAGS),-lelf -lcapstone)

fuzz: $(FUZZER) $(FUZZER_SCAN)
	@mkdir -p $(BUILD)/fuzz/corpus-notewalk $(BUILD)/fuzz/corpus-scan
	$(FUZZER) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
		-print_final_stats=1 $(BUILD)/fuzz/corpus-notewalk selftests/fuzz-corpus
	$(FUZZER_SCAN) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
		-print_final_stats=1 $(BUILD)/fuzz/corpus-scan selftests/fuzz-corpus

# kml-stamp --add-note's rewriting, in memory (tools/fuzz_addnote.c); seeds:
# note-less executables (selftests/fuzz-corpus-addnote/) and the walker's.
$(FUZZER_ADDNOTE): $(call objs,$(OBJ_FUZZ_STRICT),tools/fuzz_addnote.c tools/kml-addnote.c elfnote/kml_notewalk.c)
	$(call link,clang $(FUZZ_CFLAGS) -fno-sanitize-recover=all,-lelf)

fuzz-addnote: $(FUZZER_ADDNOTE)
	@mkdir -p $(BUILD)/fuzz/corpus-addnote
	$(FUZZER_ADDNOTE) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
		-print_final_stats=1 $(BUILD)/fuzz/corpus-addnote \
		selftests/fuzz-corpus-addnote selftests/fuzz-corpus

# Each patch of the series on its own, as git format-patch exports it (new
# files included), then the new files whole and the patch files as files.
checkpatch: kernel-tree
	@kernel/checkpatch-series.sh $(KTREE) $(SERIES)

clean:
	rm -rf $(TOOLS) $(BUILD)/tools-asan $(BUILD)/tools-pkg $(OBJ) $(OBJ_ASAN) $(BPFOBJ) $(BUILD)/fuzz $(DEPDIR) \
		$(SAMPLES) $(SELFTESTS) $(BUILD)/host $(GUEST) $(GUEST_RUN) $(BUILD)/guest-programs $(LOGS) \
		$(INITRAMFS) $(INITRAMFS_FULL) $(INITRAMFS_RUN) $(INITRAMFS_BENCH) $(BUILD)/guest-bench \
		$(BUILD)/initramfs-programs.cpio.gz \
		$(TOOLS_DEB) $(PKGROOT) $(KOBJ_DEBTEST)
	-[ -d $(KOBJ) ] && $(call kbuild,$(KOBJ)) -s clean

distclean:
	rm -rf $(BUILD)

# The header dependencies the compilers wrote (none before the first build).
-include $(shell find $(DEPDIR) -name '*.d' 2>/dev/null)
