# aiwb — terminal AI workbench. Plain make; every library through pkg-config.
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS     = ncursesw libcurl libcjson libcrypto readline sqlite3 yaml-0.1 zlib libpcre2-8 libxml-2.0 libcmark-gfm
VERSION  = $(shell cat VERSION 2>/dev/null || echo 0.1.0)

WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wundef -Wwrite-strings -Wcast-qual -Wpointer-arith
ifdef CI
WARN    += -Werror
endif
OPT     ?= -O2 -g
SAN     ?=
BUILD   ?= build
# Deferred (=) so pkg-config runs after `make deps` has installed the libraries.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
# ./aiwb takes these from their archives when the -dev packages ship them;
# readline (ui/input.c, cli/chatline.c) and libxml2 (text/xmllib.c, with the
# ICU and C++ libraries it brings) are opened on first use: every shared
# library costs each start its loading and relocation (bench/run.sh, first
# paint and first token).
STATIC_LIBS ?= cmark-gfm-extensions cmark-gfm ncursesw tinfo sqlite3 yaml
AIWB_STATIC = $(foreach l,$(STATIC_LIBS),$(if $(filter /%,$(shell $(CC) -print-file-name=lib$(l).a)),-l$(l)))
comma      := ,
AIWB_LIBS   = $(if $(AIWB_STATIC),-Wl$(comma)-Bstatic $(AIWB_STATIC) -Wl$(comma)-Bdynamic) \
              $(filter-out $(AIWB_STATIC) -lreadline -lxml2,$(PKG_LIBS))
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) $(SAN) -Isrc -Iui \
             -DAIWB_VERSION='"$(VERSION)"' -DAIWB_SHAREDIR='"$(PREFIX)/share/aiwb"' \
             $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

CORE_SRC = $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
UI_SRC   = $(wildcard ui/*.c)
CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
UI_OBJ   = $(UI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_RUN = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%-replay)
# tests/fakes/fake_*.c are services built into the fake server program, fakellm.
FAKE_PARTS = $(wildcard tests/fakes/fake_*.c)
HELPERS  = $(patsubst %.c,$(BUILD)/%,$(filter-out $(FAKE_PARTS),$(wildcard tests/fakes/*.c)) $(wildcard bench/*.c))

.PHONY: all deps run test check asan ubsan bench fuzz install install-files uninstall clean aiwb
.SECONDARY:
all: aiwb

deps:
	@./scripts/deps.sh

# ./aiwb is always the binary of this BUILD (asan/ubsan builds copy theirs here too).
aiwb: $(BUILD)/aiwb
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

$(BUILD)/aiwb: $(BUILD)/src/main.o $(BUILD)/libaiwbui.a $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(AIWB_LIBS) -lm

$(BUILD)/libaiwb.a: $(CORE_OBJ)
	@rm -f $@; ar rcs $@ $^
$(BUILD)/libaiwbui.a: $(UI_OBJ)
	@rm -f $@; ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Unit tests link the core; test_ui_* also link the UI.
$(BUILD)/tests/test_ui_%: $(BUILD)/tests/unit/test_ui_%.o $(BUILD)/libaiwbui.a $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka) -lm
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka) -lm

# Fuzz targets double as corpus-replay programs (built with any compiler) for `make test`.
$(BUILD)/fuzz/%-replay: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libaiwb.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm
$(BUILD)/tests/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/fakes/%: $(BUILD)/tests/fakes/%.o $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm
# fakellm also serves the fake AWS services of tests/fakes/fake_*.c and tests/fakes/svc/.
$(BUILD)/tests/fakes/fakellm: $(BUILD)/tests/fakes/fakellm.o $(FAKE_PARTS:%.c=$(BUILD)/%.o) $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/fakes/svc/*.c)) $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lutil -lm
$(BUILD)/bench/chart_bench: $(BUILD)/bench/chart_bench.o $(BUILD)/libaiwbui.a $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm
$(BUILD)/bench/kbsync_bench: $(BUILD)/bench/kbsync_bench.o $(BUILD)/libaiwbui.a $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm
$(BUILD)/bench/md_bench: $(BUILD)/bench/md_bench.o $(BUILD)/libaiwbui.a $(BUILD)/libaiwb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

build-tests: aiwb $(UNIT_BIN) $(FUZZ_RUN) $(HELPERS)
.PHONY: build-tests

run: deps
	@$(MAKE) --no-print-directory all
	./aiwb

test: deps
	@$(MAKE) --no-print-directory build-tests
	@BUILD=$(BUILD) ./tests/run.sh

check: test

asan:
	@./scripts/deps.sh
	@$(MAKE) --no-print-directory BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined' test

ubsan:
	@./scripts/deps.sh
	@$(MAKE) --no-print-directory BUILD=build-ubsan OPT='-O1 -g' \
		SAN='-fsanitize=undefined -fno-sanitize-recover=undefined' test

bench: deps
	@$(MAKE) --no-print-directory all $(HELPERS)
	@BUILD=$(BUILD) ./bench/run.sh

# libFuzzer (clang): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 30
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang: apt-get install clang" >&2; exit 1; }
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) PKGS="$(PKGS)" ./tests/fuzz/run.sh

install: all
	@$(MAKE) --no-print-directory install-files

# Only the files, from what is built (tests/e2e/install.sh: a test must not
# rebuild a sanitizer build with other flags).
install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/aiwb/prompts \
		$(DESTDIR)$(PREFIX)/share/aiwb/themes $(DESTDIR)$(PREFIX)/share/aiwb/examples \
		$(DESTDIR)$(PREFIX)/share/aiwb/catalog \
		$(DESTDIR)$(PREFIX)/share/doc/aiwb
	install -m 0755 aiwb $(DESTDIR)$(PREFIX)/bin/aiwb
	for f in prompts/*.prompt prompts/*.jsonl; do [ -e "$$f" ] && install -m 0644 "$$f" $(DESTDIR)$(PREFIX)/share/aiwb/prompts/; done; true
	install -m 0644 themes/*.theme $(DESTDIR)$(PREFIX)/share/aiwb/themes/
	install -m 0644 catalog/models.json $(DESTDIR)$(PREFIX)/share/aiwb/catalog/
	cp -R examples/. $(DESTDIR)$(PREFIX)/share/aiwb/examples/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/aiwb/

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/bin/aiwb $(DESTDIR)$(PREFIX)/share/aiwb $(DESTDIR)$(PREFIX)/share/doc/aiwb

clean:
	rm -rf build build-asan build-ubsan build-fuzz aiwb

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
