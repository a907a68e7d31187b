# dirtybench: one Makefile for the host harness, the freestanding guest, the
# Linux build of the workloads, the tests and the report.
#
#   make            host binary build/bin/run-bench (with the guest image inside)
#   make test       unit and end-to-end tests, also under ASan/UBSan
#   make report     the full matrix, figures and REPORT.md tables
#   make clean

BUILD   ?= build
CC      ?= cc
WARN    := -Wall -Wextra -Werror
CFLAGS_HOST := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -pthread -MMD -MP -I.
# libvncserver and libvncclient (--vnc): one Debian source package.
VNC_LIBS    := $(shell pkg-config --libs libvncserver libvncclient 2>/dev/null || echo -lvncserver -lvncclient)
LDLIBS_HOST = -ljansson -lz -lm -pthread $(VNC_LIBS) $(XEN_LDLIBS)
SAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Guest: freestanding x86-64, ring 3, linked at DB_IMAGE_GPA.
CFLAGS_GUEST := -std=gnu11 -O2 $(WARN) -ffreestanding -fno-builtin -nostdlib \
	-fno-pic -fno-pie -mno-red-zone -fno-stack-protector -fno-asynchronous-unwind-tables \
	-mcmodel=small -march=x86-64 -fno-tree-loop-distribute-patterns -DDB_GUEST -MMD -MP -I.

FONT_PSF ?= /usr/share/consolefonts/Lat15-VGA16.psf.gz

