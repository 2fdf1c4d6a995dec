# Flightdeck: every target here is what CI runs (.ci/run calls `make test`), nothing more.
# Build output lives outside the clone so a fresh checkout builds from scratch and the
# working tree stays clean.
export CARGO_TARGET_DIR ?= /var/tmp/flightdeck-target
SECTION := .ci/section.sh

.PHONY: test check quick fmt clippy boundary unit sizes deps demo ui app app-smoke e2e measure

## make test: install missing system packages, start Postgres + a private Secret Service,
## then format, lint, boundary and test checks. --keep-going: one run reports every failing check.
test: deps
	@$(SECTION) "services (postgres, dbus + gnome-keyring) and checks" \
		.ci/services.sh $(MAKE) --no-print-directory --keep-going check

check: fmt clippy boundary unit sizes e2e measure

## make quick: the fast local loop, no apt, no UI, no window: format, lint, and the engine's,
## CLI's, archive's and sandbox's tests next to a throwaway Postgres and Secret Service (as
## `make test` has them). Seconds to a few minutes on a warm build; CI runs everything.
quick:
	@$(SECTION) "services (postgres, dbus + gnome-keyring) and quick checks" \
		.ci/services.sh $(MAKE) --no-print-directory --keep-going fmt clippy boundary unit

fmt:
	@$(SECTION) "cargo fmt --check" cargo fmt --all -- --check

# `--workspace` alone would ignore default-members and build the webview; everything but the
# desktop shell is checked here (`make app` builds that).
NO_APP := --workspace --exclude flightdeck-app --exclude flightdeck-hello

clippy:
	@$(SECTION) "cargo clippy (all but the app, all targets, -D warnings)" \
		cargo clippy $(NO_APP) --all-targets -- -D warnings

boundary:
	@$(SECTION) "boundary: engine + cli free of tauri/wry/tao" .ci/boundary.sh

unit:
	@$(SECTION) "cargo test (all but the app)" .ci/cargo-test.sh

## make sizes: a report (never a failure) of the largest source files and longest functions.
sizes:
	@$(SECTION) "sizes: largest files and functions (report)" .ci/sizes.sh --max-file 600 --max-fn 80

deps:
	@$(SECTION) "system packages" .ci/deps.sh

## make demo: the desktop app on the bundled M31 runbook, against the sandbox started in the
## background (`.ci/demo.sh`; without a display it runs under Xvfb and saves a screenshot).
## It only builds: the app's tests touch the OS keyring, so they run under `make test`'s
## private Secret Service, never against the user's own keyring.
demo: deps
	@$(SECTION) "ui: npm ci" .ci/npm-ci.sh ui
	@$(SECTION) "ui: vite build" sh -c 'cd ui && npm run --silent build'
	@$(SECTION) "build the desktop app and the CLI" cargo build -p flightdeck-app -p flightdeck-cli
	@.ci/demo.sh

## make ui: the UI's locked node packages (npm ci), type check, component tests, build to ui/dist.
ui:
	@$(SECTION) "ui: npm ci" .ci/npm-ci.sh ui
	@$(SECTION) "ui: svelte-check" sh -c 'cd ui && npm run --silent check'
	@$(SECTION) "ui: vitest (components over mockIPC)" \
		.ci/bounded.sh "ui: vitest" 600 "40 s on 2 cores, 200 s when the machine is busy" sh -c 'cd ui && npm test --silent'
	@$(SECTION) "ui: vite build" sh -c 'cd ui && npm run --silent build'

## make app: build the desktop app (it embeds ui/dist) and the CLI the e2e tests use, lint the
## app, and test its commands over tauri's mock IPC, TypeScript bindings up to date included
## (under .ci/services.sh: the keyring tests use a private Secret Service, never yours).
app: deps ui
	@$(SECTION) "build the desktop app, the CLI and the hello-world measure.sh compares it with" \
		cargo build -p flightdeck-app -p flightdeck-cli -p flightdeck-hello
	@$(SECTION) "cargo clippy (the app, -D warnings)" cargo clippy -p flightdeck-app --all-targets -- -D warnings
	@$(SECTION) "cargo test (the app): build" cargo test -p flightdeck-app --no-run
	@$(SECTION) "cargo test (the app: commands, bindings fresh)" .ci/services.sh \
		.ci/bounded.sh "cargo test (the app)" 300 "about 30 s on 2 cores" cargo test -p flightdeck-app

## make app-smoke: start the app under Xvfb and save a screenshot of its window.
app-smoke: app
	@$(SECTION) "app window under Xvfb" .ci/xvfb.sh .ci/app-smoke.sh

## make e2e: the real-window WebDriver suite (tauri-driver + WebKitWebDriver under Xvfb),
## tests/e2e/app.test.mjs; screenshots in $(CARGO_TARGET_DIR)/e2e-screenshots/.
e2e: app
	@$(SECTION) "tauri-driver (cached in ~/.cargo/bin)" .ci/tauri-driver.sh
	@$(SECTION) "real-window tests (WebDriver under Xvfb)" .ci/services.sh .ci/xvfb.sh .ci/e2e.sh

## make measure: a report (never a failure) of the window against a bare Tauri window, like for
## like (tests/e2e/measure.sh): idle memory and first paint with the M31 run open and with its
## Signals view, both compositing settings, and scrolling the run (p50/p95 frame times). CI
## measures debug builds of both (a release build of the app is ~25 minutes on 2 cores, beyond
## CI's budget); the README's figures are release. Bounded: a hang stops it, never the build.
measure: app
	@$(SECTION) "tauri-driver (cached in ~/.cargo/bin)" .ci/tauri-driver.sh
	@$(SECTION) "the window vs a bare Tauri window (report, not a gate; debug builds)" \
		sh -c 'FLIGHTDECK_MEASURE_NO_BUILD=1 FLIGHTDECK_MEASURE_RUNS=1 FLIGHTDECK_MEASURE_SETTLE_MAX=20 \
		.ci/bounded.sh "tests/e2e/measure.sh" 600 "about 4 minutes" tests/e2e/measure.sh \
		|| echo "measure: exit $$? (a report: the build goes on)"'
