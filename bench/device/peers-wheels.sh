#!/bin/sh
# The wheels bench/device/peers.sh needs on the GPU machine and that it
# lacks (CPython 3.12, manylinux), into .device-cache/peers: Zeus,
# CodeCarbon, optimum-benchmark and the dependencies the machine does not
# have (its torch, numpy, pandas, transformers stay). pyarrow (55 MB, for
# optimum-benchmark's datasets) goes to .device-cache/peers-pyarrow, to be
# carried in a call of its own: one call carries at most 64 MiB.
set -eu
out=${1:-.device-cache/peers}
mkdir -p "$out" "$out-pyarrow"
pip_dl() { python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
	--platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 "$@"; }
pip_dl -d "$out" zeus==0.16.0 codecarbon==3.3.2 optimum-benchmark==0.6.0 \
	scikit-learn==1.9.1 joblib==1.6.0 threadpoolctl==3.8.0 tyro==1.0.17 docstring_parser==0.18.0 \
	typeguard==4.6.1 shellingham==1.5.4 httpx==0.28.1 anyio==4.16.0 h11==0.16.0 httpcore==1.0.9 \
	sniffio==1.3.1 pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 \
	typing-inspection==0.4.5 arrow==1.4.0 authlib==1.9.10 cryptography==50.0.2 cffi==2.1.1 \
	pycparser==3.12 joserfc==1.8.0 click==8.5.1 prometheus_client==0.26.0 psutil==7.2.2 \
	py-cpuinfo==9.0.0 rapidfuzz==3.14.6 questionary==2.1.1 prompt_toolkit==3.0.53 wcwidth==0.9.4 \
	typer==0.29.2 annotated-doc==0.0.7 pycountry==26.2.16 accelerate==1.15.0 colorlog==6.12.0 \
	datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 xxhash==4.1.0 flatten-dict==0.5.0 \
	hf-xet==1.8.0 omegaconf==2.3.0 hydra-core==1.3.2
# amdsmi (a Zeus dependency for AMD GPUs) is left out: on a machine without
# ROCm its import raises KeyError('libamd_smi.so'), which stopped
# optimum-benchmark's launcher on the H200 (2026-12-01); Zeus and
# CodeCarbon import it only when present.
# antlr4 (hydra's parser runtime) is only an sdist; its wheel is pure Python.
python3 -m pip wheel -q --no-deps antlr4-python3-runtime==4.9.3 -w "$out"
pip_dl -d "$out-pyarrow" pyarrow==26.0.1
du -sh "$out" "$out-pyarrow"