# The Xen back end (backends/xen/) and db-workload --xen (workloads/xen/) are built
# when pkg-config finds Xen's libraries (Debian: libxen-dev); otherwise stubs
# make --backend xen and --xen say so.
XEN_LIBS := xencontrol xenforeignmemory xendevicemodel xenstore xengnttab xenevtchn
HAVE_XEN := $(shell pkg-config --exists $(XEN_LIBS) 2>/dev/null && echo 1)
ifeq ($(HAVE_XEN),1)
XEN_BENCH_SRC   := $(filter-out backends/xen/absent.c,$(wildcard backends/xen/*.c))
XEN_GUEST_SRC   := $(filter-out workloads/xen/absent.c,$(wildcard workloads/xen/*.c)) workloads/lib/pvfront.c
XEN_LDLIBS      := $(shell pkg-config --libs $(XEN_LIBS))
else
XEN_BENCH_SRC   := backends/xen/absent.c
XEN_GUEST_SRC   := workloads/xen/absent.c
XEN_LDLIBS      :=
endif

# display/: uffd-wp's display process (db-display) and run-bench's side of it.
DISPLAY_SCAN_SRC := display/pagemap_scan.c
DISPLAY_LINK_SRC := $(DISPLAY_SCAN_SRC) display/link.c
# The folders are the architecture (README "Architecture"): core/ drives a run,
# backends/ run the guest, collectors/ measure around it, vnc/ serves it.
BENCH_SRC    := $(filter-out core/main.c,$(wildcard core/*.c)) $(wildcard backends/kvm/*.c) \
	$(wildcard collectors/*.c) $(wildcard vnc/*.c) $(DISPLAY_LINK_SRC) $(XEN_BENCH_SRC)
STRATEGY_SRC := $(wildcard strategies/*.c)
# policies/: when to scan and which mechanism is armed (core/policy.h).
POLICY_SRC   := $(wildcard policies/*.c)
# The workload catalog (names, options, frame rates: workloads/workload.h) is
# all run-bench links of the workloads. Their drawing and its library are
# linked into every runtime that draws: the guest, db-workload, the tests; the
# PV front end only where a guest runs it (micro-VM, Xen domU).
CATALOG_SRC  := workloads/catalog.c workloads/options.c workloads/lib/fmt.c
# The micro-VM's ring front ends (pvrects, virtio-gpu): its guest only.
RING_FRONT_SRC := workloads/lib/pvrects_front.c workloads/lib/vgpu_front.c
DRAW_SRC     := $(filter-out $(CATALOG_SRC) workloads/lib/pvfront.c $(RING_FRONT_SRC),$(wildcard workloads/*.c) $(wildcard workloads/lib/*.c))
WORKLOAD_SRC := $(CATALOG_SRC) $(DRAW_SRC)
GUEST_SRC    := $(wildcard workloads/guest/*.c) $(wildcard workloads/guest/*.S) workloads/lib/pvfront.c $(RING_FRONT_SRC)
LINUXRT_SRC  := $(filter-out workloads/linux/main.c,$(wildcard workloads/linux/*.c))
# tests/unit/ need neither /dev/kvm nor run-bench; tests/e2e/ boot VMs or run
# run-bench or db-workload; tests/lib/ is linked into both.
UNIT_TEST_SRC := $(wildcard tests/unit/test_*.c)
E2E_TEST_SRC  := $(wildcard tests/e2e/test_*.c)
TEST_LIB_SRC  := $(wildcard tests/lib/*.c)

FONT_H := $(BUILD)/gen/font8x16.h
REV_H  := $(BUILD)/gen/revision.h

host_objs = $(patsubst %.c,$(1)/%.o,$(BENCH_SRC) $(STRATEGY_SRC) $(POLICY_SRC) $(CATALOG_SRC)) \
	$(1)/backends/kvm/guest_image.o
HOST_OBJS := $(call host_objs,$(BUILD)/host)
ASAN_OBJS := $(call host_objs,$(BUILD)/asan)
# What the tests link besides run-bench's objects: the drawing, the Linux runtime.
draw_objs = $(patsubst %.c,$(1)/%.o,$(DRAW_SRC) $(LINUXRT_SRC))
GUEST_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(GUEST_SRC) $(WORKLOAD_SRC))

test_bins  = $(patsubst tests/%.c,$(BUILD)/tests/%,$(1)) $(patsubst tests/%.c,$(BUILD)/asan-tests/%,$(1))
UNIT_TESTS := $(call test_bins,$(UNIT_TEST_SRC))
E2E_TESTS  := $(call test_bins,$(E2E_TEST_SRC))

.PHONY: all test unit-test e2e-test clean report linux-workloads traces record
all: $(BUILD)/bin/run-bench $(BUILD)/bin/run-bench-asan $(BUILD)/bin/db-workload $(BUILD)/bin/db-bench-scan $(BUILD)/bin/db-bench-scan-asan

# --- generated font -------------------------------------------------------
$(BUILD)/bin/psf2c: tools/psf2c.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $< -lz

$(FONT_H): $(BUILD)/bin/psf2c $(FONT_PSF)
	@mkdir -p $(@D)
	$(BUILD)/bin/psf2c $(FONT_PSF) > $@.tmp && mv $@.tmp $@

# Rewritten only when the revision changes, so only platform.o follows it.
$(REV_H): FORCE
	@mkdir -p $(@D)
	@scripts/revision > $@.tmp && { cmp -s $@.tmp $@ || mv $@.tmp $@; }; rm -f $@.tmp
$(BUILD)/host/collectors/platform.o $(BUILD)/asan/collectors/platform.o: $(REV_H)
FORCE:

# --- guest ----------------------------------------------------------------
$(BUILD)/guest/%.c.o: %.c $(FONT_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_GUEST) -I$(BUILD)/gen -c -o $@ $<

$(BUILD)/guest/%.S.o: %.S
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_GUEST) -c -o $@ $<

$(BUILD)/guest/guest.elf: $(GUEST_OBJS) workloads/guest/guest.ld
	$(CC) $(CFLAGS_GUEST) -static -Wl,-T,workloads/guest/guest.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
		-o $@ $(GUEST_OBJS) -lgcc

# --- host -----------------------------------------------------------------
$(BUILD)/host/%.o: %.c $(FONT_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -I$(BUILD)/gen -c -o $@ $<

$(BUILD)/asan/%.o: %.c $(FONT_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -I$(BUILD)/gen -c -o $@ $<

# The guest image is linked into the host binary, so run-bench is one file.
$(BUILD)/host/backends/kvm/guest_image.o $(BUILD)/asan/backends/kvm/guest_image.o: backends/kvm/guest_image.S $(BUILD)/guest/guest.elf
	@mkdir -p $(@D)
	$(CC) -c -DGUEST_ELF='"$(BUILD)/guest/guest.elf"' -o $@ $<

$(BUILD)/bin/run-bench: $(HOST_OBJS) $(BUILD)/host/core/main.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $^ $(LDLIBS_HOST)

$(BUILD)/bin/run-bench-asan: $(ASAN_OBJS) $(BUILD)/asan/core/main.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -o $@ $^ $(LDLIBS_HOST)

# --- uffd-wp's display process: run-bench runs the one beside it ------------
all: $(BUILD)/bin/db-display $(BUILD)/bin/db-display-asan

$(BUILD)/bin/db-display: $(patsubst %.c,$(BUILD)/host/%.o,$(DISPLAY_SCAN_SRC) display/main.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $^

$(BUILD)/bin/db-display-asan: $(patsubst %.c,$(BUILD)/asan/%.o,$(DISPLAY_SCAN_SRC) display/main.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -o $@ $^

# --- the workloads as an ordinary Linux program ----------------------------
$(BUILD)/bin/db-workload: $(patsubst %.c,$(BUILD)/host/%.o,$(WORKLOAD_SRC) $(LINUXRT_SRC) $(XEN_GUEST_SRC) workloads/linux/main.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $^ $(LDLIBS_HOST)
linux-workloads: $(BUILD)/bin/db-workload

# --- the content detectors outside KVM (README "Scans at the memory limit") ---
# db-bench-scan links the detectors and the drawing, not KVM; `make bench-scan`
# runs it on every workload under the machine lock into $(BENCH_SCAN_OUT).
BENCH_SCAN_OUT ?= results/bench-scan-$(shell date -u +%Y%m%dT%H%MZ).json
$(BUILD)/bin/db-bench-scan: tools/bench-scan/main.c $(HOST_OBJS) $(call draw_objs,$(BUILD)/host)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -I$(BUILD)/gen -o $@ $< $(filter %.o,$^) $(LDLIBS_HOST)
$(BUILD)/bin/db-bench-scan-asan: tools/bench-scan/main.c $(ASAN_OBJS) $(call draw_objs,$(BUILD)/asan)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -I$(BUILD)/gen -o $@ $< $(filter %.o,$^) $(LDLIBS_HOST)
.PHONY: bench-scan
bench-scan: $(BUILD)/bin/db-bench-scan
	flock /tmp/dirtybench-machine.lock $(BUILD)/bin/db-bench-scan --out $(BENCH_SCAN_OUT)

# --- the trace recorder (docs/TRACE.md) -------------------------------------
# Needs Xlib, XDamage and XFixes (scripts/install-deps), so it is not part of
# `all`: `make traces` builds it and re-records traces/ (scripts/record-traces).
RECORD_SRC := tools/record/record.c tools/record/trace_write.c core/trace_file.c
RECORD_HDR := tools/record/trace_write.h core/trace_file.h core/trace_format.h include/protocol.h
record: $(BUILD)/bin/db-record
$(BUILD)/bin/db-record: $(RECORD_SRC) $(RECORD_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $(RECORD_SRC) -lXdamage -lXfixes -lX11 -lz

traces: $(BUILD)/bin/db-record $(BUILD)/bin/run-bench
	scripts/install-deps --record
	scripts/record-traces $(BUILD) traces

# --- tests ----------------------------------------------------------------
# Only the test's source and objects go to the compiler: its .d file adds the
# headers (and test_pvbitmap's #included pvfront.c) as prerequisites too.
$(BUILD)/tests/%: tests/%.c $(HOST_OBJS) $(call draw_objs,$(BUILD)/host) $(patsubst %.c,$(BUILD)/host/%.o,$(TEST_LIB_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -I$(BUILD)/gen -o $@ $< $(filter %.o,$^) $(LDLIBS_HOST) -lcmocka

$(BUILD)/asan-tests/%: tests/%.c $(ASAN_OBJS) $(call draw_objs,$(BUILD)/asan) $(patsubst %.c,$(BUILD)/asan/%.o,$(TEST_LIB_SRC))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -I$(BUILD)/gen -o $@ $< $(filter %.o,$^) $(LDLIBS_HOST) -lcmocka

# Each program runs against the plain and the ASan build, under a time limit
# (scripts/run-tests). unit-test needs no /dev/kvm.
test: all $(UNIT_TESTS) $(E2E_TESTS)
	@scripts/run-tests $(BUILD)

unit-test: $(BUILD)/bin/db-compare $(BUILD)/bin/db-compare-asan $(UNIT_TESTS)
	@scripts/run-tests $(BUILD) unit

e2e-test: all $(E2E_TESTS)
	@scripts/run-tests $(BUILD) e2e

report: all
	scripts/report

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -path $(BUILD)/xen-lab -prune -o -path $(BUILD)/kvm-lab -prune -o -name '*.d' -type f -print 2>/dev/null)

# --- performance regression check (README "Regression check") --------------
# db-compare compares a quick matrix with results/baseline/; `make regress`
# runs the matrix and the comparison; scripts/refresh-baseline records a new
# baseline on purpose. tests/unit/test_compare runs db-compare (db-compare-asan in
# the ASan pass).
.PHONY: regress
all: $(BUILD)/bin/db-compare $(BUILD)/bin/db-compare-asan

COMPARE_SRC := $(wildcard tools/compare/*.c) core/json_path.c

# One compile of several sources leaves one .d that names the last one's
# headers only: the headers are listed here.
COMPARE_HDR := tools/compare/compare.h core/json_path.h core/result.h core/series.h include/compiler.h

$(BUILD)/bin/db-compare: $(COMPARE_SRC) $(COMPARE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) -o $@ $(filter %.c,$^) -ljansson -lm

$(BUILD)/bin/db-compare-asan: $(COMPARE_SRC) $(COMPARE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -o $@ $(filter %.c,$^) -ljansson -lm

regress: $(BUILD)/bin/run-bench $(BUILD)/bin/db-compare
	scripts/regress $(BUILD)

# --- the Xen lab (README "Xen") ----------------------------------------------
# Boots a real Xen under QEMU TCG and runs run-bench --backend xen in its dom0
# against a PVH domU; fails on any failed run or missed update. .ci/run runs it.
.PHONY: xen-lab
xen-lab: $(BUILD)/bin/run-bench $(BUILD)/bin/run-bench-asan $(BUILD)/bin/db-workload
ifeq ($(HAVE_XEN),1)
	scripts/xen-lab/run $(BUILD)
else
	@echo "xen-lab: Xen's libraries were not found by pkg-config (install libxen-dev: scripts/install-deps)" >&2; exit 1
endif

# --- the KVM lab (README "KVM lab") -------------------------------------------
# Boots Debian's kernel under QEMU TCG (-cpu max: AMD SVM with nested paging),
# loads kvm-amd there and runs run-bench on KVM's TDP MMU; fails on any failed
# run or missed update, a negative control not caught, or a platform block
# that does not say NPT. .ci/run runs it.
.PHONY: kvm-lab
kvm-lab: $(BUILD)/bin/run-bench $(BUILD)/bin/run-bench-asan
	scripts/kvm-lab/run $(BUILD)
