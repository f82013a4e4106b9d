# Lading's build. `make run` and `make test` are all a newcomer needs on a
# fresh Debian or Ubuntu machine; `make check` runs exactly what CI runs.

GO       ?= go
TAGS     := migrated_fynedo
BIN      := bin/lading
SHOTS    := screenshots
# Debian packages: a C compiler for cgo (SQLite, Fyne), the X11/GL headers
# Fyne's window needs, and Xvfb for screenshots on a machine with no display.
DEB_PKGS := gcc pkg-config libgl1-mesa-dev xorg-dev xvfb xauth
BENCH_PKGS := curl aria2
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all deps bench-deps build run test check screenshot bench clean

all: build

# deps installs only the packages that are missing, so it is quick to repeat.
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing $$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

bench-deps:
	@missing=$$(for p in $(BENCH_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(GO) build -tags $(TAGS) -o $(BIN) .

# run opens Lading on its built-in demo portal (no portal configured).
run: build
	./$(BIN)

test: deps
	$(GO) vet -tags $(TAGS) ./...
	$(GO) test -race -tags $(TAGS) -shuffle=on -count=1 -timeout 15m ./...

check: deps
	@test -z "$$(gofmt -l .)" || { echo "Not gofmt-ed:"; gofmt -l .; exit 1; }
	$(GO) mod tidy -diff
	$(GO) run $(STATICCHECK) -tags $(TAGS) ./...
	$(MAKE) test

# screenshot runs the real window under Xvfb on a fresh data folder and
# writes a PNG of each view into $(SHOTS)/.
screenshot: build
	@home=$$(mktemp -d); \
	xvfb-run -a -s "-screen 0 1280x800x24" ./$(BIN) --home "$$home" screenshot --out $(SHOTS); \
	status=$$?; rm -rf "$$home"; exit $$status

bench: build bench-deps
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchtime 1x -timeout 30m ./bench/...

clean:
	rm -rf bin $(SHOTS)
