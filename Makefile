# SPDX-License-Identifier: MIT
# Postern build: plain make + pkg-config. `make` builds the programs into build/,
# `make check` installs what is missing, builds and runs every test tier
# (lint, unit, fuzz, integration),
# `make demo` runs the gateway and a demo device in network namespaces.
#
#   make V=1                         show full commands
#   make SANITIZE=address,undefined  build (and test) with sanitizers

# Every package any program uses (for `make deps` and the test programs);
# each program links only its own list below.
PKGS      := openssl libnl-3.0 libnl-route-3.0 libmnl libconfuse sqlite3 libseccomp
BUILD     := build
OBJ       := $(BUILD)/obj
CC        ?= cc
FUZZ_CC   ?= clang

# Evaluated lazily: pkg-config may not exist before `make deps` has run.
pkg_cflags = $(shell pkg-config --cflags $(1))
pkg_libs   = $(shell pkg-config --libs $(1))
PKG_CFLAGS = $(call pkg_cflags,$(PKGS))
PKG_LIBS   = $(call pkg_libs,$(PKGS))

WARN      := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter
HARDEN    := -fstack-protector-strong -fstack-clash-protection -D_FORTIFY_SOURCE=2 \
             -fPIE -fcf-protection
CFLAGS    ?= -O2 -g
# postern-ca's CA directory when neither --dir nor POSTERN_PKI names one
# (certs/model.h); SYSCONFDIR is set with the install paths below.
PKIDIR    ?= $(SYSCONFDIR)/postern/pki
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(CFLAGS) -I. $(PKG_CFLAGS) \
             -DCA_DEFAULT_DIR=\"$(PKIDIR)\"
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)

