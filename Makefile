# Two entry points: `make demo` (the main job) and `make test`. Both set up .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.vidpose-installed
# torch/torchvision pinned here (not in pyproject) because these exact builds install from a
# local copy on our machines; pyproject only declares honest lower bounds for users.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: install test lint format demo readme-tables shipped-lifter clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH_PINS)
	$(BIN)/pip install -q -e '.[test]' $(TORCH_PINS)
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest -q

# The main job on CPU: synthetic data → train the CPU recipe → evaluate → curves (runs/demo).
demo: $(STAMP)
	$(BIN)/vidpose synth data/demo --preset small --overwrite
	rm -rf runs/demo
	$(BIN)/vidpose train --config configs/cpu.yaml --data data/demo --out runs/demo \
		--set train.final_report=false
	$(BIN)/vidpose evaluate runs/demo --data data/demo/test --json runs/demo/evaluation.json
	$(BIN)/vidpose plot runs/demo

# The README's demo table from the evaluation.json `make demo` just wrote (the numbers are kept
# in docs/demo_evaluation.json; the tests check the table against them).
readme-tables: $(STAMP)
	$(BIN)/python benchmarks/readme_tables.py

# The lifter shipped in the package (docs/video.md): licence-free data only (the built-in
# synthetic motions, plus the CMU takes of ../shared/mocap/cmu when present), COCO-17 2D made
# from the 3D poses; 10-15 min on 2 CPU cores (one thread: faster on a shared machine).
SHIPPED := data/shipped_lifter
CMU := ../shared/mocap/cmu
shipped-lifter: $(STAMP)
	rm -rf $(SHIPPED) runs/shipped_lifter
	$(BIN)/vidpose synth $(SHIPPED)/builtin --poses-only
	if [ -d $(CMU) ]; then \
		$(BIN)/vidpose prepare mocap $(CMU) $(SHIPPED)/cmu.npz && \
		$(BIN)/vidpose synth $(SHIPPED)/cmu --poses-only --motion $(SHIPPED)/cmu.npz --views 16; \
	fi
	$(BIN)/python -m vidpose.lifting.shipped_data join $(SHIPPED)/joined $(SHIPPED)/builtin \
		$$(test -d $(SHIPPED)/cmu && echo $(SHIPPED)/cmu)
	OMP_NUM_THREADS=1 $(BIN)/vidpose train --config configs/lift_shipped.yaml \
		--data $(SHIPPED)/joined --out runs/shipped_lifter
	$(BIN)/python -m vidpose.lifting.shipped_data weights runs/shipped_lifter \
		src/vidpose/weights/lifter_default.pt

clean:
	rm -rf runs/demo data/demo
