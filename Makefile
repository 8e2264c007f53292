# gpushare: one non-recursive GNU Makefile.
#
#   make            build build/gpushare (needs nvcc; no GPU or driver needed)
#   make test       install missing build/test dependencies, then run every test that needs no GPU
#   make run        set up, then run the main job on the local GPU (or what needs none)
#   make gpu-test   the GPU acceptance run (device machine only; writes results JSON)
#   make fuzz       run every fuzzer for FUZZ_SECONDS each

CUDA_HOME  ?= /usr/local/cuda
NVCC       ?= $(CUDA_HOME)/bin/nvcc
# Explicit and overridable, never "native": the build machine has no GPU.
CUDA_ARCHS ?= 80 90
CUDA       ?= $(if $(wildcard $(NVCC)),1,0)
CC         ?= cc
CLANG      ?= clang
FUZZ_SECONDS ?= 10

BUILD := build
# Quiet build lines ("CC src/x.c"); V=1 prints the full commands.
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
say = $(if $(filter 1,$(V)),,@printf '  %-7s %s\n' $(1) $(2))
# The commit the binary measures with; the device machine gets no .git, so tools/gpu-test.sh
# passes it in through the environment.
GIT_COMMIT ?= $(shell git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
GIT_DIRTY  ?= $(shell test -z "$$(git status --porcelain --untracked-files=no 2>/dev/null)" && echo 0 || echo 1)
VERSION    := 0.1.0

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wwrite-strings -Wpointer-arith -Wcast-align -Wvla
CPPFLAGS_ALL = -Isrc -I$(BUILD)/gen $(DEP_INC) -D_POSIX_C_SOURCE=200809L -DGPUSHARE_CUDA=$(CUDA)
CFLAGS_ALL := -std=c11 -O2 -g $(WARN) -MMD -MP
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Pure logic: no CUDA header, linked by the unit tests and the fuzzers.
BENCH_PURE := $(wildcard $(addprefix src/bench/,bounds.c parts.c overlap.c timeline.c sampler.c \
              harness.c multi.c timeslice.c timeslice_timeline.c timeslice_victim.c migbench.c isolation.c \
              mpsbench.c mps_threads.c mps_clients.c mix.c))
PURE_SRCS := $(wildcard src/core/*.c src/results/*.c src/gpu/nvml.c src/gpu/mps.c \
             src/gpu/mps_daemon.c src/gpu/mps_state.c src/gpu/pcie.c src/gpu/mps_spec.c src/mig/*.c src/plan/*.c src/emit/*.c \
             src/fleet/*.c) \
             $(BENCH_PURE)
# Host code that includes CUDA runtime headers.
CUDA_C_SRCS := src/gpu/cu.c src/gpu/cublas.c src/gpu/info.c \
               $(filter-out $(BENCH_PURE) src/bench/nocuda.c,$(wildcard src/bench/*.c))
CLI_SRCS  := src/main.c $(wildcard src/cli/*.c)
CU_SRCS   := $(wildcard src/gpu/*.cu)

ifeq ($(CUDA),1)
HOST_SRCS := $(PURE_SRCS) $(CUDA_C_SRCS) $(CLI_SRCS)
CUDA_INC  := -isystem $(CUDA_HOME)/include
LDCUDA    := -L$(CUDA_HOME)/lib64 -lcudart_static -lstdc++
CU_OBJS   := $(patsubst src/%.cu,$(BUILD)/cu/%.o,$(CU_SRCS))
else
HOST_SRCS := $(PURE_SRCS) src/gpu/nocuda.c src/bench/nocuda.c $(CLI_SRCS)
CUDA_INC  :=
LDCUDA    :=
CU_OBJS   :=
endif
# jansson (JSON) and libyaml (YAML) are linked statically so the binary needs nothing beyond libc
# and libstdc++ (containers, the device machine). .deps/ holds Debian's copies where no system
# ones exist (tools/vendor-deps.sh).
DEP_INC  := $(if $(wildcard .deps/include/jansson.h),-isystem .deps/include)
DEP_LIBS := $(if $(wildcard .deps/lib/libjansson.a),-L.deps/lib) -l:libjansson.a -l:libyaml.a
LDLIBS := $(LDCUDA) $(DEP_LIBS) -ldl -lpthread -lrt -lm

OBJS      := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(HOST_SRCS))
ASAN_OBJS := $(patsubst src/%.c,$(BUILD)/asan/%.o,$(HOST_SRCS))
PURE_ASAN := $(patsubst src/%.c,$(BUILD)/asan/%.o,$(PURE_SRCS))
TESTS     := $(patsubst tests/%.c,$(BUILD)/test/%,$(wildcard tests/test_*.c))
FUZZERS   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
NVCCFLAGS := -O3 -lineinfo -std=c++17 $(foreach a,$(CUDA_ARCHS),-gencode=arch=compute_$(a),code=sm_$(a)) \
             -gencode=arch=compute_$(lastword $(CUDA_ARCHS)),code=compute_$(lastword $(CUDA_ARCHS)) \
             -Xcompiler -Wall,-Wextra,-Werror -Werror all-warnings

.PHONY: all test run gpu-test fuzz deps clean check-banned check-layers format format-check FORCE
all: $(BUILD)/gpushare

$(BUILD)/gpushare: $(OBJS) $(CU_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) -o $@ $^ $(LDLIBS)

# The sanitized binary the CLI tests drive; kernels are the same nvcc objects.
$(BUILD)/asan/gpushare: $(ASAN_OBJS) $(CU_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN) -o $@ $^ $(LDLIBS)

# The version and commit live in a generated header rewritten only when they change, so a new
# commit rebuilds exactly the files that print it, and a stale build never reports an old one.
GEN := $(BUILD)/gen/version.h $(BUILD)/gen/cublaslt_tiles.inc
$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define GPUSHARE_VERSION "%s"\n#define GPUSHARE_GIT_COMMIT "%s"\n#define GPUSHARE_GIT_DIRTY %s\n' \
	    '$(VERSION)' '$(GIT_COMMIT)' '$(GIT_DIRTY)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/obj/%.o: src/%.c | $(GEN)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CUDA_INC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/asan/%.o: src/%.c | $(GEN)
	@mkdir -p $(dir $@)
	$(call say,CC-SAN,$<)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CUDA_INC) $(CFLAGS_ALL) -O1 $(SAN) -c -o $@ $<

$(BUILD)/cu/%.o: src/%.cu
	@mkdir -p $(dir $@)
	$(call say,NVCC,$<)
	$(Q)$(NVCC) $(NVCCFLAGS) -Isrc -c -o $@ $<

# cuBLASLt names its tile and cluster shapes only in enums (CUBLASLT_MATMUL_TILE_<m>x<n>,
# CUBLASLT_CLUSTER_SHAPE_<x>x<y>x<z>); derive the id -> shape tables from the header we
# compile against rather than copying them by hand.
LT_H := $(CUDA_HOME)/include/cublasLt.h
$(BUILD)/gen/cublaslt_tiles.inc:
	@mkdir -p $(dir $@)
	@if [ -f $(LT_H) ]; then \
	  sed -n 's/^ *CUBLASLT_MATMUL_TILE_\([0-9]*\)x\([0-9]*\) *= *\([0-9]*\).*/{\3, \1, \2},/p' \
	    $(LT_H) > $@; \
	  sed -n 's/^ *CUBLASLT_CLUSTER_SHAPE_\([0-9]*\)x\([0-9]*\)x\([0-9]*\) *= *\([0-9]*\).*/{\4, \1, \2, \3},/p' \
	    $(LT_H) > $(BUILD)/gen/cublaslt_clusters.inc; \
	else : > $@; : > $(BUILD)/gen/cublaslt_clusters.inc; fi

$(BUILD)/test/%: tests/%.c $(PURE_ASAN) | $(GEN)
	@mkdir -p $(dir $@)
	$(call say,TEST,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -O1 $(SAN) -o $@ $< $(PURE_ASAN) -lcmocka $(DEP_LIBS) -ldl -lm

# A stand-in libnvidia-ml.so.1 for the NVML tests: gpushare loads it through $GPUSHARE_NVML_LIB.
$(BUILD)/test/libfakenvml.so: tests/fake_nvml.c src/gpu/nvml_api.h
	@mkdir -p $(dir $@)
	$(call say,SO,$@)
	$(Q)$(CC) -std=c11 -O1 -g -Wall -Wextra -Werror -fPIC -shared -Isrc -o $@ $<

$(BUILD)/test/test_nvml: $(BUILD)/test/libfakenvml.so

# A CPU-only worker that speaks the harness protocol, for the harness tests (hangs, crashes).
# It links the real worker side of the protocol (bench/harness.c).
$(BUILD)/test/fake_worker: tests/fake_worker.c $(PURE_ASAN) | $(GEN)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -O1 $(SAN) -o $@ $< $(PURE_ASAN) $(DEP_LIBS) -ldl -lm

$(BUILD)/test/test_harness $(BUILD)/test/test_mpsbench: $(BUILD)/test/fake_worker

# The committed device results the planner embeds (src/plan/evidence_docs.c names them; .incbin
# reads them while assembling, which no dependency file records).
EVIDENCE_DOCS := $(shell sed -n 's/^\#define DOC_[A-Z_]* "\(.*\)"/\1/p' src/plan/evidence_docs.c)
$(BUILD)/obj/plan/evidence_docs.o $(BUILD)/asan/plan/evidence_docs.o: $(EVIDENCE_DOCS)
PLAN_EXAMPLES := $(shell sed -n 's/^\#define EX_[A-Z0-9_]* "\(.*\)"/\1/p' src/plan/examples.c)
$(BUILD)/obj/plan/examples.o $(BUILD)/asan/plan/examples.o: $(PLAN_EXAMPLES)

# The templates of the MPS service files (src/emit/mps.c), each a C string of its bytes in one
# generated header: the dependency files record it, and these lines make it before emit/mps.o
# and the fuzzers (which compile src/ directly) and remake them when a template changes.
MPS_TEMPLATES := $(sort $(wildcard src/emit/templates/*.in))
$(BUILD)/gen/mps_templates.h: $(MPS_TEMPLATES)
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)for f in $(MPS_TEMPLATES); do \
	  n=$$(basename "$$f" .in | tr -c 'A-Za-z0-9\n' '_'); \
	  printf '/* %s */\nstatic const char tmpl_%s[] = ""\n' "$$f" "$$n"; \
	  od -An -v -tx1 "$$f" | sed 's/ \([0-9a-f][0-9a-f]\)/\\x\1/g; s/^/    "/; s/$$/"/'; \
	  printf '    ;\n'; \
	done > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/emit/mps.o $(BUILD)/asan/emit/mps.o $(FUZZERS): $(BUILD)/gen/mps_templates.h

$(BUILD)/fuzz/%: tests/fuzz/%.c $(PURE_SRCS) $(EVIDENCE_DOCS) $(PLAN_EXAMPLES) | $(BUILD)/gen/version.h
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS_ALL) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -o $@ $(filter %.c,$^) $(DEP_LIBS) -ldl -lm

deps:
	@tools/setup.sh

test: deps
	@$(MAKE) --no-print-directory check-banned check-layers $(BUILD)/gpushare $(BUILD)/asan/gpushare $(TESTS) \
	    $(FUZZERS)
	@$(MAKE) --no-print-directory format-check
	@shellcheck tools/*.sh .ci/run src/emit/templates/*.sh.in && \
	    echo "ok   shellcheck: tools/*.sh .ci/run src/emit/templates/*.sh.in"
	@tools/run-tests.sh $(TESTS)
	@tools/validate-json.sh
	@tools/validate-k8s.sh
	@for f in $(FUZZERS); do tools/fuzz.sh $$f $(FUZZ_SECONDS) || exit 1; done
	@echo "make test: every suite passed"

fuzz: deps $(FUZZERS)
	@for f in $(FUZZERS); do tools/fuzz.sh $$f $(FUZZ_SECONDS) || exit 1; done

# The set-up and the build happen inside, logged, so the answer comes first (tools/run.sh).
run:
	@tools/run.sh

gpu-test:
	@$(MAKE) --no-print-directory CUDA_ARCHS=90 $(BUILD)/gpushare
	@tools/gpu-test.sh

# Includes point down the layers only; the known-bad tree proves the check can fail.
check-layers:
	@tools/check-layers.sh
	@if tools/check-layers.sh tests/fixtures/layers-bad 2>/dev/null; then \
	  echo "check-layers: passed tests/fixtures/layers-bad, which includes up" >&2; exit 1; fi

check-banned:
	@tools/banned.sh src tests && echo "ok   banned functions: none in src/ tests/"

FORMATTED := $(wildcard src/*.c src/*/*.c src/*/*.h src/*/*.cu tests/*.c tests/*.h tests/fuzz/*.c \
             tests/fuzz/*.h)
format:
	clang-format -i $(FORMATTED)

format-check:
	@clang-format --dry-run --Werror $(FORMATTED) && echo "ok   clang-format: $(words $(FORMATTED)) files"

clean:
	rm -rf $(BUILD)

-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(CU_OBJS:.o=.d)
