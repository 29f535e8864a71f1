# SPDX-License-Identifier: MIT
# Postern build: plain make + pkg-config. `make` builds the programs into build/,
# `make check` installs what is missing, builds and runs every test tier
# (lint, unit, fuzz, integration),
# `make demo` runs the gateway and a demo device in network namespaces.
#
#   make V=1                         show full commands
#   make SANITIZE=address,undefined  build (and test) with sanitizers

PKGS      := openssl libnl-3.0 libnl-route-3.0 libmnl libconfuse sqlite3
BUILD     := build
OBJ       := $(BUILD)/obj
CC        ?= cc
FUZZ_CC   ?= clang

# Evaluated lazily: pkg-config may not exist before `make deps` has run.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

WARN      := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter
HARDEN    := -fstack-protector-strong -fstack-clash-protection -D_FORTIFY_SOURCE=2 \
             -fPIE -fcf-protection
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(CFLAGS) -I. $(PKG_CFLAGS)
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

# Every .c file in a module folder is library code, except the program entry points.
PROGRAMS   := posternd posternctl postern-ca postern-posture
MAIN_SRCS  := gateway/main.c gateway/posternctl.c certs/postern-ca.c posture/postern-posture.c
LIB_SRCS   := $(filter-out $(MAIN_SRCS),$(wildcard conf/*.c gateway/*.c posture/*.c certs/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(OBJ)/%.o)
LIB        := $(BUILD)/libpostern.a

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all tests fuzz check lint unit fuzz-smoke integration demo deps bench clean install
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

$(LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/posternd: $(OBJ)/gateway/main.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/posternctl: $(OBJ)/gateway/posternctl.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/postern-ca: $(OBJ)/certs/postern-ca.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/postern-posture: $(OBJ)/posture/postern-posture.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: $(OBJ)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

tests: all $(UNIT_BINS)

# Fuzz targets: libFuzzer needs clang and its own instrumented copy of the library.
FUZZ_OBJ   := $(BUILD)/fuzz/obj
FUZZ_FLAGS  = -std=gnu11 -D_GNU_SOURCE -g -O1 -I. $(PKG_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_OBJ)/%.o)
$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
# The harnesses share test-only headers (tests/unit/*.h): a change rebuilds them.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS) $(wildcard tests/unit/*.h)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)
fuzz: $(FUZZ_BINS)
# Keep the instrumented objects between runs instead of rebuilding them each time.
.SECONDARY: $(FUZZ_LIB_OBJS)

deps:
	@tests/deps.sh

# The manual pages through mandoc -Tlint (installed by `make deps`).
lint:
	@tests/run.sh lint

unit: tests
	@tests/run.sh unit

fuzz-smoke: fuzz
	@tests/run.sh fuzz

integration: tests
	@tests/run.sh integration

check: deps
	@$(MAKE) --no-print-directory tests fuzz
	@tests/run.sh all

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

bench:
	@tests/deps.sh ocserv
	@$(MAKE) --no-print-directory all
	@tests/bench.sh

# ---- install / uninstall ----
# `make install` copies the programs, the manual pages, the systemd unit, the
# logrotate snippet and the sample configurations; DESTDIR stages it all below
# a directory (for packages). Programs and pages go under PREFIX
# (PREFIX/share/man, where man(1) looks); configuration always under /etc, where
# posternd and the unit look for it. The unit goes where systemd finds it:
# /lib/systemd/system for PREFIX=/usr (as Debian's packages do), else
# PREFIX/lib/systemd/system (systemd searches /usr/local/lib/systemd/system).
# A configuration that exists is never overwritten: when it differs from the
# shipped one, the shipped one is put beside it as FILE.sample.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
MANDIR     ?= $(PREFIX)/share/man
INSTALL    ?= install
CONF_FILES := posternd.conf policy.conf
CONFDIR     = $(DESTDIR)$(SYSCONFDIR)/postern
MAN5       := $(wildcard man/*.5)
MAN8       := $(wildcard man/*.8)

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
		$(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) $(MAN8:man/%=$(DESTDIR)$(MANDIR)/man8/%)
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
