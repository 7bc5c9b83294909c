# otasuke: the two commands.
#   make demo   install what is missing, build, and run the demo on embedded defaults
#   make test   install what is missing, build, and run every test (plain and ASan+UBSan builds)
# Other targets: build, fuzz (FUZZ_SECONDS=600 per target), bench, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps build demo test fuzz bench clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	@scripts/demo $(BUILD)

test: deps
	@tests/run-all $(BUILD) $(ASAN_BUILD)

fuzz: deps
	@tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	meson setup build-release --buildtype=release >/dev/null 2>&1 || true
	ninja -C build-release
	bench/sensor-throughput --sensor build-release/src/sensor/otasuke-sensor

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) build-release out
