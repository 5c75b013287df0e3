# aio: the only build file.  Generated code (re2c, lemon) and objects go to build/.
#
#   make            ./aio (optimised) and the timeline pictures of examples/README.md
#   make pictures   those pictures only: examples/pictures/*.svg and *.html (generated, not committed)
#   make deps       check that the tools and libraries the build needs are there; if some are
#                   missing, install their Debian packages (as root with apt-get; else print them)
#   make demo       run the example that shows the language off
#   make test       every golden test under tests/ and examples/, and the REPL's pty tests
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-gc    the suite with the GC collecting at every allocation
#   make oracle     check every expectation against python3 (CPython is the oracle)
#   make bench      benchmarks against python3, as time ratios
#   make fd-leak    10,000 connections opened and closed leave no descriptor behind (CI)
#   make proc-leak  1,000 subprocess runs and 1,000 asyncio children leave no zombie, no descriptor (CI)
#   make test-debug the suite in the AIO_DEBUG build: every instruction checks the frame's stack
#                   depth and blocks against what the compiler computed
#   make VARIANT=trace  build/aio-trace, which prints every instruction it runs and the value
#                   stack before it on stderr (as clox's DEBUG_TRACE_EXECUTION)
#   make unit       the layering check (tests/layers.py), C unit tests of self-contained modules,
#                   and the opcode stack-effect test
#   make fuzz       libFuzzer on the fuzz build for FUZZ_TIME seconds (default 600); fuzz/README.md
#   make fuzz-smoke every saved fuzz input and crash reproducer once, under the fuzz build (CI)
#   make fuzz-merge add to fuzz/corpus/ what make fuzz found that brings new coverage
#   make fuzz-coverage  line coverage of vm/ and runtime/ by the fuzz inputs (llvm-cov)

CC      ?= cc
PKGS    := libuv libutf8proc libssl libcrypto libedit
# What the build needs, as command:package and header:package (Debian names).  pkg-config is
# optional: without it the libraries are linked by their usual names.
DEP_TOOLS   := re2c:re2c lemon:lemon python3:python3 openssl:openssl
DEP_HEADERS := uv.h:libuv1-dev utf8proc.h:libutf8proc-dev gmp.h:libgmp-dev openssl/ssl.h:libssl-dev histedit.h:libedit-dev
DEP_FILES   := /usr/share/unicode/UnicodeData.txt:unicode-data
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CSTD    := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
INC     := -Ibase -Ilexer -Iparser -Ivm -Iruntime -Istdlib -Irepl -Ibuild
OPT     ?= -O2 -g
LEMPAR  := /usr/share/lemon/lempar.c

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -luv -lutf8proc -lssl -lcrypto -ledit)