ifneq ($(SANITIZE),)
ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- layers ----
# One archive per folder. Arrows point one way (DESIGN.md, "Layers"):
# common <- conf <- posture <- gateway, and certs uses common and conf only.
# Every .c file in a folder is its archive's, except the program entry
# points. An archive is linked before the archives it uses, so LAYERS is
# the link order; tests/lint/arrows.sh checks that the code keeps to it.
LAYERS     := gateway posture certs conf common
PROGRAMS   := posternd posternctl postern-ca postern-posture
MAIN_SRCS  := gateway/main.c gateway/posternctl.c certs/postern-ca.c posture/postern-posture.c
# postern-ca's commands, one file per family, and posternctl's own files:
# program code (they print), in no archive.
CA_CMD_SRCS := $(wildcard certs/cmd_*.c)
CTL_SRCS    := $(wildcard gateway/posternctl_*.c)
layer_srcs  = $(filter-out $(MAIN_SRCS) $(CA_CMD_SRCS) $(CTL_SRCS),$(wildcard $(1)/*.c))
layer_lib   = $(BUILD)/lib$(1).a
LIB_SRCS   := $(foreach l,$(LAYERS),$(call layer_srcs,$(l)))

# What each program is made of: its entry point, single objects it shares
# with a program of a higher layer (posternctl: the control commands' table,
# data the daemon also serves, and the reader of the audit log the daemon
# writes), the archives it uses (in link order) and the
# libraries it calls, and nothing more.
posternd_MAIN        := gateway/main.c
posternd_LAYERS      := gateway posture conf common
posternd_PKGS        := openssl libnl-3.0 libnl-route-3.0 libmnl libconfuse libseccomp
posternctl_MAIN      := gateway/posternctl.c
posternctl_OBJS      := gateway/ctlcmd.c gateway/auditread.c $(CTL_SRCS)
posternctl_LAYERS    := conf common
posternctl_PKGS      := libconfuse
postern-ca_MAIN      := certs/postern-ca.c
postern-ca_OBJS      := $(CA_CMD_SRCS)
postern-ca_LAYERS    := certs common
postern-ca_PKGS      := libcrypto sqlite3
postern-posture_MAIN := posture/postern-posture.c
postern-posture_LAYERS := posture conf common
postern-posture_PKGS := openssl libconfuse

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all tests fuzz fuzz-build check lint unit fuzz-smoke integration demo deps bench clean install
all: $(PROGRAMS:%=$(BUILD)/%)

# Rebuild everything when the compiler flags change (e.g. SANITIZE on or off).
FLAGS_STAMP := $(BUILD)/.flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
FORCE:

$(OBJ)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# archive_rule ARCHIVE OBJDIR LAYER: ARCHIVE from the layer's objects in OBJDIR.
define archive_rule
$(1): $(patsubst %.c,$(2)/%.o,$(call layer_srcs,$(3)))
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call archive_rule,$(call layer_lib,$(l)),$(OBJ),$(l))))

define program_rule
$(BUILD)/$(1): $(OBJ)/$($(1)_MAIN:%.c=%.o) $($(1)_OBJS:%.c=$(OBJ)/%.o) $(foreach l,$($(1)_LAYERS),$(call layer_lib,$(l)))
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$^ $$(call pkg_libs,$($(1)_PKGS))
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

# A unit test links every archive in link order: from an archive the linker
# takes only the objects the test calls. A test of common/ links common
# alone, which also proves that the leaf needs nothing of ours.
ALL_LIBS := $(foreach l,$(LAYERS),$(call layer_lib,$(l)))
$(BUILD)/tests/test_common_%: $(OBJ)/tests/unit/test_common_%.o $(call layer_lib,common)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,libcrypto)

$(BUILD)/tests/%: $(OBJ)/tests/unit/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The benchmark's load generator (tests/bench/loadgen.c): one program on
# OpenSSL, built with the same warnings so that it cannot rot unseen.
LOADGEN := $(BUILD)/tests/loadgen
$(LOADGEN): tests/bench/loadgen.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC LD   $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(call pkg_libs,openssl)

tests: all $(UNIT_BINS) $(LOADGEN)

# Fuzz targets: libFuzzer needs clang and its own instrumented copy of each
# archive, linked like the unit tests.
FUZZ_OBJ   := $(BUILD)/fuzz/obj
FUZZ_FLAGS  = -std=gnu11 -D_GNU_SOURCE -g -O1 -I. $(PKG_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_OBJ)/%.o)
fuzz_lib    = $(BUILD)/fuzz/lib$(1).a
$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
$(foreach l,$(LAYERS),$(eval $(call archive_rule,$(call fuzz_lib,$(l)),$(FUZZ_OBJ),$(l))))
FUZZ_LIBS := $(foreach l,$(LAYERS),$(call fuzz_lib,$(l)))
# The harnesses share test-only headers (tests/unit/*.h, tests/fuzz/*.h): a
# change rebuilds them.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBS) $(wildcard tests/unit/*.h tests/fuzz/*.h)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.a,$^) $(PKG_LIBS)
fuzz-build: $(FUZZ_BINS)
# `make fuzz [FUZZ_TIME=seconds] [FUZZ_RUNS=executions]`: every target for
# that long (default 60) or that many executions (FUZZ_RUNS alone: no time
# limit; both: whichever comes first), from a copy of its corpus; a table of
# executions and crashes. `make fuzz FUZZ_RUNS=10000000` is the acceptance run.
fuzz: fuzz-build
	@FUZZ_RUNS=$(FUZZ_RUNS) tests/fuzz/run.sh $(FUZZ_TIME)
# Keep the instrumented objects between runs instead of rebuilding them each time.
.SECONDARY: $(FUZZ_LIB_OBJS)

deps:
	@tests/deps.sh


unit: tests
	@tests/run.sh unit

# tests/lint/*.sh: the manual pages through mandoc -Tlint (installed by
# `make deps`), the arrows between the folders (includes, and what each
# program links), and the Prometheus alert rules and Grafana dashboard
# (promtool check rules and test rules, from Debian's prometheus).
lint: all
	@tests/run.sh lint

fuzz-smoke: fuzz-build
	@tests/run.sh fuzz

integration: tests
	@tests/run.sh integration

check: deps
	@$(MAKE) --no-print-directory tests fuzz-build
	@tests/run.sh all

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

# ocserv is the peer it is measured against; iperf3 carries the traffic.
bench:
	@tests/deps.sh ocserv iperf3
	@$(MAKE) --no-print-directory all $(LOADGEN)
	@tests/bench.sh

# ---- install / uninstall ----
# `make install` copies the programs, the manual pages, the bash completion
# scripts, the systemd unit, the logrotate snippet, the sample configurations
# and, for monitoring, the Prometheus alert rules and the Grafana dashboard;
# DESTDIR stages it all below a directory (for packages). Programs and pages
# go under PREFIX (PREFIX/share/man, where man(1) looks), the rules and
# dashboard in PREFIX/share/postern (read-only data, to copy or point at);
# configuration always under /etc, where posternd and the unit look for it.
# The unit goes where systemd finds it:
# /lib/systemd/system for PREFIX=/usr (as Debian's packages do), else
# PREFIX/lib/systemd/system (systemd searches /usr/local/lib/systemd/system).
# A configuration that exists is never overwritten: when it differs from the
# shipped one, the shipped one is put beside it as FILE.sample.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
# Where bash-completion looks for a command's script (XDG_DATA_DIRS: also
# /usr/local/share).
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
INSTALL    ?= install
CONF_FILES := posternd.conf policy.conf
COMPLETIONS := $(PROGRAMS:%=conf/completion/%)
CONFDIR     = $(DESTDIR)$(SYSCONFDIR)/postern
MAN5       := $(wildcard man/*.5)
MAN8       := $(wildcard man/*.8)
SHARE_FILES := conf/postern-alerts.yml conf/grafana-dashboard.json
SHAREDIR    = $(DESTDIR)$(DATADIR)/postern

.PHONY: uninstall
install: all
	@$(if $(Q),echo "  INSTALL posternd posternctl in $(DESTDIR)$(SBINDIR)")
	@$(if $(Q),echo "  INSTALL postern-ca postern-posture in $(DESTDIR)$(BINDIR)")
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d $(CONFDIR)
	$(Q)$(INSTALL) -m 0755 $(BUILD)/posternd $(BUILD)/posternctl $(DESTDIR)$(SBINDIR)/
	$(Q)$(INSTALL) -m 0755 $(BUILD)/postern-ca $(BUILD)/postern-posture $(DESTDIR)$(BINDIR)/
	@$(if $(Q),echo "  INSTALL manual pages in $(DESTDIR)$(MANDIR)/man5 and man8")
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(Q)$(INSTALL) -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(Q)$(INSTALL) -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	@$(if $(Q),echo "  INSTALL bash completion in $(DESTDIR)$(BASHCOMPDIR)")
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(BASHCOMPDIR)
	$(Q)$(INSTALL) -m 0644 $(COMPLETIONS) $(DESTDIR)$(BASHCOMPDIR)/
	@$(if $(Q),echo "  INSTALL alert rules and dashboard in $(SHAREDIR)")
	$(Q)$(INSTALL) -d -m 0755 $(SHAREDIR)
	$(Q)$(INSTALL) -m 0644 $(SHARE_FILES) $(SHAREDIR)/
	@$(if $(Q),echo "  INSTALL $(DESTDIR)$(UNITDIR)/postern.service")
	$(Q)sed 's|/usr/local/sbin/|$(SBINDIR)/|g' conf/postern.service \
		>$(DESTDIR)$(UNITDIR)/postern.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/postern.service
	@$(if $(Q),echo "  INSTALL $(DESTDIR)$(SYSCONFDIR)/logrotate.d/postern")
	$(Q)$(INSTALL) -m 0644 conf/postern.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/postern
	$(Q)for f in $(CONF_FILES); do \
		dst=$(CONFDIR)/$$f; \
		if [ ! -e "$$dst" ]; then \
			$(if $(Q),echo "  INSTALL $$dst";) \
			$(INSTALL) -m 0644 conf/$$f "$$dst" || exit 1; \
		elif cmp -s conf/$$f "$$dst"; then \
			rm -f "$$dst.sample"; \
		else \
			echo "  KEEP    $$dst (changed here); the shipped one is $$f.sample"; \
			$(INSTALL) -m 0644 conf/$$f "$$dst.sample" || exit 1; \
		fi; \
	done

# Leaves /etc/postern alone where it holds anything of the administrator's:
# a configuration file is removed only when it is still the shipped one.
uninstall:
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/posternd $(DESTDIR)$(SBINDIR)/posternctl \
		$(DESTDIR)$(BINDIR)/postern-ca $(DESTDIR)$(BINDIR)/postern-posture \
		$(DESTDIR)$(UNITDIR)/postern.service $(DESTDIR)$(SYSCONFDIR)/logrotate.d/postern \
		$(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) $(MAN8:man/%=$(DESTDIR)$(MANDIR)/man8/%) \
		$(PROGRAMS:%=$(DESTDIR)$(BASHCOMPDIR)/%) \
		$(SHARE_FILES:conf/%=$(SHAREDIR)/%)
	$(Q)if [ -d $(SHAREDIR) ]; then rmdir $(SHAREDIR); fi
	$(Q)for f in $(CONF_FILES); do \
		dst=$(CONFDIR)/$$f; \
		rm -f "$$dst.sample"; \
		if cmp -s conf/$$f "$$dst"; then rm -f "$$dst"; \
		elif [ -e "$$dst" ]; then echo "  KEEP    $$dst (changed here)"; fi; \
	done
	$(Q)if [ -d $(CONFDIR) ]; then rmdir $(CONFDIR) 2>/dev/null || \
		echo "  KEEP    $(CONFDIR) (not empty)"; fi

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
