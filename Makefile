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

# The lifter shipped in the package (docs/video.md, "Retraining"): licence-free data only, the
# built-in synthetic motions and the whole CMU collection (outside the repository: CMU_BULK,
# unpacked from ../shared/mocap/cmu_bulk.tar.xz when that is there; else the 7 takes of
# ../shared/mocap/cmu), seen by the camera mix, with detector-like 2D. The CMU index gives each
# take the rate it was captured at (cgspeed's BVH files all claim 120 fps); the AMC takes that
# come without their subject's ASF are read on subject 03's skeleton (docs/mocap.md).
# CMU subjects LIFTER_DEV are held out as the development set (data/shipped_lifter/joined/dev).
# About 47 min on 2 shared CPU cores (under 1 min of data, 3,070 training steps on one thread).
SHIPPED := data/shipped_lifter
CMU_BULK ?= data/cmu_bulk
CMU_BULK_ARCHIVE := ../shared/mocap/cmu_bulk.tar.xz
CMU := ../shared/mocap/cmu
LIFTER_DEV := cmu08,cmu14,cmu49
shipped-lifter: $(STAMP)
	rm -rf $(SHIPPED) runs/shipped_lifter
	if [ ! -f $(CMU_BULK)/INDEX.tsv ] && [ -f $(CMU_BULK_ARCHIVE) ]; then \
		mkdir -p $(CMU_BULK) && tar -xJf $(CMU_BULK_ARCHIVE) -C $(CMU_BULK) --strip-components=1; \
	fi
	$(BIN)/vidpose synth $(SHIPPED)/builtin --poses-only --cameras mix
	set -e; if [ -f $(CMU_BULK)/INDEX.tsv ]; then \
		$(BIN)/vidpose prepare mocap $(CMU_BULK)/bvh $(CMU_BULK)/amc $(SHIPPED)/cmu.npz \
			--asf $(CMU_BULK)/amc/03.asf --cmu-index $(CMU_BULK)/INDEX.tsv; \
		$(BIN)/vidpose synth $(SHIPPED)/cmu --poses-only --cameras mix \
			--motion $(SHIPPED)/cmu.npz --views 6; \
		$(BIN)/vidpose prepare shipped $(SHIPPED)/joined $(SHIPPED)/builtin $(SHIPPED)/cmu \
			--dev-subjects $(LIFTER_DEV) --cmu-index $(CMU_BULK)/INDEX.tsv; \
	elif [ -d $(CMU) ]; then \
		$(BIN)/vidpose prepare mocap $(CMU)/60_01.bvh $(CMU)/61_01.bvh $(SHIPPED)/cmu60.npz \
			--source-fps 60; \
		$(BIN)/vidpose prepare mocap $(CMU)/02_01.bvh $(CMU)/05_06.bvh $(CMU)/131_0?.bvh \
			$(SHIPPED)/cmu120.npz; \
		for rate in 120 60; do $(BIN)/vidpose synth $(SHIPPED)/cmu$$rate --poses-only \
			--cameras mix --motion $(SHIPPED)/cmu$$rate.npz --views 6; done; \
		$(BIN)/vidpose prepare shipped $(SHIPPED)/joined $(SHIPPED)/builtin $(SHIPPED)/cmu120 \
			$(SHIPPED)/cmu60; \
	else \
		$(BIN)/vidpose prepare shipped $(SHIPPED)/joined $(SHIPPED)/builtin; \
	fi
	OMP_NUM_THREADS=1 $(BIN)/vidpose train --config configs/lift_shipped.yaml \
		--data $(SHIPPED)/joined --out runs/shipped_lifter
	$(BIN)/vidpose prepare shipped-weights runs/shipped_lifter \
		src/vidpose/weights/lifter_default.pt --overwrite

clean:
	rm -rf runs/demo data/demo
