# drydock --- one non-recursive Makefile for libdrydock, the tools and tests.
#
#   make                 build libdrydock and the tools in tree (gc/drydock-gc ...)
#   make check           install test dependencies, then every test (plain,
#                        ASan+UBSan, valgrind, install); what CI runs
#   make check-quick     plain unit + integration tests only
#   make demo            build a demo registry, run drydock-gc on it
#   make bench           the benchmarks (tests/bench), not part of check
#   make install         PREFIX=/usr/local DESTDIR= (SBINDIR, LIBDIR, ... below)
#   make install-systemd the units and /etc/default/drydock (docs/operations.md)
#   make deb             Debian packages (debian/), into this directory
#   make VARIANT=asan    objects and binaries under build/asan/
#
# Test hooks: gc's getenv("DRYDOCK_GC_TEST_*") hooks (t1040, t1110) are
# compiled only with TEST_HOOKS=1, which DEVELOPER=1 implies (every build of
# make check and check-quick).  A plain make, make install and make deb
# build without them; install-check proves no installed binary holds one.
# Objects are rebuilt whenever the compiler flags change ($(B)/.flags).

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=

VERSION := 0.1.0
SOVERSION := 0
VARIANT ?= plain
B := build/$(VARIANT)

CC ?= cc
PKGS := jansson libarchive sqlite3 libcrypto yaml-0.1 libcurl expat
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -larchive -lsqlite3 -lcrypto -lyaml -lcurl -lexpat)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

WARN := -Wall -Wextra
ifeq ($(DEVELOPER),1)
WARN += -Werror -Wmissing-prototypes -Wstrict-prototypes \
	-Wold-style-definition -Wpointer-arith -Wvla -Wwrite-strings \
	-Wformat=2 -Wshadow -fno-common
endif

# any VARIANT named asan* builds with AddressSanitizer and UBSan
ifneq ($(filter asan%,$(VARIANT)),)
OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LDOPT := -fsanitize=address,undefined
else
OPT := -O2 -g
LDOPT :=
endif

