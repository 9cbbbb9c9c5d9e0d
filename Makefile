# Two commands: `make serve` (set up and run the service) and `make test` (set up and run every test).
.PHONY: serve test lint bench

serve:
	scripts/bootstrap.sh
	.venv/bin/dxlocal serve $(ARGS)

test:
	scripts/bootstrap.sh test
	.venv/bin/ruff check .
	.venv/bin/pytest -q $(ARGS)

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench:
	bash benchmarks/run.sh
