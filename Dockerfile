# syntax=docker/dockerfile:1
# One image for every Newsline process; docker-compose.yml picks the subcommand.
# Needs BuildKit (the default builder of Docker Engine 23+ and of `docker compose`).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder: wheels for the project and its exact pins (pyproject.toml) ----
FROM ${PYTHON_IMAGE} AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# A current pip resolves extras by their normalised names (justext needs lxml[html_clean]); the
# runtime stage installs exactly the wheels resolved here, so its own pip's age does not matter.
RUN pip install --no-cache-dir pip==26.3
# Dependencies first, so that editing the code does not rebuild them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt
COPY README.md ./
COPY newsline ./newsline
COPY schemas ./schemas
COPY ingest ./ingest
COPY processors ./processors
COPY readmodel ./readmodel
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# ---- runtime: the wheels installed, no compiler, not root ----
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NEWSLINE_DATA_DIR=/data
RUN groupadd --system --gid 10001 newsline \
    && useradd --system --uid 10001 --gid newsline --create-home --home-dir /home/newsline newsline \
    && mkdir -p /data \
    && chown newsline:newsline /data
# The wheels are bind-mounted from the builder, so they never become a layer of this image.
# --no-deps: the builder already resolved the set; the import check fails the build if it broke.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --no-deps /wheels/*.whl \
    && python -c "import newsline.cli, newsline.serve, processors.app, processors.store.sink"
USER newsline
WORKDIR /home/newsline
EXPOSE 8765
ENTRYPOINT ["newsline"]
CMD ["--help"]