CPPFLAGS += -Iinclude -I. -D_GNU_SOURCE
TEST_HOOKS ?= $(if $(filter 1,$(DEVELOPER)),1,0)
ifeq ($(TEST_HOOKS),1)
CPPFLAGS += -DDRYDOCK_TEST_HOOKS
endif
ALL_CFLAGS = -std=c11 $(OPT) $(WARN) -fPIC -pthread $(PKG_CFLAGS) $(CFLAGS)
# libdrydock.so exports only the functions its headers declare with
# DRYDOCK_EXTERN (include/drydock/common.h); tests/check-exports.sh (make
# lint) holds it to that.  The static library keeps every symbol linkable.
LIB_CFLAGS := -fvisibility=hidden
ALL_LDFLAGS = $(LDOPT) -pthread $(LDFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
LIB_A := $(B)/libdrydock.a
LIB_SO := $(B)/libdrydock.so.$(VERSION)

# fe/: the tools' shared front end (messages, options, signals, progress,
# metrics, exit codes), like libarchive_fe: linked into each tool, not a
# part of libdrydock's API
FE_SRC := $(sort $(wildcard fe/*.c))
FE_OBJ := $(FE_SRC:%.c=$(B)/%.o)
FE_A := $(B)/libdrydock_fe.a

# TOOLS_LINK=shared links the tools against libdrydock.so (the Debian
# package); the default links them statically and they run from the tree.
TOOLS_LINK ?= static
TOOL_LIB = $(if $(filter shared,$(TOOLS_LINK)),$(LIB_SO),$(LIB_A))

TOOLS := gc fsck migrate
define tool_vars
$(1)_SRC := $$(sort $$(wildcard $(1)/*.c))
$(1)_OBJ := $$($(1)_SRC:%.c=$$(B)/%.o)
$(1)_BIN := $$(if $$($(1)_SRC),$$(B)/bin/drydock-$(1))
endef
$(foreach t,$(TOOLS),$(eval $(call tool_vars,$(t))))
TOOL_BINS := $(foreach t,$(TOOLS),$($(t)_BIN))
INTREE_BINS := $(foreach t,$(TOOLS),$(if $($(t)_SRC),$(t)/drydock-$(t)))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)
TESTTOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TESTTOOL_BIN := $(TESTTOOL_SRC:tests/tools/%.c=$(B)/tests/tools/%)
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/tests/bench/%)

.PHONY: all lib tools intree test-tools unit integration check check-quick \
	deps demo bench install install-systemd uninstall clean format \
	format-check lint hdr-check valgrind fuzz install-check deb FORCE

all: lib tools test-tools $(if $(filter plain,$(VARIANT)),intree)

lib: $(LIB_A) $(LIB_SO)
tools: $(TOOL_BINS)
test-tools: $(TESTTOOL_BIN) $(BENCH_BIN)
intree: $(INTREE_BINS)

# rewritten only when the flags differ, so a build with other flags (TEST_HOOKS,
# DEVELOPER, the package's CFLAGS) never reuses objects of another
FLAGS_NOW = $(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LIB_CFLAGS) | $(ALL_LDFLAGS) $(PKG_LIBS) | $(TOOLS_LINK)
$(B)/.flags: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(subst ','\'',$(FLAGS_NOW))' | cmp -s - $@ || \
	    printf '%s\n' '$(subst ','\'',$(FLAGS_NOW))' > $@

$(B)/%.o: %.c $(wildcard include/drydock/*.h) $(wildcard lib/*_int.h) $(wildcard */*.h) \
    $(wildcard tests/unit/*.h) $(B)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(if $(filter $(B)/lib/%,$@),$(LIB_CFLAGS)) \
	    -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(FE_A): $(FE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libdrydock.so.$(SOVERSION) $(ALL_LDFLAGS) \
	    -o $@ $^ $(PKG_LIBS)

define tool_rules
$$(B)/bin/drydock-$(1): $$($(1)_OBJ) $$(FE_A) $$(TOOL_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$($(1)_OBJ) $$(FE_A) $$(TOOL_LIB) \
	    $$(PKG_LIBS) -lm
$(1)/drydock-$(1): $$(B)/bin/drydock-$(1)
	cp $$< $$@
endef
$(foreach t,$(TOOLS),$(if $($(t)_SRC),$(eval $(call tool_rules,$(t)))))

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(FE_A) $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(FE_A) $(LIB_A) \
	    $(PKG_LIBS) -lm $(CMOCKA_LIBS)
# a unit test of a tool's own module links that module's object
$(B)/tests/unit/test_policy: $(B)/gc/policy.o
$(B)/tests/unit/test_dref: $(B)/migrate/dref.o
$(B)/tests/tools/%: $(B)/tests/tools/%.o $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(PKG_LIBS)
$(B)/tests/bench/%: $(B)/tests/bench/%.o $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(PKG_LIBS)

# --- tests -----------------------------------------------------------------

deps:
	@tests/deps.sh

unit: $(UNIT_BIN)
	@tests/unit/run.sh $(B)/tests/unit

integration: all
	@DRYDOCK_BIN=$(CURDIR)/$(B)/bin DRYDOCK_TOOLS=$(CURDIR)/$(B)/tests/tools \
	    DRYDOCK_VARIANT=$(VARIANT) tests/integration/run.sh

valgrind: all $(UNIT_BIN)
	@VALGRIND=1 tests/unit/run.sh $(B)/tests/unit
	@DRYDOCK_BIN=$(CURDIR)/$(B)/bin DRYDOCK_TOOLS=$(CURDIR)/$(B)/tests/tools \
	    VALGRIND=1 tests/integration/run.sh $(VALGRIND_TESTS)

# each public header compiles on its own as C and as C++, declares its
# functions extern "C" (else a C++ program compiles but cannot link), and
# is included by drydock.h (the whole API)
hdr-check:
	@for h in include/drydock/*.h; do \
	    echo "#include <drydock/$$(basename $$h)>" | \
	    $(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra -Werror -fsyntax-only \
	        $(PKG_CFLAGS) -x c - || { echo "hdr-check: $$h (C)"; exit 1; }; \
	    echo "#include <drydock/$$(basename $$h)>" | \
	    $(CXX) $(CPPFLAGS) -std=c++11 -Wall -Wextra -Werror -fsyntax-only \
	        $(PKG_CFLAGS) -x c++ - || { echo "hdr-check: $$h (C++)"; exit 1; }; \
	    grep -q '^extern "C" {$$' $$h || \
	        { echo "hdr-check: $$h: no extern \"C\" guard"; exit 1; }; \
	    [ $$h = include/drydock/drydock.h ] || \
	    grep -q "^#include <drydock/$$(basename $$h)>$$" include/drydock/drydock.h || \
	        { echo "hdr-check: drydock.h does not include $$h"; exit 1; }; \
	done; echo "hdr-check: every public header compiles on its own, as C and C++," \
	    "and drydock.h includes it"

# installs twice into temporary DESTDIRs from a release build
# (VARIANT=release, no test hooks) and checks what landed
install-check:
	@tests/install-check.sh

check-quick: deps
	$(MAKE) DEVELOPER=1 all
	$(MAKE) DEVELOPER=1 unit
	$(MAKE) DEVELOPER=1 integration

# What CI runs (.ci/run): plain (unit and integration), then ASan+UBSan
# (unit and integration), then valgrind (unit and a smoke test per tool).
check: deps
	$(MAKE) hdr-check
	$(MAKE) lint
	$(MAKE) install-check
	$(MAKE) DEVELOPER=1 all
	$(MAKE) DEVELOPER=1 unit
	$(MAKE) DEVELOPER=1 integration
	$(MAKE) DEVELOPER=1 VARIANT=asan all
	$(MAKE) DEVELOPER=1 VARIANT=asan unit
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    $(MAKE) DEVELOPER=1 VARIANT=asan integration
	$(MAKE) DEVELOPER=1 valgrind VALGRIND_TESTS="t1000-gc-basic.sh t2010-fsck-content.sh t3000-migrate-oci.sh"
	@echo "make check: all suites passed"

demo: deps all
	tests/demo.sh

bench: all
	tests/bench/run.sh

fuzz:
	$(MAKE) -f tests/fuzz/Makefile

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# cppcheck 2.10 cannot evaluate __has_include (lib/store_fs.c, for openat2.h).
# check-exports: libdrydock.so exports the functions include/drydock/
# declares with DRYDOCK_EXTERN, and nothing else (no internal, no variable).
lint: $(LIB_SO)
	cppcheck --std=c11 --enable=warning,performance,portability \
	    --suppress=preprocessorErrorDirective:lib/store_fs.c \
	    --inline-suppr --error-exitcode=1 -q -Iinclude -I. lib fe gc fsck migrate
	tests/check-exports.sh $(LIB_SO) include/drydock

# --- install -----------------------------------------------------------------

# The .pc is written here, from the paths of this make install: a .pc built
# earlier would keep the PREFIX of that build.
install: lib tools
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)/drydock \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(TOOL_BINS) $(DESTDIR)$(SBINDIR)/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libdrydock.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libdrydock.so.$(SOVERSION)
	ln -sf libdrydock.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libdrydock.so
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' \
	    'includedir=$(INCLUDEDIR)' '' 'Name: libdrydock' \
	    'Description: container registry storage library' \
	    'Version: $(VERSION)' 'Requires.private: $(PKGS)' \
	    'Libs: -L$${libdir} -ldrydock' 'Cflags: -I$${includedir}' \
	    > $(DESTDIR)$(PKGCONFIGDIR)/libdrydock.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libdrydock.pc
	install -m 644 include/drydock/*.h $(DESTDIR)$(INCLUDEDIR)/drydock/
	for t in $(TOOLS); do \
	    for m in $$t/*.8; do [ -f "$$m" ] && \
	        install -m 644 $$m $(DESTDIR)$(MANDIR)/man8/ ; done; \
	done; true

# The units name /usr/sbin (the package's layout): another SBINDIR is
# written into them.  An existing default file is kept.
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/default
	for u in systemd/*.service systemd/*.timer; do \
	    sed 's|/usr/sbin/drydock-|$(SBINDIR)/drydock-|g' $$u \
	        > $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u) && \
	    chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u) || exit 1; \
	done
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/drydock ] || \
	    install -m 644 systemd/drydock.default \
	        $(DESTDIR)$(SYSCONFDIR)/default/drydock

uninstall:
	rm -f $(foreach t,$(TOOLS),$(DESTDIR)$(SBINDIR)/drydock-$(t) $(DESTDIR)$(MANDIR)/man8/drydock-$(t).8)
	rm -f $(DESTDIR)$(LIBDIR)/libdrydock.* $(DESTDIR)$(PKGCONFIGDIR)/libdrydock.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/drydock
	rm -f $(foreach u,$(wildcard systemd/*.service systemd/*.timer),$(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(u)))

# --- Debian packages ------------------------------------------------------------

# dpkg-buildpackage works on a copy of the tree (build/deb/drydock-VERSION,
# what git tracks plus untracked files it does not ignore), so the tree
# stays clean; the .deb files are copied here.
DEB_SRC := build/deb/drydock-$(VERSION)
deb:
	@tests/deps.sh deb
	rm -rf build/deb && mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z --cached --others --exclude-standard | \
	        xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	        tar --null -T - -cf - | tar -xf - -C $(DEB_SRC); \
	else \
	    tar --exclude=./build --exclude='./*.deb' -cf - . | tar -xf - -C $(DEB_SRC); \
	fi
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error build/deb/drydock_$(VERSION)_*.changes
	cp build/deb/*.deb .
	@ls -1 build/deb/*.deb | sed 's|^build/deb/|make deb: |'

clean:
	rm -rf build $(foreach t,$(TOOLS),$(t)/drydock-$(t))
	rm -f drydock_*.deb libdrydock0_*.deb libdrydock-dev_*.deb \
	    drydock-dbgsym_*.deb libdrydock0-dbgsym_*.deb
