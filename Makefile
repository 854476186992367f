# Newsline: `make run` starts the local stack with the examples; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KAFKA_LIBS := .kafka/libs
KAFKA_STAMP := $(KAFKA_LIBS)/.installed
MVN_DEPENDENCY := org.apache.maven.plugins:maven-dependency-plugin:3.8.1

.PHONY: setup run test test-reliability lint unit integration schemas clean compose-check browser-check screenshot

setup: $(STAMP) $(KAFKA_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/duckdb --version
	touch $(STAMP)

# Apache Kafka (the embedded broker) and its dependencies, as pinned by jvm/pom.xml.
$(KAFKA_STAMP): jvm/pom.xml
	rm -rf $(KAFKA_LIBS)
	mvn -B -q -C -Dstyle.color=never -f jvm/pom.xml $(MVN_DEPENDENCY):copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(KAFKA_LIBS)
	touch $(KAFKA_STAMP)

run: setup
	$(BIN)/newsline up --demo

# mypy checks every package; bench/ and tests/ are scripts (untyped fixtures), checked by ruff only.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy schemas ingest readmodel processors newsline

test: setup lint compose-check browser-check
	$(BIN)/pytest -q -p no:cacheprovider

# The long fault campaign and the 10-minute soak (tests marked `reliability`; `make test` runs the
# short version of each campaign test). About 40 minutes on the shared 2-core machine.
test-reliability: setup
	$(BIN)/pytest -q -s -p no:cacheprovider -m reliability tests/integration

unit: setup compose-check
	$(BIN)/pytest -q tests/unit

integration: setup browser-check
	$(BIN)/pytest -q tests/integration

compose-check:
	bash scripts/install-compose-check.sh

browser-check:
	bash scripts/install-chromium.sh

# The README's picture of the timeline page (docs/timeline.png), from the bundled examples.
screenshot: setup browser-check
	$(BIN)/python scripts/timeline_screenshot.py docs/timeline.png

schemas: setup
	$(BIN)/newsline export-schemas

clean:
	rm -rf $(VENV) data .kafka
