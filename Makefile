# The two README commands are `make pipeline` and `make test`; both install what they need first.
.PHONY: setup pipeline test lint cluster-test bench-ingest bench-scale wheel clean

setup:
	@bash scripts/setup.sh

pipeline: setup
	.venv/bin/crm-mining pipeline $(ARGS)

test: setup lint
	.venv/bin/pytest -n 2 --dist loadgroup --no-loadscope-reorder $(ARGS)

lint: setup
	.venv/bin/ruff check lib tests jobs scripts notebooks
	.venv/bin/ruff format --check lib tests jobs scripts notebooks

wheel: setup
	.venv/bin/python -m build --wheel --outdir dist .

cluster-test: setup
	.venv/bin/pytest -m slow tests/cluster $(ARGS)

bench-ingest: setup
	.venv/bin/python scripts/bench_ingest.py $(ARGS)

# Hours at 30M transactions: `make bench-scale ARGS="--sizes 1M,10M"` for the first two sizes.
bench-scale: setup
	.venv/bin/python scripts/bench_scale.py $(ARGS)

clean:
	rm -rf lakehouse dist build spark-warehouse
