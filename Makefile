# The two commands of the README's quick start, plus helpers. Real work is in CMake.
#   make demo   install what is missing, build, read a simulated W25Q128 and show it
#   make check  install what is missing, build with -Werror + ASan/UBSan, run every test
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all demo check deps bench clean format

all: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j$(JOBS)

deps:
	@sh scripts/deps.sh build

demo: all
	@mkdir -p demo-out
	./build/chipdump -p sim probe --chip W25Q128
	./build/chipdump -p sim read --chip W25Q128 --force demo-out/W25Q128.bin
	@echo "--- demo-out/W25Q128.bin.json (manifest) ---"
	@cat demo-out/W25Q128.bin.json
	@echo "--- first bytes of demo-out/W25Q128.bin ---"
	@od -A x -t x1z -N 96 demo-out/W25Q128.bin

check: deps
	cmake -S . -B build-check -DCMAKE_BUILD_TYPE=Debug -DCHIPDUMP_WERROR=ON -DCHIPDUMP_SANITIZE=ON
	cmake --build build-check -j$(JOBS)
	cd build-check && ctest --output-on-failure -j$(JOBS)

bench: all
	@sh scripts/deps.sh all
	python3 bench/read_vs_flashrom.py build/chipdump 5
	python3 bench/ch341a_wire_time.py --chipdump build/chipdump --rt-ms 26

format:
	clang-format -i host/include/chipdump/*.h host/lib/*.[ch] host/lib/*/*.[ch] host/cli/*.[ch] tests/unit/*.[ch]

clean:
	rm -rf build build-check demo-out