SRCS := $(wildcard base/*.c lexer/*.c parser/*.c vm/*.c runtime/*.c stdlib/*.c repl/*.c)
GEN  := build/scan.c build/grammar.c build/unicode_names_data.c
# The Unicode Character Database (Debian's unicode-data), for the character names of "\N{...}"
UCD  := /usr/share/unicode

# Each variant builds into its own folder so they never mix objects.
VARIANT ?= release
OBJDIR  := build/$(VARIANT)
OBJS    := $(patsubst %.c,$(OBJDIR)/%.o,$(SRCS)) $(OBJDIR)/build/scan.o $(OBJDIR)/build/grammar.o \
           $(OBJDIR)/build/unicode_names_data.o

ifeq ($(VARIANT),asan)
  OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDEXTRA := -fsanitize=address,undefined
endif
# ThreadSanitizer (make test-tsan): the thread tests must run with no report.
ifeq ($(VARIANT),tsan)
  OPT := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
  LDEXTRA := -fsanitize=thread
endif
ifeq ($(VARIANT),gc)
  OPT := -O1 -g -DAIO_STRESS_GC
endif
ifeq ($(VARIANT),debug)
  OPT := -O1 -g -DAIO_DEBUG
endif
ifeq ($(VARIANT),trace)
  OPT := -O1 -g -DAIO_TRACE_EXECUTION
endif
# The fuzz build (fuzz/README.md): clang, sanitizers, libFuzzer's coverage, the limits and sandbox
# of -DAIO_FUZZ and the VM's assertions (-DAIO_DEBUG).  It links the libFuzzer target and a
# command line from the same objects.
ifeq ($(VARIANT),fuzz)
  CC  := clang
  SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
  OPT := -O1 -g -fno-omit-frame-pointer $(SAN) -fsanitize=fuzzer-no-link -DAIO_FUZZ -DAIO_DEBUG
  LDEXTRA := $(SAN)
endif

# Line coverage of what the fuzz inputs run (make fuzz-coverage): clang's source-based coverage.
ifeq ($(VARIANT),cov)
  CC  := clang
  OPT := -O0 -g -fprofile-instr-generate -fcoverage-mapping -DAIO_FUZZ
endif

# The interpreter loop (vm/vm.c) dispatches by computed goto, which pays because every handler
# ends in its own indirect jump, one the branch predictor learns separately.  GCC undoes that:
# its global common-subexpression pass merges all the `goto *dispatch_table[...]` into one shared
# jump (its manual advises -fno-gcse for computed gotos), and it copies a computed goto back into
# its predecessors only for blocks shorter than our dispatch.  With both flags every handler
# dispatches itself: -8% to -12% instructions on bench/fib, loop and method (callgrind).  And its
# SLP vectorizer notices that SAVE() stores ip and sp to adjacent fields of the frame, and keeps
# the two in one vector register, moving them in and out of it around every instruction (a third
# more instructions on bench/fib): -fno-tree-slp-vectorize.
ifneq ($(findstring gcc version,$(shell $(CC) -v 2>&1)),)
  VM_LOOP_FLAGS := -fno-gcse --param max-goto-duplication-insns=20 -fno-tree-slp-vectorize
endif
$(OBJDIR)/vm/vm.o: OPT += $(VM_LOOP_FLAGS)

ifeq ($(VARIANT),release)
  TARGET := aio
else
  TARGET := build/aio-$(VARIANT)
endif
ifeq ($(VARIANT),fuzz)
  TARGET := build/aio-fuzz build/aio-fuzz-cli
endif

.PHONY: all pictures deps demo test fd-leak proc-leak test-asan test-tsan test-gc test-debug oracle bench unit clean fuzz fuzz-smoke fuzz-seeds fuzz-merge fuzz-coverage

all: $(TARGET)
ifeq ($(VARIANT),release)
all: pictures
endif

# The timelines examples/README.md shows, drawn by aio itself (--virtual-time: the same picture
# every time, in milliseconds).  Seed 003's two runs share a 15 s axis, so that 6 s against 15 s
# shows at a glance; AIO_TIMELINE_SECONDS sets it (spec.md).
PICTURE_RUNS := 24_seed003_concurrency 26_seed003_await_without_tasks 15_time_sleep_vs_asyncio_sleep
PICTURES     := $(foreach p,$(PICTURE_RUNS),examples/pictures/$(p).svg examples/pictures/$(p).html)
pictures: $(PICTURES)
examples/pictures/24_seed003_%: PICTURE_SECONDS := 15
examples/pictures/26_seed003_%: PICTURE_SECONDS := 15
examples/pictures/%.svg: examples/%.aio aio
	@mkdir -p examples/pictures
	AIO_TIMELINE_SECONDS=$(PICTURE_SECONDS) ./aio --virtual-time --timeline=$@ $< > /dev/null
examples/pictures/%.html: examples/%.aio aio
	@mkdir -p examples/pictures
	./aio --virtual-time --timeline=$@ $< > /dev/null

ifeq ($(VARIANT),fuzz)
build/aio-fuzz: $(filter-out %/repl/main.o,$(OBJS)) $(OBJDIR)/fuzz/harness.o
	$(CC) $(OPT) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lgmp -lm

build/aio-fuzz-cli: $(OBJS)
	$(CC) $(OPT) -o $@ $(OBJS) $(PKG_LIBS) -lgmp $(LDEXTRA) -lm
else
$(TARGET): $(OBJS)
	$(CC) $(OPT) -o $@ $(OBJS) $(PKG_LIBS) -lgmp $(LDEXTRA) -lm
endif

build/scan.c: lexer/scan.re | build
	re2c -W --no-generation-date -o $@ $<

# lemon leaves grammar.h alone when it would not change: touch both, or make reruns it every time.
build/grammar.c build/grammar.h &: parser/grammar.y $(LEMPAR) | build
	lemon -q -dbuild -T$(LEMPAR) parser/grammar.y
	@touch build/grammar.c build/grammar.h

# The character names, generated from the Unicode Character Database (base/unicode_names_gen.py).
build/unicode_names_data.c: base/unicode_names_gen.py $(UCD)/UnicodeData.txt $(UCD)/NameAliases.txt \
                            $(UCD)/DerivedAge.txt $(UCD)/Jamo.txt | build
	python3 base/unicode_names_gen.py $(UCD) > $@.tmp && mv $@.tmp $@

# The HTML timeline's page (runtime/timeline_page.html), carried in the binary as a C string.
build/timeline_page.h: runtime/timeline_page.html runtime/embed_text.py | build
	python3 runtime/embed_text.py timeline_page $< > $@.tmp && mv $@.tmp $@
$(OBJDIR)/runtime/timeline.o: build/timeline_page.h

# Everything that includes the token kinds waits for the grammar.
$(patsubst %.c,$(OBJDIR)/%.o,$(SRCS)) $(OBJDIR)/build/scan.o: build/grammar.h

$(OBJDIR)/build/%.o: build/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(OPT) $(INC) $(PKG_CFLAGS) -w -MMD -c $< -o $@

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(OPT) $(WARN) $(INC) $(PKG_CFLAGS) -MMD -c $< -o $@

build:
	@mkdir -p build

-include $(OBJS:.o=.d)
# The fuzz harness is no source of the interpreter, but it includes its headers too: without its
# .d file a stale harness.o read a Vm of an older layout (every input failed UBSan at start-up).
-include $(OBJDIR)/fuzz/harness.d

# A header that was moved or deleted must not stop the build: old .d files still name it.
%.h: ;

# ---- set-up, tests, benchmarks ----------------------------------------------------------------

# Checks by trying, not by asking dpkg: tools and libraries installed any way count, and a machine
# that has them all never runs apt-get.
deps:
	@missing=""; \
	for t in $(DEP_TOOLS); do command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; done; \
	[ -f $(LEMPAR) ] || missing="$$missing lemon"; \
	for f in $(DEP_FILES); do [ -f $${f%%:*} ] || missing="$$missing $${f#*:}"; done; \
	for h in $(DEP_HEADERS); do \
	  printf '#include <%s>\n' $${h%%:*} | $(CC) -x c -fsyntax-only $(PKG_CFLAGS) - >/dev/null 2>&1 || \
	    missing="$$missing $${h#*:}"; \
	done; \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq $$missing; \
	  else echo "aio needs (Debian packages): $$missing-- e.g. sudo apt-get install -y $$missing"; exit 1; fi; \
	fi

demo: deps
	@$(MAKE) --no-print-directory aio
	./aio examples/24_seed003_concurrency.aio

test: deps
	@$(MAKE) --no-print-directory aio
	python3 tests/layers.py
	python3 tests/run.py --aio ./aio
	python3 tests/repl/run.py --aio ./aio

# The slower builds run one test per CPU: their tests are CPU-bound, and the default of two per CPU
# would push some past their timeouts.
CPUS := $(shell nproc 2>/dev/null || echo 2)

# allocator_may_return_null: a program-chosen size too big for ASan's allocator must come back as
# NULL, which aio turns into MemoryError, as it does in the release build.
test-asan: deps
	@$(MAKE) --no-print-directory VARIANT=asan
	ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 python3 tests/run.py -j $(CPUS) --aio build/aio-asan
	ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 python3 tests/repl/run.py --aio build/aio-asan

# The tests that start threads, under ThreadSanitizer: any report fails the test (exit 66).
TSAN_TESTS := tests/threads tests/executors
test-tsan: deps
	@$(MAKE) --no-print-directory VARIANT=tsan
	TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1 python3 tests/run.py -j $(CPUS) --aio build/aio-tsan $(TSAN_TESTS)

test-gc: deps
	@$(MAKE) --no-print-directory VARIANT=gc
	python3 tests/run.py -j $(CPUS) --aio build/aio-gc
	python3 tests/repl/run.py --aio build/aio-gc

test-debug: deps
	@$(MAKE) --no-print-directory VARIANT=debug
	python3 tests/run.py -j $(CPUS) --aio build/aio-debug
	python3 tests/repl/run.py --aio build/aio-debug

oracle: deps
	python3 tests/run.py --oracle

# The descriptor-leak test at the size issue 9 asks for; the suite runs it with 1,000 connections
# to stay fast.
fd-leak: aio
	cd tests/io && ../../aio connections_no_fd_leak.aio 10000 | tee /dev/stderr | grep -c True | grep -qx 2

# Children and their pipes at 1,000 of each (the suite's tests/subprocess/no_zombies runs 60).
proc-leak: aio
	cd tests/subprocess && out=$$(../../aio no_zombies.aio 1000) && echo "$$out" && \
	  test "$$out" = "$$(printf 'children left: []\ndescriptors left: 0')"

# bench/limit/echo.c is bench/echo.aio written directly on libuv: the physical limit beside which
# bench/run.py reports aio's and python3's round trips per second.
bench: aio build/echo-limit
	python3 bench/run.py
	python3 bench/repl_startup.py

build/echo-limit: bench/limit/echo.c | build
	$(CC) $(CSTD) -O2 $(WARN) $(shell pkg-config --cflags libuv 2>/dev/null) $< -o $@ \
	  $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)

unit:
	python3 tests/layers.py
	@for t in tests/unit/*_test.c; do \
	  n=$$(basename $$t .c); \
	  $(CC) $(CSTD) -O1 $(WARN) $(INC) $$t $$(echo $$t | sed 's|tests/unit/\(.*\)_test.c|runtime/\1.c|') -lm -o build/$$n && ./build/$$n || exit 1; \
	done
	@$(MAKE) --no-print-directory VARIANT=debug build/debug/opcode_effects_vm
	./build/debug/opcode_effects_vm

# The opcode stack-effect test runs programs in the debug build: it links all of its objects but main.
$(OBJDIR)/opcode_effects_vm: tests/unit/opcode_effects_vm.c $(filter-out $(OBJDIR)/repl/main.o,$(OBJS))
	$(CC) $(CSTD) $(OPT) $(WARN) $(INC) $(PKG_CFLAGS) $^ $(PKG_LIBS) -lgmp $(LDEXTRA) -lm -o $@

# ---- fuzzing (fuzz/README.md) ------------------------------------------------------------------

FUZZ_TIME  ?= 600
FUZZ_FLAGS := -dict=fuzz/python.dict -close_fd_mask=3 -timeout=30 -rss_limit_mb=2048 -max_len=8192
FUZZ_SEEDS := build/fuzz-seeds

# The seeds: every golden test, copied flat (a name per path), but those that run out of memory
# on purpose (`# memory-limit:`): the fuzz build has its own limit, and libFuzzer reports a
# single malloc larger than its -rss_limit_mb as a crash.
fuzz-seeds:
	@rm -rf $(FUZZ_SEEDS) && mkdir -p $(FUZZ_SEEDS)
	@for f in $$(grep -L '^# memory-limit:' $$(find tests -name '*.aio')); do \
	  cp $$f $(FUZZ_SEEDS)/$$(echo $$f | tr / _); done

# New inputs go to build/fuzz-corpus (kept between runs), crashes to build/fuzz-crashes/.
fuzz: fuzz-seeds
	@$(MAKE) --no-print-directory -j2 VARIANT=fuzz
	@mkdir -p build/fuzz-corpus build/fuzz-crashes
	nice build/aio-fuzz $(FUZZ_FLAGS) -max_total_time=$(FUZZ_TIME) -artifact_prefix=$(CURDIR)/build/fuzz-crashes/ \
	  build/fuzz-corpus fuzz/corpus fuzz/crashes $(FUZZ_SEEDS)

# Adds to fuzz/corpus/ the small inputs of build/fuzz-corpus that reach code the seeds and the saved
# corpus do not (libFuzzer's -merge keeps the first folder and adds what brings new coverage;
# without hit counters, so only new edges count and the saved corpus stays small).
fuzz-merge: fuzz-seeds
	@$(MAKE) --no-print-directory -j2 VARIANT=fuzz
	@rm -rf build/fuzz-merge build/fuzz-merge-new && mkdir -p build/fuzz-merge fuzz/corpus
	@cp $(FUZZ_SEEDS)/* build/fuzz-merge/ && cp fuzz/corpus/* build/fuzz-merge/ 2>/dev/null || true
	@mkdir -p build/fuzz-merge-new # a snapshot (a running make fuzz edits its corpus) of the small inputs
	@find build/fuzz-corpus -type f -size -2k -exec cp {} build/fuzz-merge-new/ \; 2>/dev/null || true
	build/aio-fuzz $(FUZZ_FLAGS) -use_counters=0 -merge=1 build/fuzz-merge build/fuzz-merge-new
	@for f in build/fuzz-merge/*; do [ -e $(FUZZ_SEEDS)/$${f##*/} ] || cp $$f fuzz/corpus/; done
	@echo "fuzz/corpus: $$(ls fuzz/corpus | wc -l) files, $$(du -sh fuzz/corpus | cut -f1)"

