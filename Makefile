# The two README commands are `make pipeline` and `make test`; both install what they need first.
.PHONY: setup pipeline test lint cluster-test bench-ingest wheel clean

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

clean:
	rm -rf lakehouse dist build spark-warehouse
