# fakefiles as a sidecar: the fake Files APIs on port 8000, seeded from /fixtures.
#
#   docker build -t fakefiles .
#   docker run --rm -p 8000:8000 fakefiles
#   docker run --rm -p 8000:8000 -v "$PWD/my-fixtures:/fixtures:ro" fakefiles
#
# Every `fakefiles serve` flag can also be set with a FAKEFILES_* variable (-e FAKEFILES_AUTH=strict);
# arguments after the image name are passed to `fakefiles serve` (e.g. --seed 7).
# It listens on every interface, so its control API answers to any Host name; on a shared
# network add -e FAKEFILES_AUTH=strict -e FAKEFILES_API_KEYS=... -e FAKEFILES_ADMIN_TOKEN=...
# (README, "Security"). Clients send a key, as to the real services (any non-empty one).
# tests/test_docker_entrypoint.py runs this file's ENTRYPOINT, ENV and HEALTHCHECK without docker.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The package only (with uvloop and httptools, its default server stack): no test extras,
# no sources left behind in the image.
COPY pyproject.toml README.md /src/
COPY fakefiles /src/fakefiles
RUN pip install /src && rm -rf /src

# The repo's fixtures; mount a directory over /fixtures to serve your own default.yaml.
COPY fixtures /fixtures

# A home of its own for ~/.cache/fakefiles: the default fixtures' made-up names and text
# (Faker's) are made once here at build time, so the container starts without importing Faker.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/fakefiles fakefiles
USER fakefiles
WORKDIR /tmp
RUN fakefiles validate /fixtures/default.yaml

ENV FAKEFILES_HOST=0.0.0.0 \
    FAKEFILES_PORT=8000 \
    FAKEFILES_FIXTURES=/fixtures/default.yaml
EXPOSE 8000

# slim has no curl: python's urllib fails (exit 1) on a refused connection or any non-2xx.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('FAKEFILES_PORT', '8000') + '/_fakefiles/health', timeout=2)"]

# Exec form: fakefiles is PID 1 and gets SIGTERM from `docker stop` directly.
ENTRYPOINT ["fakefiles", "serve"]
