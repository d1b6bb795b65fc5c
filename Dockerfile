# The emulator as a container, built from the package (pyproject.toml), not from a developer's machine:
#   docker build -t openai-emulator .
#   docker run --rm -p 8000:8000 openai-emulator --speed 600 --contract strict --log-format json
# Stage 1 builds the wheel from the sources; stage 2 installs only that wheel.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY scenarios ./scenarios
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
COPY --from=build /wheels /wheels
# with the `fast` extra: `emulator serve` then runs on httptools and uvloop
RUN pip install --no-cache-dir "$(ls /wheels/*.whl)[fast]" && rm -rf /wheels
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s CMD ["emulator", "wait", "http://127.0.0.1:8000", "--timeout", "4"]
# exec form: the emulator is PID 1 and gets `docker stop`'s SIGTERM directly (clean shutdown, exit 0)
ENTRYPOINT ["emulator", "serve", "--host", "0.0.0.0", "--port", "8000"]