# Line coverage of vm/ and runtime/ by the seeds, the saved corpus, the reproducers and what
# make fuzz has found so far (build/fuzz-corpus), each run once by a coverage build.
fuzz-coverage: fuzz-seeds
	@$(MAKE) --no-print-directory -j2 VARIANT=cov
	@rm -rf build/cov-data build/cov-work && mkdir -p build/cov-data build/cov-work
	@for f in $(FUZZ_SEEDS)/* fuzz/corpus/* fuzz/crashes/* $(wildcard build/fuzz-corpus/*); do \
	  (cd build/cov-work && LLVM_PROFILE_FILE=$(CURDIR)/build/cov-data/%p.profraw \
	   timeout 10 ../aio-cov $(CURDIR)/$$f </dev/null >/dev/null 2>&1; rm -rf ./*); done; true
	@llvm-profdata merge -sparse build/cov-data/ -o build/cov.profdata
	llvm-cov report build/aio-cov -instr-profile=build/cov.profdata vm runtime | tail -1

# Runs each saved input once: a crash that was fixed stays fixed.
fuzz-smoke: fuzz-seeds
	@$(MAKE) --no-print-directory -j2 VARIANT=fuzz
	build/aio-fuzz $(FUZZ_FLAGS) -runs=0 -artifact_prefix=$(CURDIR)/build/ fuzz/corpus fuzz/crashes $(FUZZ_SEEDS)

clean:
	rm -rf build aio examples/pictures
